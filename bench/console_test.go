package bench

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store/storetest"
)

// The console phase of `make bench`, at a tiny scale so that its machinery
// cannot rot: seeding through store.Commit and store.Book, sign-in and page
// loads through the real handler, a real request driven until it continues
// as new, and live updates timed over a real GET /live stream. No timing is
// asserted here (targets belong to the bench), only that every figure was
// measured.
func TestConsoleBenchAtTinyScale(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded Temporal server and a PostgreSQL database")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := DefaultConfig()
	cfg.AdminDB = storetest.AdminURL()
	cfg.Console = ConsoleConfig{Requests: 200, Engineers: 4, Loads: 5, AuditLoads: 3, HistoryEvents: 150, HistoryLimit: 100, Live: 3}
	hour := 0
	slot := func() time.Time {
		hour++
		return time.Now().UTC().Truncate(time.Hour).Add(time.Duration(48+hour) * time.Hour)
	}
	res, err := runConsole(ctx, cfg, slot, t.Logf)
	if res == nil {
		t.Fatalf("no result: %v", err)
	}

	// Seeded: every request a row, the board day's appointments booked.
	if res.Seed.Requests != 200 {
		t.Errorf("PostgreSQL holds %d seeded requests, want 200", res.Seed.Requests)
	}
	// The board day holds 7 slots for each of 4 engineers, taken by the
	// scheduled requests.
	if want := min(4*7, res.Seed.ByStatus[sop.StatusScheduled]); want == 0 || res.Seed.Appointments != want {
		t.Errorf("%d appointments booked on %s, want %d (%d scheduled requests, 7 slots for each of 4 engineers)",
			res.Seed.Appointments, res.Seed.BoardDay, want, res.Seed.ByStatus[sop.StatusScheduled])
	}
	n := 0
	for _, c := range res.Seed.ByStatus {
		n += c
	}
	if n != 200 || len(res.Seed.ByStatus) < 10 {
		t.Errorf("seeded statuses %v: want 200 requests over most statuses", res.Seed.ByStatus)
	}
	if res.Seed.Overdue == 0 || res.Seed.Overdue > 100 {
		t.Errorf("%d of 200 requests have an overdue clock, want some and not most", res.Seed.Overdue)
	}

	// Pages: each loaded 5 times with its p50/p99, or a placeholder.
	want := []string{"centre", "centre status", "centre region", "centre overdue", "centre search phone", "board", "api list", "api list status", "api list region", "api list engineer", "api engineer day", "audit request"}
	if len(res.Pages) != len(want) {
		t.Fatalf("pages measured: %+v, want %v", res.Pages, want)
	}
	anyFailed := false
	for i, p := range res.Pages {
		if p.Name != want[i] {
			t.Errorf("page %d is %q, want %q", i, p.Name, want[i])
		}
		switch {
		case p.Status == http.StatusOK:
			loads := cfg.Console.Loads
			if p.Name == "audit request" {
				loads = cfg.Console.AuditLoads
			}
			if p.Loads != loads || p.P50 <= 0 || p.P99 < p.P50 || p.Max < p.P99 || p.Bytes == 0 || p.Error != "" {
				t.Errorf("%s: %+v, want %d loads with their figures", p.Path, p, loads)
			}
			if p.Met != (p.P99 <= p.TargetP99) {
				t.Errorf("%s: met %v with p99 %.1f against %.0f", p.Path, p.Met, p.P99, p.TargetP99)
			}
		default:
			anyFailed = true
			t.Errorf("%s answered %d: %s", p.Path, p.Status, p.Error)
		}
	}
	if anyFailed {
		if !errors.Is(err, ErrConsoleMissed) || res.Met {
			t.Errorf("a page did not answer 200, yet the phase returned %v and met=%v: the bench must fail loudly", err, res.Met)
		}
	} else if err != nil {
		t.Errorf("every page answered 200, yet: %v", err)
	}

	// The long request: a real workflow that continued as new.
	h := res.History
	if h == nil {
		t.Fatal("no long history")
	}
	if h.Runs < 2 || h.HistoryEvents < cfg.Console.HistoryEvents || h.Visits < 1 || h.SOPEvents < 2+7*h.Visits {
		t.Errorf("long history %+v: want %d+ history events over 2+ runs", h, cfg.Console.HistoryEvents)
	}

	// Live updates: both ways, every sample arrived on the stream.
	if len(res.Live) != 2 {
		t.Fatalf("live results %+v", res.Live)
	}
	for i, l := range res.Live {
		if from := []string{"api_event", "store_commit"}[i]; l.From != from {
			t.Errorf("live result %d from %q, want %q", i, l.From, from)
		}
		if l.Error != "" || l.Samples != cfg.Console.Live || l.P50 <= 0 || l.Max < l.P99 || l.P99 < l.P50 {
			t.Errorf("live update from %s: %+v, want %d samples", l.From, l, cfg.Console.Live)
		}
		if l.Met != (l.Max <= TargetLiveMax) {
			t.Errorf("live update from %s: met %v with max %.1f", l.From, l.Met, l.Max)
		}
	}

	// results.json carries it under "console", and the table prints it.
	out := &Results{Config: cfg, Console: res}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := out.Write(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Console struct {
			Pages []PageResult `json:"pages"`
			Live  []LiveResult `json:"live_update"`
		} `json:"console"`
	}
	if err := json.Unmarshal(b, &back); err != nil || len(back.Console.Pages) != len(want) || len(back.Console.Live) != 2 ||
		back.Console.Pages[0].TargetP99 != TargetListP99 {
		t.Errorf("results.json console part: %v %s", err, b)
	}
	var table strings.Builder
	out.Table(&table)
	for _, s := range []string{"/centre", "/board?day=" + res.Seed.BoardDay, pathAuditRequest + h.ID, "api_event", "store_commit", "console targets:"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("the table does not show %q:\n%s", s, table.String())
		}
	}
}

// measurePage times a 200 page over the session and stops at the first
// other answer, naming its status and what the page says.
func TestMeasurePage(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("token") != "tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "hc_session", Value: "s1"})
		http.Redirect(w, r, "/centre", http.StatusSeeOther)
	})
	loads := 0
	mux.HandleFunc("GET /centre", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("hc_session"); err != nil || c.Value != "s1" {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		loads++
		_, _ = w.Write([]byte("<html><main>queue 13900000000</main></html>"))
	})
	mux.HandleFunc("GET /board", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = w.Write([]byte("<html><nav>x</nav><main><h1>Error (501)</h1><p>/board is being built</p></main></html>"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	e := &env{api: srv, http: srv.Client(), tokens: map[string]string{"callcentre": "tok", "nobody": "bad"}}
	ctx := context.Background()
	if _, err := e.signIn(ctx, "nobody"); err == nil {
		t.Fatal("signed in with a wrong token")
	}
	s, err := e.signIn(ctx, "callcentre")
	if err != nil {
		t.Fatal(err)
	}
	r := e.measurePage(ctx, s, "centre", "callcentre", "/centre", 7, TargetListP99)
	if r.Error != "" || r.Status != 200 || r.Loads != 7 || loads != 9 || r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 ||
		!strings.Contains(r.body, "13900000000") || r.Met != (r.P99 <= TargetListP99) {
		t.Errorf("centre: %+v after %d loads (2 warm-up)", r.PageResult, loads)
	}
	r = e.measurePage(ctx, s, "board", "callcentre", "/board", 7, TargetListP99)
	if r.Status != 501 || r.Loads != 0 || r.Met || r.Error != "GET /board as callcentre answered 501, not 200: Error (501) /board is being built" {
		t.Errorf("board: %+v", r.PageResult)
	}
}
