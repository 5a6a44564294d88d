// Package bench measures housecall: lifecycle throughput against a baseline
// workflow with the same signals, activities and timers, event latency
// through the HTTP API, memory per open request in a worker process, and the
// wall time of the time-skipping test suite. `make bench` runs it through
// `housecall bench`; results go to stdout as a table and to a JSON file.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/housecall/housecall/activities"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/console"
	"github.com/housecall/housecall/devserver"
	"github.com/housecall/housecall/internal/logging"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/worker"
	"github.com/housecall/housecall/workflows"
)

// engineers is the bench roster: enough engineers that bookings do not
// collide (every request also gets its own hour).
const (
	engineers = 50
	region    = "bench"
)

// env is one running housecall: embedded Temporal, a fresh database, the API
// on a loopback HTTP server, and (optionally) an in-process worker.
type env struct {
	srv      *devserver.Server
	temporal client.Client
	store    *store.Store
	dbURL    string
	dropDB   func()
	api      *httptest.Server
	http     *http.Client
	worker   sdkworker.Worker
	queue    string
	tokens   map[string]string
	log      *zap.Logger
	// key encrypts the payloads (codec), as a production deployment does.
	key   codec.Key
	codec *codec.Codec
	// policy is the SOP policy of the API and the workflows it starts.
	policy sop.Policy
	// starter is the API server; console the web console beside it (when
	// envOptions.console), live until stopConsole.
	starter     *starter.Server
	console     *console.Console
	stopConsole context.CancelFunc
}

type envOptions struct {
	persistence string // "sqlite" or "postgres"
	adminDB     string // PostgreSQL server for the bench databases
	inProcess   bool   // run the worker in this process
	queue       string
	// console serves the web console beside the API (console.Mount), with
	// its live updates running.
	console bool
	// historyLimit, when > 0, is the policy's sop.history_limit (a request
	// continues as new past that many history events).
	historyLimit int
}

func randomName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func startEnv(ctx context.Context, o envOptions) (*env, error) {
	e := &env{queue: o.queue, log: zap.NewNop(), tokens: map[string]string{}}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	var err error
	e.dbURL, e.dropDB, err = storetest.CreateOn(ctx, o.adminDB, "housecall_bench_")
	if err != nil {
		return nil, fmt.Errorf("bench database: %w", err)
	}
	if _, err := store.Migrate(ctx, e.dbURL, nil); err != nil {
		return nil, err
	}
	if e.store, err = store.Open(ctx, e.dbURL); err != nil {
		return nil, err
	}
	so := devserver.Options{FrontendAddr: "127.0.0.1:0", SearchAttributes: workflows.SearchAttributeTypes()}
	switch o.persistence {
	case "sqlite":
		// A database file in WAL mode, as `housecall dev` keeps it, in a
		// fresh directory. (The in-memory database is slower: its rollback
		// journal allocates every page it touches, and a visibility row
		// touches ~60 indexes.)
		dir, err := os.MkdirTemp("", "housecall-bench-")
		if err != nil {
			return nil, err
		}
		prev := e.dropDB
		e.dropDB = func() { prev(); _ = os.RemoveAll(dir) }
		so.DataDir = dir
	case "postgres":
		tdb, drop, err := storetest.CreateOn(ctx, o.adminDB, "housecall_bench_temporal_")
		if err != nil {
			return nil, err
		}
		prev := e.dropDB
		e.dropDB = func() { prev(); drop() }
		setPostgres(&so, tdb)
	default:
		return nil, fmt.Errorf("persistence %q is not sqlite or postgres", o.persistence)
	}
	if e.srv, err = devserver.Start(ctx, so); err != nil {
		return nil, fmt.Errorf("embedded Temporal (%s): %w", o.persistence, err)
	}
	if e.key, err = codec.NewKey("bench-"); err != nil {
		return nil, err
	}
	if e.codec, err = codec.New([]codec.Key{e.key}, ""); err != nil {
		return nil, err
	}
	co := client.Options{HostPort: e.srv.FrontendAddr(), Namespace: e.srv.Namespace(), Logger: logging.Temporal(e.log)}
	co.DataConverter, co.FailureConverter = codec.Converters(e.codec)
	if e.temporal, err = client.DialContext(ctx, co); err != nil {
		return nil, err
	}
	if err := worker.Setup(ctx, e.temporal, e.srv.Namespace()); err != nil {
		return nil, err
	}
	if o.inProcess {
		e.worker = worker.New(e.temporal, e.queue, &activities.Activities{Store: e.store, Temporal: e.temporal, Log: e.log}, sdkworker.Options{})
		registerBaseline(e.worker)
		if err := e.worker.Start(); err != nil {
			return nil, err
		}
	}

	var toks []config.Token
	add := func(who string, role sop.Role, subject string) {
		t := randomName("bench-")
		toks = append(toks, config.Token{Token: t, Role: role, Subject: subject})
		e.tokens[who] = t
	}
	add("callcentre", sop.RoleCallCentre, "")
	add("auditor", sop.RoleAuditor, "")
	for i := range engineers {
		id := fmt.Sprintf("EB-%02d", i)
		add("engineer:"+id, sop.RoleEngineer, id)
		if _, err := e.store.UpsertEngineer(ctx, store.Engineer{ID: id, Name: id, Region: region, TravelMinutes: 0, Active: true}); err != nil {
			return nil, err
		}
	}
	p := sop.DefaultPolicy()
	// The happy path knocks at once, before the slot: the door may be
	// knocked on up to sop.door_early before it (R6.4).
	p.DoorEarly = sop.D(365 * 24 * time.Hour)
	if o.historyLimit > 0 {
		p.HistoryLimit = o.historyLimit
	}
	e.policy = p
	api := &starter.Server{Temporal: e.temporal, Store: e.store, TaskQueue: e.queue, Policy: func(time.Time) sop.Policy { return p }, Tokens: toks, Log: e.log,
		Encryption: starter.Encryption{Codec: e.codec}}
	e.starter = api
	if o.console {
		e.api = httptest.NewUnstartedServer(nil)
		if e.console, err = console.New(console.Options{API: api, Store: e.store, Secret: []byte(randomName("bench-console-secret-0123456789-")),
			PublicURL: "http://" + e.api.Listener.Addr().String(), Namespace: e.srv.Namespace(),
			Policy: func(time.Time) sop.Policy { return p }, Log: e.log}); err != nil {
			e.api.Close()
			e.api = nil
			return nil, err
		}
		var cctx context.Context
		cctx, e.stopConsole = context.WithCancel(context.WithoutCancel(ctx))
		e.console.Start(cctx)
		e.api.Config.Handler = console.Mount(api.Handler(), e.console)
		e.api.Start()
	} else {
		e.api = httptest.NewServer(api.Handler())
	}
	e.http = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	ok = true
	return e, nil
}

func (e *env) close() {
	if e.stopConsole != nil {
		e.stopConsole()
	}
	if e.api != nil {
		// Open event streams (/live) end with the console's context.
		e.api.CloseClientConnections()
		e.api.Close()
	}
	if e.worker != nil {
		e.worker.Stop()
	}
	if e.temporal != nil {
		e.temporal.Close()
	}
	if e.srv != nil {
		_ = e.srv.Stop()
	}
	if e.store != nil {
		e.store.Close()
	}
	if e.dropDB != nil {
		e.dropDB()
	}
}

func (e *env) client(who string) *starter.Client {
	return &starter.Client{BaseURL: e.api.URL, Token: e.tokens[who], HTTP: e.http}
}

// view is the part of a request's state the bench reads.
type view struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Engineer string `json:"engineer"`
	Seq      int64  `json:"seq"`
}

// call posts body to path as who and decodes the state it answers.
func (e *env) call(ctx context.Context, who, method, path string, body any) (view, error) {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	res, err := e.client(who).Do(ctx, method, path, b, nil)
	if err != nil {
		return view{}, err
	}
	if err := res.Err(); err != nil {
		return view{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	var v view
	if err := json.Unmarshal(res.Body, &v); err != nil {
		return v, err
	}
	return v, nil
}

func (e *env) event(ctx context.Context, who, id string, ev map[string]any) (view, error) {
	return e.call(ctx, who, http.MethodPost, "/v1/requests/"+id+"/events", ev)
}

// newRequest is a request body for the bench region.
func newRequest(id string) map[string]any {
	return map[string]any{
		"id":       id,
		"customer": map[string]any{"name": "Bench Customer", "phone": "13800138000", "address": "1 Bench Road", "region": region},
		"product":  map[string]any{"model": "BM-1", "purchase_date": time.Now().AddDate(0, -3, 0).Format("2006-01-02")},
		"symptoms": "does not start",
	}
}
