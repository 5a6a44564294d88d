package starter

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

func (s *Server) routeReconciliations() {
	s.route("GET /v1/reconciliations", roles(sop.RoleAuditor, sop.RoleCallCentre, sop.RoleAdmin), s.listReconciliations)
	s.route("POST /v1/reconciliations", roles(sop.RoleAdmin), s.runReconciliation)
}

// listReconciliations lists the daily reconciliations (R10.2), newest first,
// each with every card it looked at and the falsifications it suspects.
func (s *Server) listReconciliations(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	limit := 30
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 365 {
			return writeError(w, http.StatusBadRequest, "invalid query", map[string]string{"limit": "must be 1–365"})
		}
		limit = n
	}
	runs, err := s.Store.Reconciliations(r.Context(), limit)
	if err != nil {
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "list reconciliations", err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reconciliations": runs})
}

// runReconciliation runs the reconciliation now (besides the daily schedule)
// and answers with its result.
func (s *Server) runReconciliation(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	now := s.Now()
	id := fmt.Sprintf("%s-manual-%s", workflows.ReconcileScheduleID, now.UTC().Format("20060102T150405.000000000Z"))
	run, err := s.Temporal.ExecuteWorkflow(r.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: s.TaskQueue, WorkflowRunTimeout: 10 * time.Minute},
		workflows.ReconcileWorkflowName, workflows.ReconcileInput{UTCOffsetSeconds: s.Policy(now).UTCOffsetSeconds})
	if err != nil {
		return unavailable(w, r, log, http.StatusServiceUnavailable, "the reconciliation could not be started: "+msgTemporal, "start reconciliation", err)
	}
	var res workflows.ReconcileResult
	if err := run.Get(r.Context(), &res); err != nil {
		return unavailable(w, r, log, http.StatusBadGateway, "the reconciliation failed; see the log", "reconciliation", err)
	}
	log.Info("reconciliation run", zap.String("workflow", id), zap.Int("flagged", res.Flagged))
	return writeJSON(w, http.StatusOK, res)
}
