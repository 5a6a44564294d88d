package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/store/storetest"
)

// syncBuffer is a bytes.Buffer safe for the banner writer and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDev runs housecall dev in-process on free ports and returns its
// configuration and a function that stops it like Ctrl-C does.
func startDev(t *testing.T, dataDir, dbURL string) (*config.Config, *syncBuffer, func() error) {
	t.Helper()
	t.Setenv("HOUSECALL_DEV_DATA_DIR", dataDir)
	t.Setenv("HOUSECALL_DATABASE_URL", dbURL)
	t.Setenv("HOUSECALL_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("HOUSECALL_TEMPORAL_ADDRESS", "127.0.0.1:0")
	t.Setenv("HOUSECALL_DEV_UI_ADDR", "127.0.0.1:0")
	cfg, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	readyc := make(chan *config.Config, 1)
	errc := make(chan error, 1)
	out := &syncBuffer{}
	go func() { errc <- runDev(ctx, cfg, zap.NewNop(), out, func(c *config.Config) { readyc <- c }) }()
	select {
	case c := <-readyc:
		return c, out, func() error { cancel(); return <-errc }
	case err := <-errc:
		cancel()
		t.Fatalf("housecall dev did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("housecall dev did not start within a minute")
	}
	return nil, nil, nil
}

// housecall dev: everything up in-process, the tokens made and printed, a
// request started through the API survives a restart (SQLite under
// dev.data_dir), and it stops cleanly.
func TestDevRunsEverythingAndKeepsRequestsAcrossRestarts(t *testing.T) {
	_, dbURL := storetest.New(t)
	dir := t.TempDir()
	cfg, out, stop := startDev(t, dir, dbURL)
	banner := out.String()
	for _, want := range []string{"housecall dev is up", "Temporal UI", "callcentre", "engineer:E-1", "Demo roster"} {
		if !strings.Contains(banner, want) {
			t.Fatalf("banner lacks %q:\n%s", want, banner)
		}
	}
	tok, err := clientToken(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &starter.Client{BaseURL: "http://" + cfg.HTTPAddr, Token: tok}
	ctx := context.Background()
	res, err := c.CreateRequest(ctx, []byte(`{"id":"SR-DEV-1","customer":{"name":"A","phone":"13800138000","address":"X road 1","region":"north"},
		"product":{"model":"M","purchase_date":"2026-06-01"},"symptoms":"noise"}`))
	if err != nil || res.Status != 201 {
		t.Fatalf("create: %v %d %s", err, res.Status, res.Body)
	}
	if res, err = c.SendEvent(ctx, "SR-DEV-1", []byte(`{"type":"triaged","category":"misuse"}`), ""); err != nil || res.Status != 200 {
		t.Fatalf("event: %v %d %s", err, res.Status, res.Body)
	}
	// Payloads are encrypted with a dev key kept in dev.data_dir, and the
	// dev UI decodes them through the API's codec endpoint.
	key, err := os.ReadFile(filepath.Join(dir, codecKeyFile))
	if err != nil || cfg.Codec == nil || !strings.HasPrefix(string(key), cfg.Codec.KeyID()+"=") {
		t.Fatalf("dev codec key: %v %q", err, key)
	}
	if len(cfg.CodecOrigins) == 0 {
		t.Fatal("the dev UI's origin may not call /codec")
	}
	resp, err := http.Get(cfg.CodecOrigins[0] + "/api/v1/settings")
	if err != nil {
		t.Fatal(err)
	}
	var settings struct {
		Codec struct{ Endpoint string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&settings)
	resp.Body.Close()
	if want := "http://" + cfg.HTTPAddr + "/codec/t/"; !strings.HasPrefix(settings.Codec.Endpoint, want) {
		t.Fatalf("UI codec endpoint %q, want %s…", settings.Codec.Endpoint, want)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	cfg, _, stop = startDev(t, dir, dbURL)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("second stop: %v", err)
		}
	}()
	tok2, _ := clientToken(cfg)
	if tok2 != tok {
		t.Fatal("dev tokens changed across a restart")
	}
	if key2, _ := os.ReadFile(filepath.Join(dir, codecKeyFile)); !bytes.Equal(key2, key) || cfg.Codec.KeyID() != strings.Split(string(key), "=")[0] {
		t.Fatal("dev codec key changed across a restart")
	}
	c.BaseURL = "http://" + cfg.HTTPAddr
	res, err = c.GetRequest(ctx, "SR-DEV-1")
	if err != nil || res.Status != 200 {
		t.Fatalf("after restart: %v %d %s", err, res.Status, res.Body)
	}
	var v struct{ Status string }
	_ = json.Unmarshal(res.Body, &v)
	if v.Status != "consulting" {
		t.Fatalf("status after restart %q", v.Status)
	}
}

// run executes housecall with args in-process and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// The client commands against a running housecall dev: create, event, show,
// list; audit with compliance, --json and verify; errors exit non-zero with
// the API's reason.
func TestClientCommands(t *testing.T) {
	_, dbURL := storetest.New(t)
	dir := t.TempDir()
	cfg, _, stop := startDev(t, dir, dbURL)
	defer func() { _ = stop() }()
	t.Setenv("HOUSECALL_CLIENT_URL", "http://"+cfg.HTTPAddr)

	out, err := run(t, "request", "create", "-f", "../../examples/request.json")
	if err != nil || !strings.Contains(out, "created request SR-") || !strings.Contains(out, "waits for  event triaged") {
		t.Fatalf("create: %v\n%s", err, out)
	}
	id := strings.Fields(out[strings.Index(out, "SR-"):])[0]
	if out, err = run(t, "request", "event", id, "triaged", "-d", `{"category":"misuse"}`); err != nil || !strings.Contains(out, "consulting") {
		t.Fatalf("event: %v\n%s", err, out)
	}
	out, err = run(t, "request", "event", id, "followup_result", "-d", `{"resolved":true}`)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "409 Conflict") {
		t.Fatalf("out-of-order event: %v\n%s", err, out)
	}
	if out, err = run(t, "request", "list", "--status", "consulting"); err != nil || !strings.Contains(out, id) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err = run(t, "--client.as", "engineer:E-1", "request", "show", id); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("engineer not assigned may not read: %v\n%s", err, out)
	}
	out, err = run(t, "audit", id)
	if err != nil || !strings.Contains(out, "R2.2") || !strings.Contains(out, "consultation") || !strings.Contains(out, "Compliance") {
		t.Fatalf("audit: %v\n%s", err, out)
	}
	out, err = run(t, "audit", id, "--json")
	if err != nil || !strings.Contains(out, "WorkflowExecutionStarted") && !strings.Contains(out, "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED") {
		t.Fatalf("audit --json: %v\n%.300s", err, out)
	}
	out, err = run(t, "audit", "verify", id)
	if err != nil || !strings.Contains(out, "replays against this build: 1 run(s)") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	// audit check reads Temporal and PostgreSQL directly.
	t.Setenv("HOUSECALL_TEMPORAL_ADDRESS", cfg.TemporalAddress)
	out, err = run(t, "audit", "check", id)
	if err != nil || !strings.Contains(out, id+": ") || !strings.Contains(out, "1 request(s) checked: 1 agree, 0 diverge") {
		t.Fatalf("audit check: %v\n%s", err, out)
	}
	if _, err := devDatabase(t, dbURL).Exec(context.Background(), `INSERT INTO steps (request_id, seq, at) VALUES ($1, 99, now())`, id); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "audit", "check", "--all")
	if !errors.As(err, &ee) || ee.code != 3 || !strings.Contains(out, "phantom") || !strings.Contains(out, "step 99") {
		t.Fatalf("audit check --all of a tampered database: %v\n%s", err, out)
	}
	if _, err = run(t, "audit", "check"); err == nil {
		t.Fatal("audit check without an ID or --all")
	}
}

// devDatabase opens the database a test's housecall dev uses.
func devDatabase(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}
