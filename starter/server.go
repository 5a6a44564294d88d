// Package starter is housecall's front door: the HTTP API of contract.md that
// starts service request workflows, sends them events (Temporal updates),
// answers queries and lists from PostgreSQL — and the HTTP client the
// `housecall request …` commands use.
package starter

import (
	"bytes"
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
	"go.uber.org/zap"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/internal/jsonbody"
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
	// sop.RoleCustomer: the web console's customer link, on its own request
	// only (postEvent); no token carries it (config refuses it).
	s.route("POST /v1/requests/{id}/events", roles(sop.RoleCallCentre, sop.RoleAdmin, sop.RoleEngineer, sop.RoleCustomer), s.postEvent)
	s.route("GET /v1/requests/{id}/events", roles(sop.RoleCallCentre, sop.RoleAuditor, sop.RoleAdmin), s.listEvents)
	s.route("GET /v1/requests/{id}/notifications", roles(sop.RoleCallCentre, sop.RoleAuditor, sop.RoleAdmin), s.listNotifications)
	s.routeAudit()
	s.routeReconciliations()
	s.routeSuggestions()
	s.routeDay()
	s.routeCodec()
	return s.mux
}

func roles(r ...sop.Role) []sop.Role { return r }

// principal is who is calling.
type principal struct {
	sop.Actor
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	actorKey
)

// Call serves one API call in process, as actor — the web console's way to
// start requests and send events through the very handlers of the HTTP API
// (validation, idempotency keys, the event log, the same answers). The
// actor is taken as authenticated: only code in this process can set it.
// It returns the HTTP status and the JSON body the API would answer.
func (s *Server) Call(ctx context.Context, actor sop.Actor, method, path string, body []byte, header http.Header) (int, []byte) {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(context.WithValue(ctx, actorKey, actor), method, path, rd)
	if err != nil {
		b, _ := json.Marshal(ErrorBody{Error: err.Error()})
		return http.StatusBadRequest, b
	}
	for k, vs := range header {
		r.Header[k] = vs
	}
	if body != nil && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := &recorder{header: http.Header{}}
	s.mux.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.status, w.body.Bytes()
}

// recorder is the ResponseWriter of an in-process call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// Token returns the configured token's actor, if the token is known (the
// console's sign-in).
func (s *Server) Token(token string) (sop.Actor, bool) {
	t, ok := s.tokens[strings.TrimSpace(token)]
	if !ok {
		return sop.Actor{}, false
	}
	return sop.Actor{Role: t.Role, Subject: t.Subject}, true
}

// Tokens lists the configured tokens (the console matches its sessions
// against them, so a token removed from the configuration ends them).
func (s *Server) TokenList() []config.Token { return s.Tokens }

// QueryState is the live state of a request (GET /v1/requests/{id}).
func (s *Server) QueryState(ctx context.Context, id string) (workflows.View, error) {
	return s.queryState(ctx, id)
}

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
			if a, in := r.Context().Value(actorKey).(sop.Actor); in {
				// An in-process call (Call): the console authenticated
				// its user already.
				p, ok = principal{Actor: a}, true
			}
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
	// RequestID is the X-Request-Id of the call, on answers whose detail
	// went to the log only (5xx): operators find it there.
	RequestID string `json:"request_id,omitempty"`
}

// Public messages of failures whose detail goes to the log only: an error
// answer names the problem, never the infrastructure (addresses, drivers).
const (
	msgDatabase = "the database is unavailable; try again"
	msgTemporal = "the workflow service is unavailable; try again"
)

// unavailable logs a failure with its detail and answers status with the
// public message and the call's request id.
func unavailable(w http.ResponseWriter, r *http.Request, log *zap.Logger, status int, public, what string, err error) int {
	rid, _ := r.Context().Value(requestIDKey).(string)
	log.Error(what, zap.Error(err), zap.Int("status", status))
	return writeJSON(w, status, ErrorBody{Error: public, RequestID: rid})
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

// decodeStrict reads a JSON object body into v (jsonbody.Read).
func decodeStrict(r *http.Request, v any) ([]byte, *jsonbody.Error) {
	return jsonbody.Read(r, v, maxBody)
}

var truncate = jsonbody.Truncate

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	// Public: says what is down, never how (addresses, errors); the log has it.
	body := map[string]string{"status": "ok", "database": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := s.Store.Ping(ctx); err != nil {
		log.Warn("health: database", zap.Error(err))
		body["database"], body["status"], status = "unavailable", "unavailable", http.StatusServiceUnavailable
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		log.Warn("health: temporal", zap.Error(err))
		body["temporal"], body["status"], status = "unavailable", "unavailable", http.StatusServiceUnavailable
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
	if _, berr := decodeStrict(r, &b); berr != nil {
		return writeError(w, berr.Status, berr.Msg, berr.Fields)
	}
	fields := map[string]string{}
	for name, v := range map[string]string{"name": b.Name, "region": b.Region} {
		if msg := sop.TextProblem("customer."+name, v); msg != "" {
			fields[name] = msg
		}
	}
	if len(b.Skills) > 50 {
		fields["skills"] = fmt.Sprintf("more than 50 items (got %d)", len(b.Skills))
		b.Skills = nil
	}
	for i, sk := range b.Skills {
		if msg := sop.TextProblem("skill", sk); msg != "" {
			fields[fmt.Sprintf("skills[%d]", i)] = msg
		}
	}
	if !engineerID.MatchString(b.ID) {
		fields["id"] = "required: letters, digits, '.', '_' or '-' (at most 64)"
	}
	if _, bad := fields["name"]; !bad && strings.TrimSpace(b.Name) == "" {
		fields["name"] = "required"
	}
	if _, bad := fields["region"]; !bad && strings.TrimSpace(b.Region) == "" {
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
		if _, bad := fields[fmt.Sprintf("skills[%d]", i)]; !bad && strings.TrimSpace(sk) == "" {
			fields[fmt.Sprintf("skills[%d]", i)] = "empty"
		}
	}
	if len(fields) > 0 {
		return writeError(w, http.StatusBadRequest, "invalid engineer", fields)
	}
	e := store.Engineer{ID: b.ID, Name: b.Name, Region: b.Region, Skills: b.Skills, TravelMinutes: travel, Active: sop.Bool(b.Active, true)}
	created, err := s.Store.UpsertEngineer(r.Context(), e)
	if err != nil {
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "save engineer", err)
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
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "list engineers", err)
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
	if _, berr := decodeStrict(r, &req); berr != nil {
		return writeError(w, berr.Status, berr.Msg, berr.Fields)
	}
	now := s.Now()
	fields := req.Validate(now, s.Policy(now).Location())
	if fields == nil {
		fields = map[string]string{}
	}
	if req.ID == "" {
		req.ID = NewRequestID(now)
	} else if _, bad := fields["id"]; !bad && !requestID.MatchString(req.ID) {
		fields["id"] = "letters, digits, '.', '_', ':' or '-', at most 64"
	}
	switch req.Kind {
	case "":
		req.Kind = sop.KindRepair
	case sop.KindRepair:
	default:
		if !s.kindSupported(req.Kind) {
			fields["kind"] = fmt.Sprintf("unknown kind %q (repair, return, installation_guidance)", truncate(string(req.Kind), 40))
		}
	}
	if p := req.Preferred; p != nil && !p.End.After(p.Start) {
		fields["preferred.end"] = "must be after preferred.start"
	}
	for k, v := range s.kindFieldProblems(req) {
		if _, bad := fields[k]; !bad {
			fields[k] = v
		}
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
		// The attributes that never change, so the workflow never upserts them.
		TypedSearchAttributes: workflows.StartSearchAttributes(req),
	}
	status := http.StatusCreated
	if _, err := s.Temporal.ExecuteWorkflow(r.Context(), opts, workflows.WorkflowName, in); err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if !errors.As(err, &started) {
			return unavailable(w, r, log, http.StatusServiceUnavailable, "the request could not be started: "+msgTemporal, "start workflow", err)
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
		return unavailable(w, r, log, http.StatusBadGateway, "the request started but its state cannot be read yet: "+msgTemporal, "query new request", err)
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
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "list requests", err)
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
		return unavailable(w, r, log, http.StatusBadGateway, "the request's state cannot be read: "+msgTemporal, "query request", err)
	}
	if p.Role == sop.RoleEngineer && v.Engineer != p.Subject {
		return writeError(w, http.StatusForbidden, fmt.Sprintf("request %s is not assigned to engineer %s", id, p.Subject), nil)
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) postEvent(w http.ResponseWriter, r *http.Request, p principal, log *zap.Logger) int {
	id := r.PathValue("id")
	var ev sop.Event
	raw, berr := decodeStrict(r, &ev)
	entry := store.EventLog{RequestID: id, ActorRole: string(p.Role), ActorSubject: p.Subject, Body: raw}
	eventType := func() string {
		if ev.Type == "" || sop.TextProblem("type", string(ev.Type)) != "" {
			return "?"
		}
		return string(ev.Type)
	}
	// logged appends a call that did not reach the workflow, or was sent
	// without an Idempotency-Key, to the event log. The log is best effort:
	// a database hiccup must not undo an event the workflow took.
	logged := func(status int, outcome, reason string) int {
		entry.Type, entry.HTTPStatus, entry.Outcome, entry.Reason = eventType(), status, outcome, reason
		s.metrics.events.WithLabelValues(entry.Type, outcome).Inc()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
		defer cancel()
		if err := s.Store.LogEvent(ctx, entry); err != nil {
			log.Error("log event", zap.Error(err))
		}
		return status
	}
	if berr != nil {
		return logged(writeError(w, berr.Status, berr.Msg, berr.Fields), "invalid", berr.Msg)
	}
	key, kerr := idempotencyKey(r)
	if kerr != "" {
		msg := "invalid Idempotency-Key header: " + kerr
		return logged(writeError(w, http.StatusBadRequest, msg, map[string]string{"Idempotency-Key": kerr}), "invalid", msg)
	}
	log = log.With(zap.String("event", eventType()))
	if !ev.Type.Known() {
		msg := fmt.Sprintf("unknown event type %q", truncate(string(ev.Type), 64))
		if ev.Type == "" {
			msg = "type is required"
		}
		return logged(writeError(w, http.StatusBadRequest, msg, map[string]string{"type": msg}), "invalid", msg)
	}
	if p.Role == sop.RoleCustomer && p.Subject != id {
		msg := fmt.Sprintf("the customer of request %s may not act on request %s", p.Subject, id)
		return logged(writeError(w, http.StatusForbidden, msg, nil), "forbidden", msg)
	}
	if !ev.Type.Allows(p.Role) {
		msg := fmt.Sprintf("role %s may not send %s (sent by %v)", p.Role, ev.Type, ev.Type.Roles())
		return logged(writeError(w, http.StatusForbidden, msg, nil), "forbidden", msg)
	}
	// Set by housecall, whatever the caller sent; At is also the reference
	// of the times' window (sop.Limits).
	ev.Actor = p.Actor
	if p.Role == sop.RoleAdmin {
		ev.Actor.Role = sop.RoleCallCentre
		ev.Actor.Subject = "admin"
	}
	ev.At = s.Now().UTC()
	if bad := ev.Validate(); len(bad) > 0 {
		return logged(writeError(w, http.StatusBadRequest, "invalid "+string(ev.Type)+" event", bad), "invalid", fmt.Sprint(bad))
	}

	if key == "" {
		// No key: each call is a new event (a Temporal update id of its own).
		res := s.sendEvent(r.Context(), id, ev, "")
		body := res.body(r)
		if res.status != http.StatusOK {
			log.Info("event not taken", zap.Int("status", res.status), zap.String("reason", res.detail))
		}
		return logged(writeRaw(w, res.status, body), res.outcome, res.msg)
	}

	// With a key: one row of the log per (request, key), reserved before
	// the event is sent; the key is the Temporal update id, so a retry
	// re-attaches to the same update.
	log = log.With(zap.String("idempotency_key", key))
	entry.Type = string(ev.Type)
	fp := ev.Fingerprint()
	rec, created, mismatch, err := s.Store.ReserveEvent(r.Context(), entry, key, fp, key)
	if err != nil {
		// The database is down: the engineer at the door must still be
		// heard. The event goes to the workflow with the key as its update
		// id (Temporal answers a retry with the update's real outcome); only
		// the check that the key was not used for another event is lost
		// until the database is back (README, Durability).
		log.Warn("event sent without its Idempotency-Key record: the database is unavailable", zap.Error(err))
		res := s.sendEvent(r.Context(), id, ev, key)
		return logged(writeRaw(w, res.status, res.body(r)), res.outcome, res.msg)
	}
	if mismatch {
		msg := fmt.Sprintf("Idempotency-Key %q was used for a different event on request %s; send a new event with a new key", key, id)
		return logged(writeError(w, http.StatusUnprocessableEntity, msg, map[string]string{"Idempotency-Key": "used for a different event"}), "invalid", msg)
	}
	if !created && rec.Final() && len(rec.Response) > 0 {
		// The outcome is known: answer it again (IETF Idempotency-Key).
		log.Info("event replayed", zap.Int("status", rec.HTTPStatus), zap.Int("attempts", rec.Attempts))
		w.Header().Set("Idempotent-Replayed", "true")
		return writeRaw(w, rec.HTTPStatus, rec.Response)
	}
	// New, or in flight, or its outcome unknown (a timeout, Temporal
	// unavailable, the workflow ended): send it with the same update id —
	// Temporal answers the update's real outcome if it exists.
	res := s.sendEvent(r.Context(), id, ev, rec.UpdateID)
	body := res.body(r)
	s.metrics.events.WithLabelValues(string(ev.Type), res.outcome).Inc()
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
		log = log.With(zap.Int("attempts", rec.Attempts))
	}
	if res.status == http.StatusOK {
		log.Info("event taken", zap.String("status", string(res.v.Status)))
	} else {
		log.Info("event not taken", zap.Int("status", res.status), zap.String("reason", res.detail))
	}
	var stored []byte
	if store.FinalOutcome(res.outcome) {
		stored = body
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := s.Store.FinishEvent(ctx, rec.ID, res.outcome, res.status, res.msg, stored); err != nil {
		log.Error("log event outcome", zap.Error(err))
	}
	return writeRaw(w, res.status, body)
}

// idempotencyKey reads the Idempotency-Key header: a structured-field string
// ("…") as the IETF draft has it, or the bare key; at most 128 printable
// ASCII characters. It returns the key, or what is wrong with it.
func idempotencyKey(r *http.Request) (key, problem string) {
	vs := r.Header.Values("Idempotency-Key")
	switch len(vs) {
	case 0:
		return "", ""
	case 1:
	default:
		return "", "give it once"
	}
	k := strings.TrimSpace(vs[0])
	if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
		k = k[1 : len(k)-1]
	}
	switch {
	case k == "":
		return "", "empty"
	case len(k) > maxIdempotencyKey:
		return "", fmt.Sprintf("longer than %d characters", maxIdempotencyKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", "only printable ASCII characters"
		}
	}
	return k, ""
}

const maxIdempotencyKey = 128

// eventResult is the outcome of sending an event.
type eventResult struct {
	v       workflows.View
	status  int
	outcome string // accepted, rejected, forbidden, invalid, not_found, ended, error
	msg     string // the public reason
	detail  string // for the log only
}

// body is the answer's JSON.
func (res eventResult) body(r *http.Request) []byte {
	var v any = res.v
	if res.status != http.StatusOK {
		e := ErrorBody{Error: res.msg}
		if res.outcome == "error" {
			e.RequestID, _ = r.Context().Value(requestIDKey).(string)
		}
		v = e
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return buf.Bytes()
}

func writeRaw(w http.ResponseWriter, status int, body []byte) int {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// sendEvent delivers an event as a Temporal update and maps the outcome to
// an HTTP status: 200 with the new state, 409 when the request cannot take
// it now or has ended, 403 for an engineer not assigned, 404 for no such
// request. With an update id already used, Temporal answers that update's
// outcome instead of applying the event again.
func (s *Server) sendEvent(ctx context.Context, id string, ev sop.Event, updateID string) eventResult {
	var v workflows.View
	handle, err := s.Temporal.UpdateWorkflow(ctx, eventUpdate(id, updateID, ev))
	if err == nil {
		err = handle.Get(ctx, &v)
	}
	if err == nil {
		return eventResult{v: v, status: http.StatusOK, outcome: "accepted"}
	}
	if res, ok := rejection(err); ok {
		return res
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		d, derr := s.Temporal.DescribeWorkflowExecution(ctx, id, "")
		if derr != nil {
			return eventResult{status: http.StatusNotFound, outcome: "not_found", msg: "no request " + id}
		}
		runID := d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		if updateID != "" {
			// A retry: the update may have completed before the run ended.
			if v, ok := s.updateOutcome(ctx, id, runID, updateID); ok {
				return eventResult{v: v, status: http.StatusOK, outcome: "accepted"}
			}
		}
		if ev.Type == sop.EvComplaint {
			// R11.1: a complaint may come long after the request ended.
			return s.reopenForComplaint(ctx, id, runID, ev, updateID)
		}
		st := d.GetWorkflowExecutionInfo().GetStatus()
		return eventResult{status: http.StatusConflict, outcome: "ended",
			msg: fmt.Sprintf("request %s has ended (workflow %s): it takes no more events", id, strings.ToLower(strings.TrimPrefix(st.String(), "WORKFLOW_EXECUTION_STATUS_")))}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return eventResult{status: http.StatusGatewayTimeout, outcome: "error", detail: err.Error(),
			msg: "the request's workflow did not answer in time; the event may still be applied (retry with the same Idempotency-Key to learn its outcome)"}
	}
	return eventResult{status: http.StatusBadGateway, outcome: "error", detail: err.Error(),
		msg: "the event could not be delivered: " + msgTemporal + " with the same Idempotency-Key"}
}

// rejection maps the workflow's refusal of an event to its answer.
func rejection(err error) (eventResult, bool) {
	typ, ok := workflows.IsRejection(err)
	if !ok {
		return eventResult{}, false
	}
	res := eventResult{msg: rejectionMessage(err), status: http.StatusConflict, outcome: "rejected"}
	switch typ {
	case workflows.ErrNotAssigned:
		res.status, res.outcome = http.StatusForbidden, "forbidden"
	case workflows.ErrBadEvent:
		res.status, res.outcome = http.StatusBadRequest, "invalid"
	}
	return res, true
}

// updateOutcome asks for the result of an update of an ended run.
func (s *Server) updateOutcome(ctx context.Context, id, runID, updateID string) (workflows.View, bool) {
	var v workflows.View
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	h := s.Temporal.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: id, RunID: runID, UpdateID: updateID})
	if err := h.Get(ctx, &v); err != nil {
		return v, false
	}
	return v, true
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
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "list events", err)
	}
	if evs == nil {
		evs = []store.ReceivedEvent{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request, _ principal, log *zap.Logger) int {
	ns, err := s.Store.Notifications(r.Context(), r.PathValue("id"))
	if err != nil {
		return unavailable(w, r, log, http.StatusInternalServerError, msgDatabase, "list notifications", err)
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

// Fingerprint is the fingerprint of an event sent with an Idempotency-Key
// (for tests that play a first call's part).
func Fingerprint(ev sop.Event) string { return ev.Fingerprint() }
