package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

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
