package console

import "net/http"

// routeKPI registers the kpi pages (issue 11; being built).
func (c *Console) routeKPI() {
	c.handle("GET /kpi", auditRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		c.fail(w, r, u, http.StatusNotImplemented, "/kpi is being built")
	})
}
