// Package housecalltest runs the whole of housecall for integration tests:
// a real Temporal server in-process (go.temporal.io/server/temporaltest), a
// fresh database on the real PostgreSQL, the worker with the real activities
// and the HTTP API on an httptest server. Payloads are encrypted (codec) with
// a key made for the test, as in production.
package housecalltest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/housecall/housecall/activities"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/consistency"
	"github.com/housecall/housecall/console"
	"github.com/housecall/housecall/internal/logging"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/worker"
)

// Env is a running housecall.
type Env struct {
	T        testing.TB
	Temporal client.Client
	Server   *temporaltest.TestServer
	Store    *store.Store
	DBURL    string
	// Metrics are the worker's (steps waiting for the database).
	Metrics *prometheus.Registry
	// API serves the HTTP API and the web console (console.Mount).
	API *httptest.Server
	// Console is the web console served beside the API.
	Console *console.Console
	// ConsoleSecret signs its sessions and customer links.
	ConsoleSecret []byte
	// Starter is the API server (in-process calls).
	Starter *starter.Server
	Log     *zap.Logger
	Policy  sop.Policy
	Queue   string
	// Codec encrypts every payload the test's clients and worker write.
	Codec  *codec.Codec
	tokens map[string]string
}

// Options change the environment.
type Options struct {
	// Policy replaces the SOP policy (shortened durations).
	Policy *sop.Policy
	// Engineers get tokens "engineer:ID".
	Engineers []string
	// Quiet drops logs.
	Quiet bool
	// Interceptors are the worker's (fault injection).
	Interceptors []interceptor.WorkerInterceptor
	// AdminURL is the PostgreSQL server to make the database on (default:
	// storetest.AdminURL; a storetest.Cluster's to play outages).
	AdminURL string
	// NoFinalCheck skips the check, when the test ends, that PostgreSQL
	// and the history of every request agree (audit check).
	NoFinalCheck bool
}

// Start brings housecall up for t; everything stops when t ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	e := &Env{T: t, Queue: "housecall-test", tokens: map[string]string{}}
	e.Log = zap.NewNop()
	if !o.Quiet {
		if tt, ok := t.(*testing.T); ok {
			e.Log = zaptest.NewLogger(tt, zaptest.Level(zap.WarnLevel))
		}
	}
	e.Policy = sop.DefaultPolicy()
	if o.Policy != nil {
		e.Policy = *o.Policy
	}
	if o.AdminURL == "" {
		o.AdminURL = storetest.AdminURL()
	}
	e.Store, e.DBURL = storetest.NewOn(t, o.AdminURL)

	key, err := codec.NewKey("test-")
	if err != nil {
		t.Fatal(err)
	}
	if e.Codec, err = codec.New([]codec.Key{key}, ""); err != nil {
		t.Fatal(err)
	}
	base := client.Options{Logger: logging.Temporal(e.Log)}
	base.DataConverter, base.FailureConverter = codec.Converters(e.Codec)
	opts := []temporaltest.TestServerOption{
		temporaltest.WithBaseClientOptions(base),
		temporaltest.WithBaseWorkerOptions(sdkworker.Options{}),
	}
	if tt, ok := t.(*testing.T); ok {
		opts = append(opts, temporaltest.WithT(tt))
	}
	e.Server = temporaltest.NewServer(opts...)
	if _, ok := t.(*testing.T); !ok {
		t.Cleanup(e.Server.Stop)
	}
	e.Temporal = e.Server.GetDefaultClient()
	if err := worker.Setup(context.Background(), e.Temporal, e.Server.GetDefaultNamespace()); err != nil {
		t.Fatal(err)
	}
	e.Metrics = prometheus.NewRegistry()
	acts := &activities.Activities{Store: e.Store, Temporal: e.Temporal, Log: e.Log, Metrics: activities.NewMetrics(e.Metrics)}
	if len(o.Interceptors) == 0 {
		e.Server.NewWorker(e.Queue, func(r sdkworker.Registry) { worker.Register(r, acts) })
	} else {
		// A fault-injecting worker, with production's panic policy: a panic
		// fails the workflow task (as a crashed worker would), never the
		// workflow (temporaltest's own workers fail the workflow).
		w := sdkworker.New(e.Temporal, e.Queue, sdkworker.Options{Interceptors: o.Interceptors, WorkflowPanicPolicy: sdkworker.BlockWorkflow})
		worker.Register(w, acts)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}

	var toks []config.Token
	add := func(tok string, role sop.Role, subject string) {
		toks = append(toks, config.Token{Token: tok, Role: role, Subject: subject})
		key := string(role)
		if subject != "" {
			key += ":" + subject
		}
		e.tokens[key] = tok
	}
	add("tok-callcentre", sop.RoleCallCentre, "")
	add("tok-auditor", sop.RoleAuditor, "")
	add("tok-admin", sop.RoleAdmin, "")
	for _, id := range o.Engineers {
		add("tok-engineer-"+id, sop.RoleEngineer, id)
	}
	srv := &starter.Server{
		Temporal:   e.Temporal,
		Store:      e.Store,
		TaskQueue:  e.Queue,
		Policy:     func(time.Time) sop.Policy { return e.Policy },
		Tokens:     toks,
		Log:        e.Log,
		Encryption: starter.Encryption{Codec: e.Codec, Origins: []string{UIOrigin}},
	}
	api := srv.Handler()
	e.Starter = srv
	e.ConsoleSecret = []byte("housecall-test-console-secret-0123456789")
	e.API = httptest.NewUnstartedServer(nil)
	con, err := console.New(console.Options{
		API:           srv,
		Store:         e.Store,
		Secret:        e.ConsoleSecret,
		PublicURL:     "http://" + e.API.Listener.Addr().String(),
		TemporalUIURL: UIOrigin,
		Namespace:     e.Server.GetDefaultNamespace(),
		Policy:        func(time.Time) sop.Policy { return e.Policy },
		Log:           e.Log.Named("console"),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Console = con
	cctx, stopConsole := context.WithCancel(context.Background())
	con.Start(cctx)
	e.API.Config.Handler = console.Mount(api, con)
	e.API.Start()
	t.Cleanup(e.API.Close)
	t.Cleanup(stopConsole)
	if !o.NoFinalCheck {
		// Whatever the test did, PostgreSQL and the histories agree at its end.
		t.Cleanup(func() { e.CheckAll() })
	}
	return e
}

// UIOrigin is the Temporal UI's origin the test API allows to call /codec.
const UIOrigin = "http://ui.housecall.test:8233"

// RawClient is a Temporal client without the codec: it sees the histories
// as the Temporal server stores them.
func (e *Env) RawClient() client.Client {
	return e.Server.NewClientWithOptions(client.Options{Logger: logging.Temporal(e.Log)})
}

// consistency is what audit check reads: this Temporal and this database,
// decoding the test's histories with its codec.
func (e *Env) consistency() consistency.Live {
	dc, _ := codec.Converters(e.Codec)
	return consistency.Live{Temporal: e.Temporal, Store: e.Store, DataConverter: dc}
}

// Check compares PostgreSQL's records of a request with its history.
func (e *Env) Check(id string) consistency.Report {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := consistency.Check(ctx, e.consistency(), id)
	if err != nil {
		e.T.Fatalf("audit check %s: %v", id, err)
	}
	return rep
}

// CheckAll fails the test when PostgreSQL and the history of any request
// disagree (housecall audit check --all), after letting steps still being
// written finish.
func (e *Env) CheckAll() {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := e.consistency()
	ids, err := src.AllIDs(ctx)
	if err != nil {
		e.T.Errorf("audit check --all: %v", err)
		return
	}
	for _, id := range ids {
		var rep consistency.Report
		for range 100 {
			if rep, err = consistency.Check(ctx, src, id); err != nil || len(rep.Pending) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			e.T.Errorf("audit check %s: %v", id, err)
			continue
		}
		for _, d := range rep.Divergences {
			e.T.Errorf("audit check %s: %s %s step %d: %s", id, d.What, d.Table, d.Seq, d.Detail)
		}
	}
}

// For returns the environment reporting to t (a subtest).
func (e *Env) For(t testing.TB) *Env {
	c := *e
	c.T = t
	return &c
}

// Token is who's API token ("callcentre", "engineer:E-1", …).
func (e *Env) Token(who string) string {
	tok, ok := e.tokens[who]
	if !ok {
		e.T.Fatalf("no token for %q", who)
	}
	return tok
}

// As returns an API client acting as who: "callcentre", "auditor", "admin",
// "engineer:E-1", or "" for no token.
func (e *Env) As(who string) *starter.Client {
	tok := ""
	if who != "" {
		var ok bool
		if tok, ok = e.tokens[who]; !ok {
			e.T.Fatalf("no token for %q", who)
		}
	}
	return &starter.Client{BaseURL: e.API.URL, Token: tok}
}

// Call sends a request and decodes the JSON answer into out (may be nil),
// failing the test when the status is not want.
func (e *Env) Call(who, method, path string, body any, want int, out any) starter.Response {
	e.T.Helper()
	var b []byte
	switch x := body.(type) {
	case nil:
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(x); err != nil {
			e.T.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := e.As(who).Do(ctx, method, path, b, nil)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	if res.Status != want {
		e.T.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, who, res.Status, want, strings.TrimSpace(string(res.Body)))
	}
	if out != nil {
		if err := json.Unmarshal(res.Body, out); err != nil {
			e.T.Fatalf("%s %s: decode %s: %v", method, path, res.Body, err)
		}
	}
	return res
}

// Eventually polls cond until it holds or d passes.
func (e *Env) Eventually(d time.Duration, what string, cond func() bool) {
	e.T.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			e.T.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// AddEngineer puts an engineer on the roster through the API.
func (e *Env) AddEngineer(id, region string, travelMinutes int, skills ...string) {
	e.T.Helper()
	e.Call("admin", "POST", "/v1/engineers", map[string]any{
		"id": id, "name": "Engineer " + id, "region": region, "skills": skills, "travel_minutes": travelMinutes,
	}, 201, nil)
}

// Event posts an event and returns the answer's status and body.
func (e *Env) Event(who, id string, ev map[string]any) starter.Response {
	e.T.Helper()
	b, _ := json.Marshal(ev)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := e.As(who).SendEvent(ctx, id, b, "")
	if err != nil {
		e.T.Fatalf("event %v: %v", ev["type"], err)
	}
	return res
}

// MustEvent posts an event that must be taken (200) and returns the new state.
func (e *Env) MustEvent(who, id string, ev map[string]any) map[string]any {
	e.T.Helper()
	res := e.Event(who, id, ev)
	if res.Status != 200 {
		e.T.Fatalf("event %v on %s as %s: %d %s", ev["type"], id, who, res.Status, res.Body)
	}
	var v map[string]any
	_ = json.Unmarshal(res.Body, &v)
	return v
}

// State reads GET /v1/requests/{id} as the call centre.
func (e *Env) State(id string) map[string]any {
	e.T.Helper()
	var v map[string]any
	e.Call("callcentre", "GET", "/v1/requests/"+id, nil, 200, &v)
	return v
}

// Kinds returns the kinds of a request's timeline entries (auditor's view).
func (e *Env) Kinds(id string) []string {
	e.T.Helper()
	var tl struct {
		Entries []struct {
			Kind string `json:"kind"`
		} `json:"entries"`
	}
	e.Call("auditor", "GET", "/v1/requests/"+id+"/timeline", nil, 200, &tl)
	out := make([]string, len(tl.Entries))
	for i, en := range tl.Entries {
		out[i] = en.Kind
	}
	return out
}

// Count counts occurrences of kind in kinds.
func Count(kinds []string, kind string) int {
	n := 0
	for _, k := range kinds {
		if k == kind {
			n++
		}
	}
	return n
}

// Fmt is fmt.Sprintf, for building paths.
var Fmt = fmt.Sprintf
