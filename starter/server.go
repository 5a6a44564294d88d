// Package starter is housecall's front door: the HTTP API of contract.md that
// starts service request workflows, sends them events (Temporal updates),
// answers queries and lists from PostgreSQL — and the HTTP client the
// `housecall request …` commands use.
package starter

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// Server is the HTTP API.
type Server struct {
	Temporal  client.Client
	Store     *store.Store
	TaskQueue string
	// Policy returns the SOP policy in force at a time; it is copied into
	// each new request's workflow input.
	Policy func(time.Time) sop.Policy
	Tokens []config.Token
	Log    *zap.Logger
	// Metrics, when set, are served on /metrics beside the API's own (the
	// worker's, when both run in one process).
	Metrics prometheus.Gatherer
	// DataConverter decodes histories as the Temporal client encodes them
	// (nil: the SDK's default).
	DataConverter converter.DataConverter
	// Encryption of Temporal payloads: the auditor's decoding and /codec (codec.go).
	Encryption Encryption
	// Now is the clock (tests may replace it).
	Now func() time.Time

	tokens  map[string]config.Token
	metrics *metrics
	mux     *http.ServeMux
}

// Handler returns the API's http.Handler. Call once.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = zap.NewNop()
	}
	s.tokens = map[string]config.Token{}
	for _, t := range s.Tokens {
		s.tokens[t.Token] = t
	}
	s.metrics = newMetrics()
	s.mux = http.NewServeMux()
	s.route("GET /healthz", nil, s.health)
	var gather prometheus.Gatherer = s.metrics.reg
	if s.Metrics != nil {
		gather = prometheus.Gatherers{s.metrics.reg, s.Metrics}
	}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(gather, promhttp.HandlerOpts{}))
	s.route("POST /v1/engineers", roles(sop.RoleAdmin), s.putEngineer)
	s.route("GET /v1/engineers", roles(sop.RoleCallCentre, sop.RoleAdmin, sop.RoleAuditor), s.listEngineers)
	s.route("POST /v1/requests", roles(sop.RoleCallCentre, sop.RoleAdmin), s.createRequest)
	s.route("GET /v1/requests", roles(sop.RoleCallCentre, sop.RoleAuditor, sop.RoleAdmin), s.listRequests)
	s.route("GET /v1/requests/{id}", roles(sop.RoleCallCentre, sop.RoleAuditor, sop.RoleAdmin, sop.RoleEngineer), s.getRequest)
	s.route("POST /v1/requests/{id}/events", roles(sop.RoleCallCentre, sop.RoleAdmin, sop.RoleEngineer), s.postEvent)
	s.route("GET /v1/requests/{id}/events", roles(sop.RoleCallCentre, sop.RoleAuditor, sop.RoleAdmin), s.listEvents)
	s.route("GET /v1/requests/{id}/notifications", roles(sop.RoleCallCentre, sop.RoleAuditor, sop.RoleAdmin), s.listNotifications)
	s.routeAudit()
	s.routeReconciliations()
	s.routeCodec()
	return s.mux
}

func roles(r ...sop.Role) []sop.Role { return r }

// principal is who is calling.
type principal struct {
	sop.Actor
}

type ctxKey int

const requestIDKey ctxKey = 0

// handlerFunc handles an authenticated call and returns the HTTP status it wrote.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p principal, log *zap.Logger) int

// route registers a handler behind authentication (when allowed is not nil),
// with logging, metrics and a request id on every log line.
func (s *Server) route(pattern string, allowed []sop.Role, h handlerFunc) {
	_, path, _ := strings.Cut(pattern, " ")
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-Id")
		if rid == "" || len(rid) > 64 {
			rid = newID(10)
		}
		w.Header().Set("X-Request-Id", rid)
		log := s.Log.With(zap.String("http_request_id", rid), zap.String("method", r.Method), zap.String("route", path))
		if id := r.PathValue("id"); id != "" {
			log = log.With(zap.String("request_id", id))
		}
		var status int
		defer func() {
			d := time.Since(start)
			s.metrics.observe(r.Method+" "+path, status, d)
			log.Info("http", zap.Int("status", status), zap.Duration("took", d))
		}()
		p := principal{Actor: sop.Actor{Role: "anonymous"}}
		if allowed != nil {
			var ok bool
			p, ok = s.authenticate(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="housecall"`)
				status = writeError(w, http.StatusUnauthorized, "missing or unknown bearer token", nil)
				return
			}
			log = log.With(zap.String("actor", p.String()))
			if !allowedRole(allowed, p.Role) {
				status = writeError(w, http.StatusForbidden, fmt.Sprintf("role %s may not %s %s", p.Role, r.Method, path), nil)
				return
			}
		}
		status = h(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, rid)), p, log)
	})
}

func allowedRole(allowed []sop.Role, r sop.Role) bool {
	for _, a := range allowed {
		if a == r {
			return true
		}
	}
	return false
}

func (s *Server) authenticate(r *http.Request) (principal, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return principal{}, false
	}
	t, ok := s.tokens[strings.TrimSpace(tok)]
	if !ok {
		return principal{}, false
	}
	return principal{Actor: sop.Actor{Role: t.Role, Subject: t.Subject}}, true
}

// ErrorBody is the JSON of every error answer.
type ErrorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string, fields map[string]string) int {
	return writeJSON(w, status, ErrorBody{Error: msg, Fields: fields})
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return status
}

const maxBody = 1 << 20

// decodeStrict reads a JSON body into v; unknown fields and wrong types are
// reported with the field's name.
func decodeStrict(r *http.Request, v any) (raw []byte, fields map[string]string, err error) {
	raw, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read body: %w", err)
	}
	if len(raw) > maxBody {
		return raw, nil, fmt.Errorf("body larger than %d bytes", maxBody)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		var pe *time.ParseError
		switch {
		case errors.As(err, &te):
			name := te.Field
			if name == "" {
				name = "body"
			}
			return raw, map[string]string{name: fmt.Sprintf("must be %s, got %s", jsonType(te.Type.String()), te.Value)}, errors.New("invalid field types")
		case errors.As(err, &se):
			return raw, nil, fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, se)
		case errors.As(err, &pe):
			return raw, map[string]string{"time": fmt.Sprintf("%q is not an RFC 3339 time", pe.Value)}, errors.New("invalid time")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return raw, map[string]string{name: "unknown field"}, errors.New("unknown field")
		case errors.Is(err, io.EOF):
			return raw, nil, errors.New("empty body: a JSON object is expected")
		default:
			return raw, nil, fmt.Errorf("invalid JSON: %v", err)
		}
	}
	if dec.More() {
		return raw, nil, errors.New("malformed JSON: more than one value in the body")
	}
	return raw, nil, nil
}

func jsonType(goType string) string {
	switch {
	case goType == "string" || strings.HasSuffix(goType, "Kind") || strings.HasSuffix(goType, "EventType"):
		return "a string"
	case goType == "bool" || goType == "*bool":
		return "a boolean"
	case strings.Contains(goType, "int") || strings.Contains(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.Contains(goType, "Time"):
		return "an RFC 3339 time string"
	default:
		return "an object"
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ principal, _ *zap.Logger) int {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	body := map[string]string{"status": "ok", "database": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := s.Store.Ping(ctx); err != nil {
		body["database"], body["status"], status = err.Error(), "unavailable", http.StatusServiceUnavailable
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		body["temporal"], body["status"], status = err.Error(), "unavailable", http.StatusServiceUnavailable
	}
	return writeJSON(w, status, body)
}

var engineerID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// EngineerBody is POST /v1/engineers.
type EngineerBody struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Region        string   `json:"region"`
	Skills        []string `json:"skills"`
	TravelMinutes *int     `json:"travel_minutes,omitempty"`
	Active        *bool    `json:"active,omitempty"`
}

func (s *Server) putEngineer(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	var b EngineerBody
	if _, fields, err := decodeStrict(r, &b); err != nil {
		return writeError(w, http.StatusBadRequest, err.Error(), fields)
	}
	fields := map[string]string{}
	if !engineerID.MatchString(b.ID) {
		fields["id"] = "required: letters, digits, '.', '_' or '-' (at most 64)"
	}
	if strings.TrimSpace(b.Name) == "" {
		fields["name"] = "required"
	}
	if strings.TrimSpace(b.Region) == "" {
		fields["region"] = "required"
	}
	travel := int(s.Policy(s.Now()).DefaultTravel.Std() / time.Minute)
	if b.TravelMinutes != nil {
		if *b.TravelMinutes < 0 || *b.TravelMinutes > 24*60 {
			fields["travel_minutes"] = "must be 0–1440"
		}
		travel = *b.TravelMinutes
	}
	for i, sk := range b.Skills {
		if strings.TrimSpace(sk) == "" {
			fields[fmt.Sprintf("skills[%d]", i)] = "empty"
		}
	}
	if len(fields) > 0 {
		return writeError(w, http.StatusBadRequest, "invalid engineer", fields)
	}
	e := store.Engineer{ID: b.ID, Name: b.Name, Region: b.Region, Skills: b.Skills, TravelMinutes: travel, Active: sop.Bool(b.Active, true)}
	created, err := s.Store.UpsertEngineer(r.Context(), e)
	if err != nil {
		log.Error("save engineer", zap.Error(err))
		return writeError(w, http.StatusInternalServerError, err.Error(), nil)
	}
	if e.Skills == nil {
		e.Skills = []string{}
	}
	if created {
		return writeJSON(w, http.StatusCreated, e)
	}
	return writeJSON(w, http.StatusOK, e)
}

func (s *Server) listEngineers(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	es, err := s.Store.ListEngineers(r.Context(), r.URL.Query().Get("region"))
	if err != nil {
		log.Error("list engineers", zap.Error(err))
		return writeError(w, http.StatusInternalServerError, err.Error(), nil)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"engineers": es})
}

var requestID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:n]
}

// NewRequestID makes a request id "SR-YYYYMMDD-XXXXXX".
func NewRequestID(now time.Time) string {
	return "SR-" + now.UTC().Format("20060102") + "-" + newID(6)
}

// RequestCreated is the answer to POST /v1/requests: the live state.
type RequestCreated = workflows.View

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	var req sop.Request
	if _, fields, err := decodeStrict(r, &req); err != nil {
		return writeError(w, http.StatusBadRequest, err.Error(), fields)
	}
	fields := map[string]string{}
	now := s.Now()
	if req.ID == "" {
		req.ID = NewRequestID(now)
	} else if !requestID.MatchString(req.ID) {
		fields["id"] = "letters, digits, '.', '_', ':' or '-', at most 64"
	}
	switch req.Kind {
	case "":
		req.Kind = sop.KindRepair
	case sop.KindRepair:
	default:
		if !s.kindSupported(req.Kind) {
			fields["kind"] = fmt.Sprintf("unknown kind %q (repair, return, installation_guidance)", req.Kind)
		}
	}
	if p := req.Preferred; p != nil && !p.End.After(p.Start) {
		fields["preferred.end"] = "must be after preferred.start"
	}
	for k, v := range s.kindFieldProblems(req) {
		fields[k] = v
	}
	if len(fields) > 0 {
		return writeError(w, http.StatusBadRequest, "invalid request", fields)
	}
	log = log.With(zap.String("request_id", req.ID))
	in := workflows.Input{Request: req, Policy: s.Policy(now)}
	opts := client.StartWorkflowOptions{
		ID:                       req.ID,
		TaskQueue:                s.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// R1.3: tell us the id is taken rather than quietly returning the existing run.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
	status := http.StatusCreated
	if _, err := s.Temporal.ExecuteWorkflow(r.Context(), opts, workflows.WorkflowName, in); err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if !errors.As(err, &started) {
			log.Error("start workflow", zap.Error(err))
			return writeError(w, http.StatusServiceUnavailable, "could not start the request's workflow: "+err.Error(), nil)
		}
		// R1.3: the same id again is the same request, never a second workflow.
		status = http.StatusOK
		log.Info("request exists already")
	} else {
		s.metrics.started.WithLabelValues(string(req.Kind)).Inc()
		log.Info("request started", zap.String("kind", string(req.Kind)))
	}
	v, err := s.queryState(r.Context(), req.ID)
	if err != nil {
		log.Error("query new request", zap.Error(err))
		return writeError(w, http.StatusBadGateway, "request started but its state cannot be read yet: "+err.Error(), nil)
	}
	w.Header().Set("Location", "/v1/requests/"+req.ID)
	return writeJSON(w, status, v)
}

// queryState asks the workflow for its live state, waiting briefly for a
// workflow that has just started to take its first step.
func (s *Server) queryState(ctx context.Context, id string) (workflows.View, error) {
	var v workflows.View
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := s.Temporal.QueryWorkflow(ctx, id, "", workflows.QueryState)
		if err == nil {
			return v, res.Get(&v)
		}
		var notReady *serviceerror.WorkflowNotReady
		if !errors.As(err, &notReady) || time.Now().After(deadline) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	q := r.URL.Query()
	f := store.RequestFilter{Status: sop.Status(q.Get("status")), Engineer: q.Get("engineer"), Region: q.Get("region")}
	fields := map[string]string{}
	if f.Status != "" && !f.Status.Valid() {
		fields["status"] = fmt.Sprintf("unknown status %q", f.Status)
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			fields["limit"] = "must be 1–1000"
		}
		f.Limit = n
	}
	if b := q.Get("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			fields["before"] = "must be an RFC 3339 time"
		}
		f.Before = t
	}
	if len(fields) > 0 {
		return writeError(w, http.StatusBadRequest, "invalid query", fields)
	}
	rows, err := s.Store.ListRequests(r.Context(), f)
	if err != nil {
		log.Error("list requests", zap.Error(err))
		return writeError(w, http.StatusInternalServerError, err.Error(), nil)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"requests": rows})
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, p principal, log *zap.Logger) int {
	id := r.PathValue("id")
	v, err := s.queryState(r.Context(), id)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return writeError(w, http.StatusNotFound, "no request "+id, nil)
		}
		log.Error("query request", zap.Error(err))
		return writeError(w, http.StatusBadGateway, "cannot read the request's state: "+err.Error(), nil)
	}
	if p.Role == sop.RoleEngineer && v.Engineer != p.Subject {
		return writeError(w, http.StatusForbidden, fmt.Sprintf("request %s is not assigned to engineer %s", id, p.Subject), nil)
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) postEvent(w http.ResponseWriter, r *http.Request, p principal, log *zap.Logger) int {
	id := r.PathValue("id")
	var ev sop.Event
	raw, fields, err := decodeStrict(r, &ev)
	entry := store.EventLog{RequestID: id, Type: string(ev.Type), ActorRole: string(p.Role), ActorSubject: p.Subject, Body: raw}
	logged := func(status int, outcome, reason string) int {
		entry.Type, entry.HTTPStatus, entry.Outcome, entry.Reason = string(ev.Type), status, outcome, reason
		if entry.Type == "" {
			entry.Type = "?"
		}
		s.metrics.events.WithLabelValues(entry.Type, outcome).Inc()
		// The log is best effort: a database hiccup must not undo an event the workflow took.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
		defer cancel()
		if err := s.Store.LogEvent(ctx, entry); err != nil {
			log.Error("log event", zap.Error(err))
		}
		return status
	}
	if err != nil {
		return logged(writeError(w, http.StatusBadRequest, err.Error(), fields), "invalid", err.Error())
	}
	log = log.With(zap.String("event", string(ev.Type)))
	if !ev.Type.Known() {
		msg := fmt.Sprintf("unknown event type %q", ev.Type)
		if ev.Type == "" {
			msg = "type is required"
		}
		return logged(writeError(w, http.StatusBadRequest, msg, map[string]string{"type": msg}), "invalid", msg)
	}
	if !ev.Type.Allows(p.Role) {
		msg := fmt.Sprintf("role %s may not send %s (sent by %v)", p.Role, ev.Type, ev.Type.Roles())
		return logged(writeError(w, http.StatusForbidden, msg, nil), "forbidden", msg)
	}
	if bad := ev.Validate(); len(bad) > 0 {
		return logged(writeError(w, http.StatusBadRequest, "invalid "+string(ev.Type)+" event", bad), "invalid", fmt.Sprint(bad))
	}
	ev.Actor = p.Actor
	if p.Role == sop.RoleAdmin {
		ev.Actor.Role = sop.RoleCallCentre
		ev.Actor.Subject = "admin"
	}
	ev.At = s.Now().UTC()
	v, status, msg := s.sendEvent(r.Context(), id, ev, r.Header.Get("Idempotency-Key"))
	switch status {
	case http.StatusOK:
		log.Info("event taken", zap.String("status", string(v.Status)))
		return logged(writeJSON(w, status, v), "accepted", "")
	case http.StatusConflict, http.StatusBadRequest:
		return logged(writeError(w, status, msg, nil), map[int]string{409: "rejected", 400: "invalid"}[status], msg)
	case http.StatusForbidden:
		return logged(writeError(w, status, msg, nil), "forbidden", msg)
	case http.StatusNotFound:
		return logged(writeError(w, status, msg, nil), "not_found", msg)
	default:
		log.Error("event failed", zap.String("cause", msg))
		return logged(writeError(w, status, msg, nil), "error", msg)
	}
}

// sendEvent delivers an event as a Temporal update and maps the outcome to
// an HTTP status: 200 with the new state, 409 when the request cannot take
// it now, 403 for an engineer not assigned, 404 for no such request.
func (s *Server) sendEvent(ctx context.Context, id string, ev sop.Event, updateID string) (workflows.View, int, string) {
	var v workflows.View
	handle, err := s.Temporal.UpdateWorkflow(ctx, eventUpdate(id, updateID, ev))
	if err == nil {
		err = handle.Get(ctx, &v)
	}
	if err == nil {
		return v, http.StatusOK, ""
	}
	if typ, ok := workflows.IsRejection(err); ok {
		msg := rejectionMessage(err)
		switch typ {
		case workflows.ErrNotAssigned:
			return v, http.StatusForbidden, msg
		case workflows.ErrBadEvent:
			return v, http.StatusBadRequest, msg
		default:
			return v, http.StatusConflict, msg
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		if d, derr := s.Temporal.DescribeWorkflowExecution(ctx, id, ""); derr == nil {
			if ev.Type == sop.EvComplaint {
				// R11.1: a complaint may come long after the request ended.
				return s.reopenForComplaint(ctx, id, d.GetWorkflowExecutionInfo().GetExecution().GetRunId(), ev, updateID)
			}
			st := d.GetWorkflowExecutionInfo().GetStatus()
			return v, http.StatusConflict, fmt.Sprintf("request %s has ended (workflow %s): it takes no more events", id, strings.ToLower(strings.TrimPrefix(st.String(), "WORKFLOW_EXECUTION_STATUS_")))
		}
		return v, http.StatusNotFound, "no request " + id
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return v, http.StatusGatewayTimeout, "the request's workflow did not answer in time; the event may still be applied (retry with the same Idempotency-Key)"
	}
	return v, http.StatusBadGateway, "cannot deliver the event: " + err.Error()
}

// eventUpdate is the update that delivers an event, waiting for its answer.
func eventUpdate(id, updateID string, ev sop.Event) client.UpdateWorkflowOptions {
	return client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateID:     updateID,
		UpdateName:   workflows.UpdateEvent,
		Args:         []any{ev},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
}

// rejectionMessage is the workflow's reason without the SDK's decoration.
func rejectionMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, " (type: "); i > 0 {
		msg = msg[:i]
	}
	return msg
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	evs, err := s.Store.EventsReceived(r.Context(), r.PathValue("id"))
	if err != nil {
		log.Error("list events", zap.Error(err))
		return writeError(w, http.StatusInternalServerError, err.Error(), nil)
	}
	if evs == nil {
		evs = []store.ReceivedEvent{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	ns, err := s.Store.Notifications(r.Context(), r.PathValue("id"))
	if err != nil {
		log.Error("list notifications", zap.Error(err))
		return writeError(w, http.StatusInternalServerError, err.Error(), nil)
	}
	if ns == nil {
		ns = []store.Outgoing{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
}

// metrics are the API's Prometheus metrics.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	events   *prometheus.CounterVec
	started  *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "housecall_http_requests_total", Help: "HTTP requests by route and status."},
			[]string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "housecall_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "housecall_events_total", Help: "Events received by type and outcome."},
			[]string{"type", "outcome"}),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "housecall_requests_started_total", Help: "Service requests started by kind."},
			[]string{"kind"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.events, m.started,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}
