package starter

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
)

func (s *Server) routeDay() {
	s.route("GET /v1/engineers/{id}/day", roles(sop.RoleCallCentre, sop.RoleAdmin, sop.RoleAuditor, sop.RoleEngineer), s.engineerDay)
}

// engineerDay is one engineer's appointments of a day in the service area
// (?date=YYYY-MM-DD, default today), in order, with each customer's address
// and phone: the engineer's own list and a row of the dispatch board. An
// engineer sees only their own day.
func (s *Server) engineerDay(w http.ResponseWriter, r *http.Request, p principal, log *zap.Logger) int {
	id := r.PathValue("id")
	if p.Role == sop.RoleEngineer && p.Subject != id {
		return writeError(w, http.StatusForbidden, fmt.Sprintf("engineer %s sees only their own day", p.Subject), nil)
	}
	now := s.Now()
	loc := s.Policy(now).Location()
	day := now.In(loc)
	if d := r.URL.Query().Get("date"); d != "" {
		t, err := time.ParseInLocation(sop.DatePattern, d, loc)
		if err != nil {
			return writeError(w, http.StatusBadRequest, "invalid query", map[string]string{"date": "want YYYY-MM-DD"})
		}
		day = t
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	if _, err := s.Store.GetEngineer(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return writeError(w, http.StatusNotFound, fmt.Sprintf("no engineer %s", id), nil)
	} else if err != nil {
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "engineer", err)
	}
	jobs, err := s.Store.EngineerDay(r.Context(), id, from, from.AddDate(0, 0, 1))
	if err != nil {
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "engineer's day", err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"engineer": id, "date": from.Format(sop.DatePattern), "jobs": jobs})
}
