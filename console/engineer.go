package console

import "net/http"

// routeEngineer registers the engineer pages (issue 11; being built).
func (c *Console) routeEngineer() {
	c.handle("GET /engineer", engineerRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		c.fail(w, r, u, http.StatusNotImplemented, "/engineer is being built")
	})
}
