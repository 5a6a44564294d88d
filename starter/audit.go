package starter

import (
	"encoding/json"
	"errors"
	"net/http"

	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/consistency"
	"github.com/housecall/housecall/sop"
)

func (s *Server) routeAudit() {
	s.route("GET /v1/requests/{id}/timeline", roles(sop.RoleAuditor, sop.RoleAdmin), s.timeline)
	s.route("GET /v1/requests/{id}/history", roles(sop.RoleAuditor, sop.RoleAdmin), s.history)
	s.route("GET /v1/requests/{id}/check", roles(sop.RoleAuditor, sop.RoleAdmin), s.check)
}

// check compares PostgreSQL's records of the request with its history
// (`housecall audit check`): 200 with the report, whether they agree or not.
func (s *Server) check(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	id := r.PathValue("id")
	rep, err := consistency.Check(r.Context(), consistency.Live{Temporal: s.Temporal, Store: s.Store, DataConverter: s.dataConverter()}, id)
	if err != nil {
		return s.historyError(w, r, id, err, log)
	}
	if !rep.OK() {
		log.Warn("PostgreSQL and the history disagree", zap.Int("divergences", len(rep.Divergences)))
	}
	return writeJSON(w, http.StatusOK, rep)
}

// timeline rebuilds the SOP timeline and the compliance of every rule from
// the Temporal history of all the request's runs (R11.2).
func (s *Server) timeline(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	id := r.PathValue("id")
	runs, err := audit.Runs(r.Context(), s.Temporal, id, s.dataConverter())
	if err != nil {
		return s.historyError(w, r, id, err, log)
	}
	rep, err := audit.Build(runs, s.dataConverter())
	if err != nil {
		return unavailable(w, r, log, http.StatusInternalServerError, "the request's timeline could not be rebuilt", "rebuild timeline", err)
	}
	return writeJSON(w, http.StatusOK, rep)
}

// RunHistory is one run's raw history in GET …/history?runs=all.
type RunHistory struct {
	RunID   string          `json:"run_id"`
	History json.RawMessage `json:"history"`
}

// history answers the raw Temporal event history of the request's latest run
// (Temporal's own JSON, as `temporal workflow show -o json` prints it, with
// the payloads decrypted: the auditor reads what the workflow wrote), or
// with ?runs=all the histories of all its runs, oldest first.
func (s *Server) history(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	id := r.PathValue("id")
	if r.URL.Query().Get("runs") == "all" {
		runs, err := audit.Runs(r.Context(), s.Temporal, id, s.dataConverter())
		if err != nil {
			return s.historyError(w, r, id, err, log)
		}
		out := make([]RunHistory, 0, len(runs))
		for _, run := range runs {
			h, err := codec.DecodeHistory(r.Context(), s.Encryption.Codec, run.History)
			if err != nil {
				return writeError(w, http.StatusInternalServerError, "decode the history: "+err.Error(), nil)
			}
			b, err := protojson.Marshal(h)
			if err != nil {
				return unavailable(w, r, log, http.StatusInternalServerError, "the request's history could not be encoded", "encode history", err)
			}
			out = append(out, RunHistory{RunID: run.RunID, History: b})
		}
		return writeJSON(w, http.StatusOK, map[string]any{"runs": out})
	}
	h, err := audit.History(r.Context(), s.Temporal, id, "")
	if err != nil {
		return s.historyError(w, r, id, err, log)
	}
	if h, err = codec.DecodeHistory(r.Context(), s.Encryption.Codec, h); err != nil {
		return writeError(w, http.StatusInternalServerError, "decode the history: "+err.Error(), nil)
	}
	b, err := protojson.Marshal(h)
	if err != nil {
		return unavailable(w, r, log, http.StatusInternalServerError, "the request's history could not be encoded", "encode history", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return http.StatusOK
}

func (s *Server) historyError(w http.ResponseWriter, r *http.Request, id string, err error, log *zap.Logger) int {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return writeError(w, http.StatusNotFound, "no request "+id, nil)
	}
	return unavailable(w, r, log, http.StatusBadGateway, "the request's history cannot be read: "+msgTemporal, "read history", err)
}
