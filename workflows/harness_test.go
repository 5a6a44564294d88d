package workflows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/sop"
)

// t0 is when every test request starts: Monday 2 March 2026, 09:00 in the
// service area (UTC+8).
var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

const cst = 8 * 3600

func testPolicy() sop.Policy {
	p := sop.DefaultPolicy()
	p.UTCOffsetSeconds = cst
	return p
}

// goodRequest is a request whose data needs no verification: a quality fault
// on a product bought six months before t0, in warranty.
func goodRequest() sop.Request {
	return sop.Request{
		ID:       "SR-TEST-1",
		Customer: sop.Customer{Name: "王芳", Phone: "+86 138 0013 8000", Address: "北京市朝阳区建国路 88 号 5-501", Region: "north"},
		Product:  sop.Product{Model: "CT-800", Spec: "800x800", Colour: "ivory", PurchaseDate: "2025-09-01"},
		Symptoms: "glaze cracking near the edge",
	}
}

// harness runs the ServiceRequest workflow in the SDK's time-skipping test
// environment with recording fakes of the activities.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	mu       sync.Mutex
	commits  []CommitInput
	books    []BookInput
	calendar func(BookInput) BookResult
	updates  int
	// eventsPerCommit, when set, simulates the history growing by this many
	// events per committed step (the test environment keeps no history length).
	eventsPerCommit int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment()}
	h.env.SetStartTime(t0)
	h.env.RegisterWorkflowWithOptions(ServiceRequest, workflow.RegisterOptions{Name: WorkflowName})
	h.env.RegisterActivityWithOptions(h.commit, activity.RegisterOptions{Name: ActivityCommit})
	h.env.RegisterActivityWithOptions(h.book, activity.RegisterOptions{Name: ActivityBook})
	h.calendar = freeCalendar("E-1", 30*time.Minute)
	return h
}

func (h *harness) commit(_ context.Context, in CommitInput) (CommitInput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commits = append(h.commits, in)
	if h.eventsPerCommit > 0 {
		h.env.SetCurrentHistoryLength(len(h.commits) * h.eventsPerCommit)
	}
	return in, nil
}

func (h *harness) book(_ context.Context, in BookInput) (BookResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.books = append(h.books, in)
	return h.calendar(in), nil
}

// freeCalendar books every slot with one engineer (or the one asked for).
func freeCalendar(engineer string, travel time.Duration) func(BookInput) BookResult {
	id := int64(0)
	return func(in BookInput) BookResult {
		id++
		e := engineer
		if in.Only != "" {
			e = in.Only
		}
		return BookResult{Outcome: Booked, Appointment: &Appointment{ID: id, Engineer: e, Start: in.Start, End: in.End, Travel: sop.D(travel)}}
	}
}

// result is the answer to one event sent to the workflow.
type result struct {
	label    string
	done     bool
	rejected error
	err      error
	view     View
}

func (r *result) String() string {
	switch {
	case !r.done:
		return r.label + ": not answered"
	case r.rejected != nil:
		return r.label + ": rejected: " + r.rejected.Error()
	case r.err != nil:
		return r.label + ": failed: " + r.err.Error()
	}
	return r.label + ": " + string(r.view.Status)
}

// send delivers ev at t0+after as actor.
func (h *harness) send(after time.Duration, actor sop.Actor, ev sop.Event) *result {
	h.updates++
	id := fmt.Sprintf("u%d", h.updates)
	ev.Actor = actor
	r := &result{label: fmt.Sprintf("%s at +%s", ev.Type, after)}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(UpdateEvent, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.done, r.rejected = true, err },
			OnComplete: func(v any, err error) {
				r.done, r.err = true, err
				if vv, ok := v.(View); ok {
					r.view = vv
				}
			},
		}, ev)
	}, after)
	return r
}

var (
	centre = sop.Actor{Role: sop.RoleCallCentre}
	eng1   = sop.Actor{Role: sop.RoleEngineer, Subject: "E-1"}
)

// cc sends an event from the call centre.
func (h *harness) cc(after time.Duration, ev sop.Event) *result { return h.send(after, centre, ev) }

// eng sends an event from engineer E-1.
func (h *harness) eng(after time.Duration, ev sop.Event) *result { return h.send(after, eng1, ev) }

// viewAt captures the live state (the query) at t0+after.
func (h *harness) viewAt(after time.Duration) *View {
	v := &View{}
	h.env.RegisterDelayedCallback(func() {
		enc, err := h.env.QueryWorkflow(QueryState)
		if err != nil {
			h.t.Errorf("query at +%s: %v", after, err)
			return
		}
		if err := enc.Get(v); err != nil {
			h.t.Errorf("decode query at +%s: %v", after, err)
		}
	}, after)
	return v
}

// run executes the workflow until it ends, or cancels it at t0+stop.
func (h *harness) run(req sop.Request, p sop.Policy, stop time.Duration) {
	h.t.Helper()
	if stop > 0 {
		h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, stop)
	}
	h.env.ExecuteWorkflow(WorkflowName, Input{Request: req, Policy: p})
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil && !isCanceled(err) {
		h.t.Fatalf("workflow failed: %v", err)
	}
}

func isCanceled(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "canceled") || errors.Is(err, context.Canceled))
}

// finalView is the workflow's result when it completed on its own.
func (h *harness) finalView() View {
	h.t.Helper()
	var v View
	if err := h.env.GetWorkflowResult(&v); err != nil {
		h.t.Fatalf("workflow result: %v", err)
	}
	return v
}

// entries is the timeline as committed, in order.
func (h *harness) entries() []Entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Entry
	for _, c := range h.commits {
		out = append(out, c.Entries...)
	}
	return out
}

func (h *harness) kinds() []sop.Kind {
	var out []sop.Kind
	for _, e := range h.entries() {
		out = append(out, e.Kind)
	}
	return out
}

// only returns the entries of one kind.
func (h *harness) only(k sop.Kind) []Entry {
	var out []Entry
	for _, e := range h.entries() {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// one returns the single entry of a kind, failing otherwise.
func (h *harness) one(k sop.Kind) Entry {
	h.t.Helper()
	es := h.only(k)
	if len(es) != 1 {
		h.t.Fatalf("want exactly one %s entry, got %d; timeline: %v", k, len(es), h.kinds())
	}
	return es[0]
}

func (h *harness) none(k sop.Kind) {
	h.t.Helper()
	if es := h.only(k); len(es) > 0 {
		h.t.Fatalf("want no %s entry, got %d: %+v", k, len(es), es)
	}
}

// notes lists the notifications of one message.
func (h *harness) notes(m sop.Message) []Notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Notification
	for _, c := range h.commits {
		for _, n := range c.Notifications {
			if n.Message == m {
				out = append(out, n)
			}
		}
	}
	return out
}

// assertions

func wantOK(t *testing.T, r *result) View {
	t.Helper()
	if !r.done || r.rejected != nil || r.err != nil {
		t.Fatalf("%s", r)
	}
	return r.view
}

func wantRejected(t *testing.T, r *result, typ, contains string) {
	t.Helper()
	if !r.done || r.rejected == nil {
		t.Fatalf("want %s rejected, got %s", r.label, r)
	}
	if got, _ := IsRejection(r.rejected); got != typ {
		t.Fatalf("%s: rejection type %q, want %q (%v)", r.label, got, typ, r.rejected)
	}
	if !strings.Contains(r.rejected.Error(), contains) {
		t.Fatalf("%s: rejection %q does not mention %q", r.label, r.rejected, contains)
	}
}

func wantStatus(t *testing.T, v View, s sop.Status) {
	t.Helper()
	if v.Status != s {
		t.Fatalf("status %s, want %s (pending %+v)", v.Status, s, v.Pending)
	}
}

func wantAt(t *testing.T, e Entry, at time.Time) {
	t.Helper()
	if !e.At.Equal(at) {
		t.Fatalf("%s entry at %s (+%s), want %s (+%s)", e.Kind, e.At, e.At.Sub(t0), at, at.Sub(t0))
	}
}

func wantRule(t *testing.T, e Entry, r sop.Rule) {
	t.Helper()
	if e.Rule != r {
		t.Fatalf("%s entry has rule %s, want %s (%s)", e.Kind, e.Rule, r, e.Detail)
	}
}

func wantDetail(t *testing.T, e Entry, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(e.Detail, p) {
			t.Fatalf("%s entry %q does not say %q", e.Kind, e.Detail, p)
		}
	}
}

func pendingEvents(v View) []sop.EventType {
	var out []sop.EventType
	for _, p := range v.Pending {
		if p.Event != "" {
			out = append(out, p.Event)
		}
	}
	return out
}

func wantPending(t *testing.T, v View, ev sop.EventType) {
	t.Helper()
	if !slices.Contains(pendingEvents(v), ev) {
		t.Fatalf("pending %v does not include %s", pendingEvents(v), ev)
	}
}

func ptr[T any](v T) *T { return &v }

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
