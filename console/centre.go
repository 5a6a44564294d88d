package console

import "net/http"

// routeCentre registers the centre pages (issue 11; being built).
func (c *Console) routeCentre() {
	c.handle("GET /centre", centreRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		c.fail(w, r, u, http.StatusNotImplemented, "/centre is being built")
	})
}
