package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/housecall/housecall/notify"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/workflows"
)

// commitStep commits step seq of request req with notes, as the workflow's
// Commit activity does.
func commitStep(t *testing.T, st *store.Store, req string, seq int64, notes ...workflows.Notification) bool {
	t.Helper()
	applied, err := st.Commit(context.Background(), workflows.CommitInput{
		RequestID: req, Seq: seq, At: time.Now(),
		Projection:    workflows.Projection{Kind: sop.KindRepair, Status: sop.StatusScheduled, Customer: sop.Customer{Name: "Li Lei", Region: "north"}},
		Notifications: notes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return applied
}

func note(req string, to sop.Audience, msg sop.Message, params map[string]string) workflows.Notification {
	p := map[string]string{"request": req}
	for k, v := range params {
		p[k] = v
	}
	n := workflows.Notification{To: to, Message: msg, Params: p}
	switch to {
	case sop.ToCustomer:
		n.Recipient, n.Lang = "13800138000", "en"
	case sop.ToEngineer:
		n.Recipient = "E-7"
	}
	return n
}

// row is a notification's delivery state.
type row struct {
	ID        int64
	Attempts  int
	Next      time.Time
	Sent      *time.Time
	Failed    *time.Time
	LastError string
}

func rows(t *testing.T, st *store.Store, req string) []row {
	t.Helper()
	r, err := st.Pool.Query(context.Background(), `SELECT id, attempts, next_attempt_at, sent_at, failed_at, COALESCE(last_error, '')
		FROM notifications WHERE request_id = $1 ORDER BY id`, req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []row
	for r.Next() {
		var x row
		if err := r.Scan(&x.ID, &x.Attempts, &x.Next, &x.Sent, &x.Failed, &x.LastError); err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func only(t *testing.T, st *store.Store, req string) row {
	t.Helper()
	rs := rows(t, st, req)
	if len(rs) != 1 {
		t.Fatalf("%d notifications of %s, want 1", len(rs), req)
	}
	return rs[0]
}

// eventually polls cond every 10 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fake is a Notifier that records what it is given.
type fake struct {
	mu   sync.Mutex
	got  []notify.Notification
	ch   chan notify.Notification
	fail func(ctx context.Context, n notify.Notification) error
}

func newFake() *fake { return &fake{ch: make(chan notify.Notification, 100)} }

func (f *fake) Send(ctx context.Context, n notify.Notification) error {
	f.mu.Lock()
	f.got = append(f.got, n)
	f.mu.Unlock()
	f.ch <- n
	if f.fail != nil {
		return f.fail(ctx, n)
	}
	return nil
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

// next waits for the next send, at most within.
func (f *fake) next(t *testing.T, within time.Duration) notify.Notification {
	t.Helper()
	select {
	case n := <-f.ch:
		return n
	case <-time.After(within):
		t.Fatalf("nothing sent within %s", within)
		return notify.Notification{}
	}
}

// outcomes counts OnResult calls.
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) hook(message, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[message+":"+outcome]++
}

func (o *outcomes) get(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[key]
}

// run starts d.Run and stops it when the test ends (checking it stops promptly).
func run(t *testing.T, d *notify.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(2 * time.Second):
				t.Errorf("Run did not stop within 2 s of its context being cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// listener returns the backend pid of the dispatcher's LISTEN connection once
// it listens (and is not pid not).
func listener(t *testing.T, st *store.Store, not int) int {
	t.Helper()
	var pid int
	eventually(t, 5*time.Second, "the dispatcher LISTENs", func() bool {
		err := st.Pool.QueryRow(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1 AND query ILIKE 'LISTEN%' AND state = 'idle' AND pid <> $2`,
			notify.ListenerApplicationName, not).Scan(&pid)
		return err == nil
	})
	return pid
}

// Notifications committed by a step reach the notifier through LISTEN/NOTIFY
// (the poll interval is a minute), are marked sent, and a replayed step adds
// nothing; a LISTEN connection that dies is replaced.
func TestDispatcherDeliversOnNotify(t *testing.T) {
	st, _ := storetest.New(t)
	f := newFake()
	var res outcomes
	d := &notify.Dispatcher{Store: st, Notifier: f, PollInterval: time.Minute, Log: zaptest.NewLogger(t), OnResult: res.hook}
	stop := run(t, d)
	pid := listener(t, st, 0)

	confirm := note("SR-E2E", sop.ToCustomer, sop.MsgAppointmentConfirm, map[string]string{
		"start": "2026-03-02 09:00", "end": "2026-03-02 11:00", "address": "12 Garden Road", "model": "WM-800",
		"purchase_date": "2025-06-01", "symptoms": "noisy"})
	job := note("SR-E2E", sop.ToEngineer, sop.MsgNewJob, map[string]string{"customer": "Li Lei", "address": "12 Garden Road"})
	if !commitStep(t, st, "SR-E2E", 1, confirm, job) {
		t.Fatal("step 1 not applied")
	}
	got := map[string]notify.Notification{}
	for range 2 {
		n := f.next(t, time.Second)
		got[n.Key] = n
	}
	c, ok := got["SR-E2E/1/0"]
	if !ok {
		t.Fatalf("keys %v", got)
	}
	if c.Audience != "customer" || c.Recipient != "13800138000" || c.Message != "appointment_confirm" || c.Attempt != 1 ||
		!strings.Contains(c.Text, "12 Garden Road") || !strings.Contains(c.Text, notify.ServiceNumber) || !strings.HasPrefix(c.Subject, "Appointment") {
		t.Errorf("confirmation %+v", c)
	}
	if e, ok := got["SR-E2E/1/1"]; !ok || e.Recipient != "E-7" || !strings.Contains(e.Text, "新工单") {
		t.Errorf("new job %+v", e)
	}
	eventually(t, time.Second, "both marked sent", func() bool {
		rs := rows(t, st, "SR-E2E")
		return len(rs) == 2 && rs[0].Sent != nil && rs[1].Sent != nil
	})

	// The same step again (a retried activity, a replay): nothing enqueued,
	// nothing sent. Step 2 wakes the dispatcher, which would also send any
	// row the replay had added.
	if commitStep(t, st, "SR-E2E", 1, confirm, job) {
		t.Fatal("step 1 applied twice")
	}
	commitStep(t, st, "SR-E2E", 2, note("SR-E2E", sop.ToEngineer, sop.MsgDepartNow, nil))
	if n := f.next(t, time.Second); n.Key != "SR-E2E/2/0" {
		t.Fatalf("after the replay, sent %s", n.Key)
	}
	eventually(t, time.Second, "step 2 marked sent", func() bool { rs := rows(t, st, "SR-E2E"); return len(rs) == 3 && rs[2].Sent != nil })
	if n := f.count(); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}

	// The database drops the LISTEN connection: the dispatcher listens again.
	if _, err := st.Pool.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	listener(t, st, pid)
	commitStep(t, st, "SR-E2E", 3, note("SR-E2E", sop.ToCentre, sop.MsgEscalation, map[string]string{"what": "x"}))
	if n := f.next(t, time.Second); n.Key != "SR-E2E/3/0" {
		t.Fatalf("after reconnecting, sent %s", n.Key)
	}
	stop()
	if n := f.count(); n != 4 {
		t.Fatalf("%d sends, want 4", n)
	}
	if res.get("appointment_confirm:sent") != 1 || res.get("escalation:sent") != 1 {
		t.Errorf("outcomes %v", res.n)
	}
}

// A dispatcher that stops in the middle of a send hands the row back at once
// instead of leaving it leased.
func TestDispatcherStopsPromptly(t *testing.T) {
	st, _ := storetest.New(t)
	f := newFake()
	f.fail = func(ctx context.Context, _ notify.Notification) error { <-ctx.Done(); return ctx.Err() }
	d := &notify.Dispatcher{Store: st, Notifier: f, PollInterval: 20 * time.Millisecond, Lease: time.Hour, Log: zaptest.NewLogger(t)}
	stop := run(t, d)
	commitStep(t, st, "SR-STOP", 1, note("SR-STOP", sop.ToCustomer, sop.MsgThankYou, nil))
	f.next(t, 2*time.Second)
	stop() // fails the test if Run takes more than 2 s
	r := only(t, st, "SR-STOP")
	if r.Sent != nil || r.Failed != nil || r.Next.After(time.Now()) || !strings.Contains(r.LastError, "handed back: context canceled") {
		t.Fatalf("row after stop: %+v", r)
	}
	d2 := &notify.Dispatcher{Store: st, Notifier: newFake()}
	if sent, err := d2.DrainOnce(context.Background()); err != nil || sent != 1 {
		t.Fatalf("the next dispatcher: sent %d, %v", sent, err)
	}
}

// A row whose lease is mostly gone before its turn comes is handed back
// unsent rather than sent when another dispatcher may have it.
func TestDispatcherHandsBackRowsPastTheirLease(t *testing.T) {
	st, _ := storetest.New(t)
	f := newFake()
	f.fail = func(context.Context, notify.Notification) error { time.Sleep(60 * time.Millisecond); return nil }
	d := &notify.Dispatcher{Store: st, Notifier: f, Lease: 40 * time.Millisecond}
	commitStep(t, st, "SR-LEASE", 1,
		note("SR-LEASE", sop.ToEngineer, sop.MsgKnockAgain, map[string]string{"n": "1"}),
		note("SR-LEASE", sop.ToEngineer, sop.MsgKnockAgain, map[string]string{"n": "2"}))
	if sent, err := d.DrainOnce(context.Background()); err != nil || sent != 1 {
		t.Fatalf("first drain: sent %d, %v", sent, err)
	}
	rs := rows(t, st, "SR-LEASE")
	if rs[0].Sent == nil || rs[1].Sent != nil || rs[1].Failed != nil || rs[1].LastError != "handed back: lease running out" {
		t.Fatalf("rows %+v", rs)
	}
	if sent, err := d.DrainOnce(context.Background()); err != nil || sent != 1 || f.count() != 2 {
		t.Fatalf("second drain: sent %d, %d sends, %v", sent, f.count(), err)
	}
}

// After MaxAttempts failed attempts a notification is given up: failed_at
// set, last_error kept, never sent again.
func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	st, _ := storetest.New(t)
	f := newFake()
	f.fail = func(context.Context, notify.Notification) error { return errors.New("gateway down") }
	var res outcomes
	d := &notify.Dispatcher{Store: st, Notifier: f, MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }, OnResult: res.hook}
	commitStep(t, st, "SR-MAX", 1, note("SR-MAX", sop.ToCentre, sop.MsgRevisit, map[string]string{"visits": "2"}))
	ctx := context.Background()
	for attempt := 1; attempt <= 3; attempt++ {
		if sent, err := d.DrainOnce(ctx); err != nil || sent != 0 {
			t.Fatalf("attempt %d: sent %d, %v", attempt, sent, err)
		}
		r := only(t, st, "SR-MAX")
		if r.Attempts != attempt || r.LastError != "gateway down" || r.Sent != nil {
			t.Fatalf("after attempt %d: %+v", attempt, r)
		}
		if (r.Failed != nil) != (attempt == 3) {
			t.Fatalf("after attempt %d: failed_at %v", attempt, r.Failed)
		}
	}
	if _, err := d.DrainOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.count(); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	if res.get("revisit:retry") != 2 || res.get("revisit:failed") != 1 {
		t.Errorf("outcomes %v", res.n)
	}
}

// 500 then 200: the dispatcher retries by itself and the gateway gets the
// notification exactly once, both attempts under the same Idempotency-Key.
func TestDispatcherRetriesWebhook(t *testing.T) {
	st, _ := storetest.New(t)
	g := newGateway(t, 500, 200)
	d := &notify.Dispatcher{Store: st, Notifier: g.notifier(), PollInterval: 20 * time.Millisecond,
		Backoff: func(int) time.Duration { return 50 * time.Millisecond }, Log: zaptest.NewLogger(t)}
	stop := run(t, d)
	commitStep(t, st, "SR-500", 1, note("SR-500", sop.ToCustomer, sop.MsgThankYou, nil))
	eventually(t, 3*time.Second, "marked sent", func() bool { return only(t, st, "SR-500").Sent != nil })
	time.Sleep(100 * time.Millisecond) // five more polls: nothing more may go out
	stop()
	calls := g.received()
	if len(calls) != 2 || calls[0].status != 500 || g.delivered() != 1 {
		t.Fatalf("gateway saw %d requests, %d delivered", len(calls), g.delivered())
	}
	for _, c := range calls {
		if c.header.Get(notify.HeaderIdempotencyKey) != "SR-500/1/0" || c.sigErr != nil {
			t.Errorf("request: key %q, signature %v", c.header.Get(notify.HeaderIdempotencyKey), c.sigErr)
		}
	}
	if r := only(t, st, "SR-500"); r.Attempts != 2 || r.Failed != nil || r.LastError != "" {
		t.Fatalf("row %+v", r)
	}
}

// 400: given up at once, not retried.
func TestDispatcherWebhook400IsPermanent(t *testing.T) {
	st, _ := storetest.New(t)
	g := newGateway(t, 400)
	var res outcomes
	d := &notify.Dispatcher{Store: st, Notifier: g.notifier(), Backoff: func(int) time.Duration { return 0 }, OnResult: res.hook}
	commitStep(t, st, "SR-400", 1, note("SR-400", sop.ToCustomer, sop.MsgThankYou, nil))
	for range 2 {
		if sent, err := d.DrainOnce(context.Background()); err != nil || sent != 0 {
			t.Fatalf("sent %d, %v", sent, err)
		}
	}
	if n := len(g.received()); n != 1 {
		t.Fatalf("gateway got %d requests, want 1", n)
	}
	r := only(t, st, "SR-400")
	if r.Failed == nil || r.Sent != nil || r.Attempts != 1 || !strings.Contains(r.LastError, "400") {
		t.Fatalf("row %+v", r)
	}
	if res.get("thank_you:failed") != 1 || res.get("thank_you:retry") != 0 {
		t.Errorf("outcomes %v", res.n)
	}
}

// 429 with Retry-After: not retried before then; a longer backoff wins over
// a shorter Retry-After.
func TestDispatcherHonoursRetryAfter(t *testing.T) {
	cases := []struct {
		name       string
		retryAfter string
		backoff    func(int) time.Duration
		wait       time.Duration
	}{
		{"Retry-After longer than the backoff", "120", nil, 120 * time.Second},
		{"backoff longer than Retry-After", "1", func(int) time.Duration { return time.Hour }, time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _ := storetest.New(t)
			g := newGateway(t, 429, 200)
			g.header.Set("Retry-After", c.retryAfter)
			d := &notify.Dispatcher{Store: st, Notifier: g.notifier(), Backoff: c.backoff}
			commitStep(t, st, "SR-429", 1, note("SR-429", sop.ToEngineer, sop.MsgKnockAgain, map[string]string{"n": "1"}))
			before := time.Now()
			if sent, err := d.DrainOnce(context.Background()); err != nil || sent != 0 {
				t.Fatalf("sent %d, %v", sent, err)
			}
			after := time.Now()
			r := only(t, st, "SR-429")
			if r.Next.Before(before.Add(c.wait)) || r.Next.After(after.Add(c.wait)) {
				t.Fatalf("next attempt in %s, want %s", r.Next.Sub(before), c.wait)
			}
			if r.Failed != nil || r.Sent != nil || !strings.Contains(r.LastError, "429") {
				t.Fatalf("row %+v", r)
			}
			if sent, err := d.DrainOnce(context.Background()); err != nil || sent != 0 || len(g.received()) != 1 {
				t.Fatalf("retried early: sent %d, %d requests, %v", sent, len(g.received()), err)
			}
		})
	}
}

func TestDefaultBackoff(t *testing.T) {
	cases := []struct {
		attempt int
		max     time.Duration
	}{{0, 2 * time.Second}, {1, 2 * time.Second}, {2, 4 * time.Second}, {5, 32 * time.Second}, {9, 512 * time.Second},
		{10, 10 * time.Minute}, {64, 10 * time.Minute}, {1000, 10 * time.Minute}}
	for _, c := range cases {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := notify.DefaultBackoff(c.attempt)
			if d > c.max || d < c.max*4/5 {
				t.Fatalf("attempt %d: %s, want %s less up to 20%%", c.attempt, d, c.max)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: no jitter", c.attempt)
		}
	}
}

// At info level the log names the notification, never the customer: no
// phone, name, address or text (they are personal data); at debug it has
// everything.
func TestLogNotifierKeepsCustomerDataOutOfInfoLogs(t *testing.T) {
	n := sample()
	n.Recipient = "13800138000"
	n.Subject = "李娜 的预约已确认"
	n.Text = "李娜您好，工程师将于 3月2日 09:00 到 北京市朝阳区建国路88号 上门，电话 13800138000。"
	send := func(level zapcore.Level) string {
		var buf bytes.Buffer
		core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), level)
		if err := (notify.LogNotifier{Log: zap.New(core)}).Send(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	info := send(zapcore.InfoLevel)
	for _, pii := range []string{"13800138000", "李娜", "建国路", n.Text} {
		if strings.Contains(info, pii) {
			t.Errorf("info log carries %q:\n%s", pii, info)
		}
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(info), &line); err != nil {
		t.Fatalf("one JSON line: %v\n%s", err, info)
	}
	for k, v := range map[string]any{"request_id": "SR-9", "audience": "customer", "message": "appointment_confirm", "rule": "R4.2", "key": "SR-9/3/1"} {
		if line[k] != v {
			t.Errorf("info: %s = %v, want %v", k, line[k], v)
		}
	}
	debug := send(zapcore.DebugLevel)
	for _, want := range []string{"13800138000", "李娜", n.Text, `"message":"appointment_confirm"`} {
		if !strings.Contains(debug, want) {
			t.Errorf("debug log lacks %q:\n%s", want, debug)
		}
	}
	if strings.Count(debug, "\n") != 1 {
		t.Errorf("debug: want one line, got\n%s", debug)
	}
}
