package starter

import (
	"errors"
	"net/http"

	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/sop"
)

func (s *Server) routeAudit() {
	s.route("GET /v1/requests/{id}/timeline", roles(sop.RoleAuditor, sop.RoleAdmin), s.timeline)
	s.route("GET /v1/requests/{id}/history", roles(sop.RoleAuditor, sop.RoleAdmin), s.history)
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	id := r.PathValue("id")
	h, err := audit.History(r.Context(), s.Temporal, id)
	if err != nil {
		return s.historyError(w, id, err, log)
	}
	steps, err := audit.Steps(h)
	if err != nil {
		log.Error("decode history", zap.Error(err))
		return writeError(w, http.StatusInternalServerError, err.Error(), nil)
	}
	return writeJSON(w, http.StatusOK, audit.Report{Entries: audit.Entries(steps), Compliance: []audit.Verdict{}})
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	id := r.PathValue("id")
	h, err := audit.History(r.Context(), s.Temporal, id)
	if err != nil {
		return s.historyError(w, id, err, log)
	}
	b, err := protojson.Marshal(h)
	if err != nil {
		return writeError(w, http.StatusInternalServerError, err.Error(), nil)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return http.StatusOK
}

func (s *Server) historyError(w http.ResponseWriter, id string, err error, log *zap.Logger) int {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return writeError(w, http.StatusNotFound, "no request "+id, nil)
	}
	log.Error("read history", zap.Error(err))
	return writeError(w, http.StatusBadGateway, "cannot read the request's history: "+err.Error(), nil)
}
