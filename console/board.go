package console

import "net/http"

// routeBoard registers the board pages (issue 11; being built).
func (c *Console) routeBoard() {
	c.handle("GET /board", centreRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		c.fail(w, r, u, http.StatusNotImplemented, "/board is being built")
	})
}
