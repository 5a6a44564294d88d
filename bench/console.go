package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// The web console's performance (issue 11): the call centre's queue and the
// dispatch board with 10,000 requests in PostgreSQL, an auditor's page of a
// request with a long history (continue-as-new, 2,000+ history events), and
// how soon a committed step reaches an open page over Server-Sent Events.

// ConsoleConfig sizes the console phase.
type ConsoleConfig struct {
	// Requests are seeded into PostgreSQL (store.Commit, no workflows).
	Requests int `json:"requests"`
	// Engineers hold the board day's appointments.
	Engineers int `json:"engineers"`
	// Loads of each list page (after two warm-up loads).
	Loads int `json:"page_loads"`
	// AuditLoads of the auditor's page of the long request.
	AuditLoads int `json:"audit_loads"`
	// HistoryEvents is the least number of Temporal history events, across
	// its runs, of the long request.
	HistoryEvents int `json:"history_events"`
	// HistoryLimit is sop.history_limit in the console phase: the long
	// request continues as new past it.
	HistoryLimit int `json:"history_limit"`
	// Live is the number of live updates timed, for each way of making one.
	Live int `json:"live_updates"`
}

// DefaultConsoleConfig are the sizes of `make bench`.
func DefaultConsoleConfig() ConsoleConfig {
	return ConsoleConfig{Requests: 10000, Engineers: 20, Loads: 200, AuditLoads: 20, HistoryEvents: 2000, HistoryLimit: 800, Live: 50}
}

// Targets of issue 11, in milliseconds.
const (
	TargetListP99  = 50.0   // /centre and /board with 10,000 requests, p99
	TargetAuditP99 = 500.0  // the auditor's page of a long request
	TargetLiveMax  = 1000.0 // a committed step reaches an open page
)

// Console paths the bench loads. The queries are the centre's filters as
// the HTTP API names them (GET /v1/requests?status=&region=&engineer=); q
// searches by id, phone or serial, overdue=1 keeps the overdue clocks.
// After the pages are merged, check these against console/centre.go and
// console/board.go (a filter the page does not know is silently ignored:
// compare the bytes of the filtered and unfiltered pages in the results).
const (
	pathCentre       = "/centre"
	pathBoard        = "/board"
	pathAuditRequest = "/audit/requests/"
	pathLive         = "/live"
)

// ConsoleResult is the console part of bench/results.json.
type ConsoleResult struct {
	Config  ConsoleConfig `json:"config"`
	Seed    SeedResult    `json:"seed"`
	Pages   []PageResult  `json:"pages"`
	History *HistoryInfo  `json:"long_history,omitempty"`
	Live    []LiveResult  `json:"live_update"`
	// Met says every figure met its target (and every page answered 200).
	Met     bool     `json:"all_met"`
	Errors  []string `json:"errors,omitempty"`
	Seconds float64  `json:"seconds"`
}

// SeedResult says what the lists were measured against, and how it was made.
type SeedResult struct {
	Requests     int    `json:"requests"`
	Engineers    int    `json:"engineers"`
	Regions      int    `json:"regions"`
	Appointments int    `json:"appointments_on_board_day"`
	BoardDay     string `json:"board_day"`
	Overdue      int    `json:"requests_with_an_overdue_clock"`
	// ByStatus counts the seeded requests of each status.
	ByStatus map[sop.Status]int `json:"by_status"`
	Seconds  float64            `json:"seconds"`
	How      string             `json:"how"`
}

// PageResult is one page loaded again and again through the real HTTP
// handler (loopback HTTP, signed-in session cookie), one load at a time.
type PageResult struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	As     string `json:"as"`
	Status int    `json:"status"` // 200, or the first other status met
	Loads  int    `json:"loads"`
	Bytes  int    `json:"bytes"` // of the last load
	// Check is a sanity check of what the page shows ("" when none applies).
	Check     string  `json:"check,omitempty"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
	TargetP99 float64 `json:"target_p99_ms"`
	Met       bool    `json:"met"`
	Error     string  `json:"error,omitempty"`
}

// HistoryInfo is the long request the auditor's page shows.
type HistoryInfo struct {
	ID            string  `json:"id"`
	Runs          int     `json:"runs"`
	HistoryEvents int     `json:"history_events"`
	SOPEvents     int     `json:"sop_events"`
	Visits        int     `json:"visits"`
	Seconds       float64 `json:"build_seconds"`
	How           string  `json:"how"`
}

// LiveResult is the time from a step being made until its request id
// arrives on an open GET /live stream.
type LiveResult struct {
	// From is where the clock starts: "api_event" (POST …/events sent: the
	// workflow, its Commit, PostgreSQL's NOTIFY, the console's hub and the
	// stream) or "store_commit" (store.Commit called: the console's part).
	From    string  `json:"from"`
	Samples int     `json:"samples"`
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
	Target  float64 `json:"target_max_ms"`
	Met     bool    `json:"met"`
	Error   string  `json:"error,omitempty"`
}

// ErrConsoleMissed is returned (wrapped) when a console page did not
// answer 200, or a part could not be measured (a missed target is
// reported in the results, not returned).
var ErrConsoleMissed = errors.New("the console bench failed")

// runConsole is the console phase: its own housecall (embedded Temporal on
// SQLite, worker in process, the API with the console mounted).
func runConsole(ctx context.Context, cfg Config, slot func() time.Time, say func(string, ...any)) (*ConsoleResult, error) {
	began := time.Now()
	e, err := startEnv(ctx, envOptions{persistence: "sqlite", adminDB: cfg.AdminDB, inProcess: true, queue: "housecall-console", console: true,
		historyLimit: cfg.Console.HistoryLimit})
	if err != nil {
		return nil, err
	}
	defer e.close()
	res, err := e.consoleBench(ctx, cfg.Console, slot, say)
	if res != nil {
		res.Seconds = time.Since(began).Seconds()
	}
	return res, err
}

// consoleBench measures the console of a running env. Every part runs even
// when one fails; the errors are in the result and the error returned.
func (e *env) consoleBench(ctx context.Context, cc ConsoleConfig, slot func() time.Time, say func(string, ...any)) (*ConsoleResult, error) {
	res := &ConsoleResult{Config: cc}
	fail := func(format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		say("   FAILED: %s", msg)
		res.Errors = append(res.Errors, msg)
	}
	select {
	case <-e.console.Ready():
	case <-time.After(30 * time.Second):
		return nil, errors.New("the console's live updates did not start (LISTEN)")
	}
	centre, err := e.signIn(ctx, "callcentre")
	if err != nil {
		return nil, err
	}
	auditor, err := e.signIn(ctx, "auditor")
	if err != nil {
		return nil, err
	}

	say("   seeding %d requests into PostgreSQL (store.Commit) and a board day of %d engineers (store.Book)", cc.Requests, cc.Engineers)
	seed, err := e.seedConsole(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	res.Seed = seed.SeedResult
	say("     %d requests, %d appointments on %s, %d overdue, in %.1f s", seed.Requests, seed.Appointments, seed.BoardDay, seed.Overdue, seed.Seconds)

	pages := []struct{ name, path, check string }{
		{"centre", pathCentre, ""},
		{"centre status", pathCentre + "?status=" + string(sop.StatusScheduling), ""},
		{"centre region", pathCentre + "?region=" + url.QueryEscape(seed.region), ""},
		{"centre overdue", pathCentre + "?overdue=1", ""},
		{"centre search phone", pathCentre + "?q=" + url.QueryEscape(seed.phone), seed.phone},
		{"board", pathBoard + "?day=" + seed.BoardDay, ""},
	}
	for _, p := range pages {
		r := e.measurePage(ctx, centre, p.name, "callcentre", p.path, cc.Loads, TargetListP99)
		if r.Error == "" && p.check != "" && !strings.Contains(r.body, p.check) {
			r.Check = fmt.Sprintf("the page does not show %q: is the filter applied?", p.check)
		}
		e.sayPage(r.PageResult, say)
		if r.Error != "" {
			fail("%s", r.Error)
		}
		res.Pages = append(res.Pages, r.PageResult)
	}

	// The HTTP API's side at the same size (issue 12): the call centre's
	// list with each filter and one engineer's day from the calendar.
	api := &session{token: e.tokens["callcentre"]}
	for _, p := range apiListPaths(sop.StatusScheduling, seed.region, seed.engineer, seed.BoardDay) {
		r := e.measurePage(ctx, api, p.name, "callcentre (API)", p.path, cc.Loads, TargetListP99)
		e.sayPage(r.PageResult, say)
		if r.Error != "" {
			fail("%s", r.Error)
		}
		res.Pages = append(res.Pages, r.PageResult)
	}

	say("   a request with a long history: visits until it has %d+ history events over 2+ runs (sop.history_limit %d)", cc.HistoryEvents, cc.HistoryLimit)
	h, err := e.longHistory(ctx, "CONSOLE-LONG", cc, slot, say)
	if err != nil {
		fail("long history: %v", err)
	} else {
		res.History = h
		say("     %s: %d history events in %d runs, %d SOP events, %d visits, built in %.1f s", h.ID, h.HistoryEvents, h.Runs, h.SOPEvents, h.Visits, h.Seconds)
		r := e.measurePage(ctx, auditor, "audit request", "auditor", pathAuditRequest+url.PathEscape(h.ID), cc.AuditLoads, TargetAuditP99)
		e.sayPage(r.PageResult, say)
		if r.Error != "" {
			fail("%s", r.Error)
		}
		res.Pages = append(res.Pages, r.PageResult)
	}

	say("   live updates: %d steps each way until the id arrives on GET %s", cc.Live, pathLive)
	for _, from := range []string{"api_event", "store_commit"} {
		l := e.liveLatency(ctx, centre, from, cc.Live, seed.liveID, slot)
		if l.Error != "" {
			fail("live update (%s): %s", from, l.Error)
		} else {
			say("     from %s: p50 %.1f ms, p99 %.1f ms, max %.1f ms (target max ≤ %.0f ms)", from, l.P50, l.P99, l.Max, l.Target)
		}
		res.Live = append(res.Live, l)
	}

	res.Met = len(res.Errors) == 0
	for _, p := range res.Pages {
		res.Met = res.Met && p.Met
	}
	for _, l := range res.Live {
		res.Met = res.Met && l.Met
	}
	if len(res.Errors) > 0 {
		return res, fmt.Errorf("%w: %d failure(s) (listed above), the first: %s", ErrConsoleMissed, len(res.Errors), res.Errors[0])
	}
	return res, nil
}

// apiListPaths are the HTTP API's reads that must stay fast however many
// requests there are (issue 12): the call centre's list, with each filter,
// and one engineer's day from the calendar.
func apiListPaths(status sop.Status, region, engineer, day string) []struct{ name, path string } {
	return []struct{ name, path string }{
		{"api list", "/v1/requests"},
		{"api list status", "/v1/requests?status=" + string(status)},
		{"api list region", "/v1/requests?region=" + url.QueryEscape(region)},
		{"api list engineer", "/v1/requests?engineer=" + url.QueryEscape(engineer)},
		{"api engineer day", "/v1/engineers/" + url.PathEscape(engineer) + "/day?date=" + day},
	}
}

func (e *env) sayPage(r PageResult, say func(string, ...any)) {
	if r.Error != "" {
		return
	}
	met := "met"
	if !r.Met {
		met = "MISSED"
	}
	say("     GET %s as %s: p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d loads, %d bytes (p99 ≤ %.0f ms: %s)%s",
		r.Path, r.As, r.P50, r.P99, r.Max, r.Loads, r.Bytes, r.TargetP99, met, map[bool]string{true: "; " + r.Check, false: ""}[r.Check != ""])
}

// session is a signed-in console session, or (token set) an API caller
// with a bearer token.
type session struct {
	cookie *http.Cookie
	token  string
}

// signIn signs who in through POST /signin with their API token and keeps
// the session cookie.
func (e *env) signIn(ctx context.Context, who string) (*session, error) {
	form := url.Values{"token": {e.tokens[who]}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.api.URL+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cl := *e.http
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in as %s: status %d, want 303", who, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "hc_session" && c.Value != "" {
			return &session{cookie: c}, nil
		}
	}
	return nil, fmt.Errorf("sign in as %s: no session cookie", who)
}

// get loads path with the session and reads the whole answer.
func (e *env) get(ctx context.Context, s *session, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.api.URL+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	} else {
		req.AddCookie(s.cookie)
	}
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	cl := *e.http
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := cl.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

type pageRun struct {
	PageResult
	body string
}

// measurePage loads path n times, one at a time, after two warm-up loads.
// A status other than 200 is an error (the page is measured no further).
func (e *env) measurePage(ctx context.Context, s *session, name, as, path string, n int, target float64) pageRun {
	r := pageRun{PageResult: PageResult{Name: name, Path: path, As: as, TargetP99: target}}
	samples := make([]time.Duration, 0, n)
	for i := -2; i < n; i++ {
		start := time.Now()
		status, body, err := e.get(ctx, s, path)
		d := time.Since(start)
		if err != nil {
			r.Error = fmt.Sprintf("GET %s as %s: %v", path, as, err)
			return r
		}
		r.Status, r.Bytes, r.body = status, len(body), string(body)
		if status != http.StatusOK {
			r.Error = fmt.Sprintf("GET %s as %s answered %d, not 200: %s", path, as, status, excerpt(body))
			return r
		}
		if i >= 0 {
			samples = append(samples, d)
		}
	}
	r.Loads = len(samples)
	r.P50, r.P99, r.Max = quantiles(samples)
	r.Met = r.P99 <= target
	return r
}

// excerpt is the readable start of a page, for an error message.
func excerpt(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	s = strings.Join(strings.Fields(stripTags(s)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quantiles returns p50, p99 and max in milliseconds.
func quantiles(samples []time.Duration) (p50, p99, max float64) {
	if len(samples) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(p*float64(len(s)-1) + 0.5)
		return float64(s[i]) / float64(time.Millisecond)
	}
	return q(0.50), q(0.99), q(1)
}

// longHistory drives one request through visit after visit — booked,
// departed, arrived, door answered, diagnosed, completed with the customer
// not satisfied (R8.3: another visit), card returned — over the HTTP API,
// until its runs hold cc.HistoryEvents history events and it has continued
// as new at least once.
func (e *env) longHistory(ctx context.Context, id string, cc ConsoleConfig, slot func() time.Time, say func(string, ...any)) (*HistoryInfo, error) {
	began := time.Now()
	info := &HistoryInfo{ID: id, How: "one real request driven over the HTTP API, visit after visit (appointment_requested, departed, arrived, " +
		"knocked, diagnosed, completed not satisfied → re-visit, card_returned) until its runs hold enough history events; " +
		"it continues as new past sop.history_limit"}
	body := newRequest(id)
	body["customer"].(map[string]any)["name"] = "长历史 Long History"
	if _, err := e.call(ctx, "callcentre", http.MethodPost, "/v1/requests", body); err != nil {
		return nil, err
	}
	if _, err := e.event(ctx, "callcentre", id, map[string]any{"type": "triaged", "category": "quality"}); err != nil {
		return nil, err
	}
	info.SOPEvents = 2
	dc := e.dataConverter()
	for visit := 1; ; visit++ {
		at := slot()
		v, err := e.event(ctx, "callcentre", id, map[string]any{"type": "appointment_requested", "start": at, "end": at.Add(time.Hour)})
		if err != nil {
			return nil, fmt.Errorf("visit %d: %w", visit, err)
		}
		if v.Status != string(sop.StatusScheduled) {
			return nil, fmt.Errorf("visit %d not booked: %s", visit, v.Status)
		}
		eng := "engineer:" + v.Engineer
		steps := []struct {
			who string
			ev  map[string]any
		}{
			{eng, map[string]any{"type": "departed"}},
			{eng, map[string]any{"type": "arrived"}},
			{eng, map[string]any{"type": "knocked", "answered": true}},
			{eng, map[string]any{"type": "diagnosed", "cause": "intermittent fault", "onsite": true}},
			{eng, map[string]any{"type": "completed", "quality_rating": 3, "attitude_rating": 5, "satisfied": false, "signed_by_customer": true, "fix_certain": false,
				"record": map[string]any{"cause": "intermittent fault", "measures": fmt.Sprintf("visit %d: cleaned and reseated the connectors", visit)}}},
			{"callcentre", map[string]any{"type": "card_returned"}},
		}
		for _, s := range steps {
			if v, err = e.event(ctx, s.who, id, s.ev); err != nil {
				return nil, fmt.Errorf("visit %d, %s: %w", visit, s.ev["type"], err)
			}
		}
		info.SOPEvents += 1 + len(steps)
		info.Visits = visit
		runs, err := audit.Runs(ctx, e.temporal, id, dc)
		if err != nil {
			return nil, err
		}
		info.Runs, info.HistoryEvents = len(runs), 0
		for _, r := range runs {
			info.HistoryEvents += len(r.History.GetEvents())
		}
		if visit%5 == 0 {
			say("     %d visits: %d history events in %d runs", visit, info.HistoryEvents, info.Runs)
		}
		if info.HistoryEvents >= cc.HistoryEvents && info.Runs >= 2 {
			break
		}
		if visit > 1000 {
			return nil, fmt.Errorf("%d visits and still %d history events in %d runs", visit, info.HistoryEvents, info.Runs)
		}
	}
	info.Seconds = time.Since(began).Seconds()
	return info, nil
}

// stream is an open GET /live: the request ids it announces, with when
// each arrived.
type stream struct {
	ids    chan arrival
	cancel context.CancelFunc
	done   chan error
}

type arrival struct {
	id string
	at time.Time
}

// openLive opens the console's event stream with the session.
func (e *env) openLive(ctx context.Context, s *session) (*stream, error) {
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.api.URL+pathLive, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	} else {
		req.AddCookie(s.cookie)
	}
	req.Header.Set("Accept", "text/event-stream")
	cl := &http.Client{Transport: e.http.Transport} // no timeout: the stream stays open
	resp, err := cl.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("GET %s answered %d %s: %s", pathLive, resp.StatusCode, resp.Header.Get("Content-Type"), excerpt(b))
	}
	st := &stream{ids: make(chan arrival, 1024), cancel: cancel, done: make(chan error, 1)}
	hello := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		event, greeted := "", false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				data := strings.TrimSpace(strings.TrimPrefix(line, "data:"))
				if event == "hello" && !greeted {
					greeted = true
					close(hello)
				}
				if event == "request" {
					select {
					case st.ids <- arrival{id: data, at: time.Now()}:
					default:
					}
				}
			case line == "":
				event = ""
			}
		}
		st.done <- sc.Err()
		close(st.ids)
	}()
	select {
	case <-hello:
		return st, nil
	case <-time.After(10 * time.Second):
		st.cancel()
		return nil, fmt.Errorf("GET %s: no hello within 10 s", pathLive)
	}
}

// waitFor waits for id on the stream, skipping other ids.
func (st *stream) waitFor(id string, within time.Duration) (time.Time, error) {
	t := time.NewTimer(within)
	defer t.Stop()
	for {
		select {
		case a, ok := <-st.ids:
			if !ok {
				return time.Time{}, errors.New("the stream ended")
			}
			if a.id == id {
				return a.at, nil
			}
		case <-t.C:
			return time.Time{}, fmt.Errorf("%s did not arrive within %s", id, within)
		}
	}
}

// drain forgets what the stream has announced so far.
func (st *stream) drain() {
	for {
		select {
		case <-st.ids:
		default:
			return
		}
	}
}

// liveLatency times n live updates made one way (LiveResult.From). The
// "api_event" updates are `delayed` events of an engineer on the way (each
// a full step of a real workflow); the "store_commit" ones are steps
// committed straight to PostgreSQL for a seeded request.
func (e *env) liveLatency(ctx context.Context, s *session, from string, n int, seededID string, slot func() time.Time) LiveResult {
	out := LiveResult{From: from, Target: TargetLiveMax}
	st, err := e.openLive(ctx, s)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer st.cancel()
	var step func(i int) (string, error)
	switch from {
	case "api_event":
		id := randomName("CONSOLE-LIVE-")
		eng, err := e.enRoute(ctx, id, slot())
		if err != nil {
			out.Error = err.Error()
			return out
		}
		step = func(int) (string, error) {
			_, err := e.event(ctx, eng, id, map[string]any{"type": "delayed", "minutes": 1, "reason": "live update bench"})
			return id, err
		}
	case "store_commit":
		row, err := e.store.GetRequest(ctx, seededID)
		if err != nil {
			out.Error = err.Error()
			return out
		}
		seq := int64(1)
		if err := e.store.Pool.QueryRow(ctx, `SELECT seq FROM requests WHERE id = $1`, seededID).Scan(&seq); err != nil {
			out.Error = err.Error()
			return out
		}
		step = func(i int) (string, error) {
			seq++
			in := workflows.CommitInput{RequestID: seededID, Seq: seq, At: time.Now().UTC(), Projection: projectionOf(row),
				Entries: []workflows.Entry{{At: time.Now().UTC(), Kind: sop.KindCustomerContact, Rule: sop.R4_3, Actor: "callcentre",
					Detail: fmt.Sprintf("bench: customer called back (%d)", i)}}}
			_, err := e.store.Commit(ctx, in)
			return seededID, err
		}
	default:
		out.Error = "unknown way " + from
		return out
	}
	samples := make([]time.Duration, 0, n)
	for i := range n {
		st.drain()
		start := time.Now()
		id, err := step(i)
		if err != nil {
			out.Error = fmt.Sprintf("step %d: %v", i, err)
			return out
		}
		at, err := st.waitFor(id, 10*time.Second)
		if err != nil {
			out.Error = fmt.Sprintf("step %d: %v", i, err)
			return out
		}
		samples = append(samples, at.Sub(start))
	}
	out.Samples = len(samples)
	out.P50, out.P99, out.Max = quantiles(samples)
	out.Met = out.Max <= out.Target
	return out
}

// projectionOf is the projection a request row shows.
func projectionOf(r store.RequestRow) workflows.Projection {
	return workflows.Projection{Kind: r.Kind, Status: r.Status, Customer: r.Customer, Product: r.Product, Symptoms: r.Symptoms,
		Engineer: r.Engineer, Appointment: r.Appointment, Visits: r.Visits, Warranty: r.Warranty, Pending: r.Pending}
}

// Table prints the console figures beside their targets.
func (c *ConsoleResult) Table(w io.Writer) {
	fmt.Fprintf(w, "\nconsole — %d requests seeded (%s), board day %s with %d appointments (%.0f s)\n\n", c.Seed.Requests, "store.Commit", c.Seed.BoardDay, c.Seed.Appointments, c.Seconds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "page\tas\tstatus\tloads\tbytes\tp50 ms\tp99 ms\tmax ms\ttarget p99 ms\t")
	for _, p := range c.Pages {
		met := "met"
		switch {
		case p.Error != "":
			met = "FAILED"
		case !p.Met:
			met = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t≤ %.0f\t%s\n", p.Path, p.As, p.Status, p.Loads, p.Bytes, p.P50, p.P99, p.Max, p.TargetP99, met)
	}
	_ = tw.Flush()
	if h := c.History; h != nil {
		fmt.Fprintf(w, "long history: %s, %d history events in %d runs, %d SOP events, %d visits\n", h.ID, h.HistoryEvents, h.Runs, h.SOPEvents, h.Visits)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "live update from\tsamples\tp50 ms\tp99 ms\tmax ms\ttarget max ms\t")
	for _, l := range c.Live {
		met := "met"
		switch {
		case l.Error != "":
			met = "FAILED: " + l.Error
		case !l.Met:
			met = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t≤ %.0f\t%s\n", l.From, l.Samples, l.P50, l.P99, l.Max, l.Target, met)
	}
	_ = tw.Flush()
	for _, e := range c.Errors {
		fmt.Fprintf(w, "console FAILED: %s\n", e)
	}
	fmt.Fprintf(w, "console targets: %s\n", map[bool]string{true: "all met", false: "NOT all met"}[c.Met])
}

// dataConverter decodes the env's histories (codec).
func (e *env) dataConverter() converter.DataConverter {
	dc, _ := codec.Converters(e.codec)
	return dc
}
