package starter

import (
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/housecall/housecall/sop"
)

func (s *Server) routeSuggestions() {
	s.route("GET /v1/suggestions", roles(sop.RoleAuditor, sop.RoleCallCentre, sop.RoleAdmin), s.listSuggestions)
}

// listSuggestions is the list per product model of the customers'
// suggestions heard at visits and follow-ups (R12.9), for the after-sales
// manager: ?model=, ?from= and ?to= (RFC 3339 or YYYY-MM-DD), ?limit= per model.
func (s *Server) listSuggestions(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	q := r.URL.Query()
	bad := map[string]string{}
	when := func(name string) time.Time {
		v := q.Get(name)
		if v == "" {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t
		}
		if t, err := time.ParseInLocation(sop.DatePattern, v, s.Policy(s.Now()).Location()); err == nil {
			return t
		}
		bad[name] = "want RFC 3339 (2026-03-02T09:00:00+08:00) or a date (2026-03-02)"
		return time.Time{}
	}
	from, to := when("from"), when("to")
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			bad["limit"] = "must be 1–1000"
		}
		limit = n
	}
	model := q.Get("model")
	if msg := sop.TextProblem("product.model", model); msg != "" {
		bad["model"] = msg
	}
	if len(bad) > 0 {
		return writeError(w, http.StatusBadRequest, "invalid query", bad)
	}
	list, err := s.Store.Suggestions(r.Context(), model, from, to, limit)
	if err != nil {
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "list suggestions", err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"models": list})
}
