package console

import "net/http"

// routeAudit registers the audit pages (issue 11; being built).
func (c *Console) routeAudit() {
	c.handle("GET /audit", auditRoles, func(w http.ResponseWriter, r *http.Request, u *user) {
		c.fail(w, r, u, http.StatusNotImplemented, "/audit is being built")
	})
}
