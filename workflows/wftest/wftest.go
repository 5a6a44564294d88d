// Package wftest runs the ServiceRequest workflow in the SDK's time-skipping
// test environment with recording fakes of its activities, for tests outside
// package workflows: the rule tests of package audit judge the steps a real
// run of the workflow committed (the inputs its history holds), not a
// hand-built timeline.
package wftest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// T0 is when every test request starts: Monday 2 March 2026, 09:00 in the
// service area (UTC+8).
var T0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// CST is the service area's offset from UTC (UTC+8).
const CST = 8 * 3600

// Policy is the SOP as written, in the service area's zone.
func Policy() sop.Policy {
	p := sop.DefaultPolicy()
	p.UTCOffsetSeconds = CST
	return p
}

// Request is a repair whose data needs no verification: a quality fault on
// a product bought six months before T0, in warranty.
func Request() sop.Request {
	return sop.Request{
		ID:       "SR-RULE-1",
		Kind:     sop.KindRepair,
		Customer: sop.Customer{Name: "王芳", Phone: "+86 138 0013 8000", Address: "北京市朝阳区建国路 88 号 5-501", Region: "north"},
		Product:  sop.Product{Model: "CT-800", Spec: "800x800", Colour: "ivory", PurchaseDate: "2025-09-01"},
		Symptoms: "glaze cracking near the edge",
	}
}

// Actors of the tests.
var (
	Centre = sop.Actor{Role: sop.RoleCallCentre}
	E1     = sop.Actor{Role: sop.RoleEngineer, Subject: "E-1"}
	E2     = sop.Actor{Role: sop.RoleEngineer, Subject: "E-2"}
)

// Harness is one workflow run with recording fakes of Commit and BookAppointment.
type Harness struct {
	T   *testing.T
	Env *testsuite.TestWorkflowEnvironment
	// Request and Policy start the workflow (Run); change them before Run.
	Request sop.Request
	Policy  sop.Policy
	// Calendar answers BookAppointment; by default every slot is free
	// with E-1 (or the engineer asked for), 30 min away.
	Calendar func(workflows.BookInput) workflows.BookResult
	// Old says the request runs with the rules before issue 10 (OldRules).
	Old bool
	// Tamper, when set, changes a copy of the committed steps before
	// Commits returns them: for cases about the record itself (R11.2),
	// which the workflow never breaks on its own.
	Tamper func([]workflows.CommitInput) []workflows.CommitInput

	mu      sync.Mutex
	commits []workflows.CommitInput
	books   []workflows.BookInput
	updates int
}

// New makes a harness starting at T0 with Request() and Policy().
func New(t *testing.T) *Harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	h := &Harness{T: t, Env: suite.NewTestWorkflowEnvironment(), Request: Request(), Policy: Policy()}
	h.Env.SetStartTime(T0)
	h.Env.RegisterWorkflowWithOptions(workflows.ServiceRequest, workflow.RegisterOptions{Name: workflows.WorkflowName})
	h.Env.RegisterActivityWithOptions(h.commit, activity.RegisterOptions{Name: workflows.ActivityCommit})
	h.Env.RegisterActivityWithOptions(h.book, activity.RegisterOptions{Name: workflows.ActivityBook})
	h.Calendar = FreeCalendar("E-1", 30*time.Minute)
	return h
}

func (h *Harness) commit(_ context.Context, in workflows.CommitInput) (workflows.CommitInput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commits = append(h.commits, in)
	return in, nil
}

func (h *Harness) book(_ context.Context, in workflows.BookInput) (workflows.BookResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.books = append(h.books, in)
	return h.Calendar(in), nil
}

// FreeCalendar books every slot with one engineer (or the one asked for).
func FreeCalendar(engineer string, travel time.Duration) func(workflows.BookInput) workflows.BookResult {
	id := int64(0)
	return func(in workflows.BookInput) workflows.BookResult {
		id++
		e := engineer
		if in.Only != "" {
			e = in.Only
		}
		return workflows.BookResult{Outcome: workflows.Booked, Appointment: &workflows.Appointment{ID: id, Engineer: e, Start: in.Start, End: in.End, Travel: sop.D(travel)}}
	}
}

// Result is the answer to one event sent to the workflow.
type Result struct {
	Label    string
	Done     bool
	Rejected error
	Err      error
	View     workflows.View
}

func (r *Result) String() string {
	switch {
	case !r.Done:
		return r.Label + ": not answered"
	case r.Rejected != nil:
		return r.Label + ": rejected: " + r.Rejected.Error()
	case r.Err != nil:
		return r.Label + ": failed: " + r.Err.Error()
	}
	return r.Label + ": " + string(r.View.Status)
}

// OK says the event was applied.
func (r *Result) OK() bool { return r.Done && r.Rejected == nil && r.Err == nil }

// Send delivers ev at T0+after as actor.
func (h *Harness) Send(after time.Duration, actor sop.Actor, ev sop.Event) *Result {
	h.updates++
	id := fmt.Sprintf("u%d", h.updates)
	ev.Actor = actor
	r := &Result{Label: fmt.Sprintf("%s at +%s", ev.Type, after)}
	h.Env.RegisterDelayedCallback(func() {
		h.Env.UpdateWorkflow(workflows.UpdateEvent, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.Done, r.Rejected = true, err },
			OnComplete: func(v any, err error) {
				r.Done, r.Err = true, err
				if vv, ok := v.(workflows.View); ok {
					r.View = vv
				}
			},
		}, ev)
	}, after)
	return r
}

// CC sends an event from the call centre.
func (h *Harness) CC(after time.Duration, ev sop.Event) *Result { return h.Send(after, Centre, ev) }

// Eng sends an event from engineer E-1.
func (h *Harness) Eng(after time.Duration, ev sop.Event) *Result { return h.Send(after, E1, ev) }

// Signal sends a signal at T0+after.
func (h *Harness) Signal(after time.Duration, name string, arg any) {
	h.Env.RegisterDelayedCallback(func() { h.Env.SignalWorkflow(name, arg) }, after)
}

// ViewAt captures the live state (the query) at T0+after.
func (h *Harness) ViewAt(after time.Duration) *workflows.View {
	v := &workflows.View{}
	h.Env.RegisterDelayedCallback(func() {
		enc, err := h.Env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			h.T.Errorf("query at +%s: %v", after, err)
			return
		}
		if err := enc.Get(v); err != nil {
			h.T.Errorf("decode query at +%s: %v", after, err)
		}
	}, after)
	return v
}

// Run executes the workflow until it ends, or cancels it at T0+stop.
func (h *Harness) Run(stop time.Duration) {
	h.T.Helper()
	if stop > 0 {
		h.Env.RegisterDelayedCallback(func() { h.Env.CancelWorkflow() }, stop)
	}
	h.Env.ExecuteWorkflow(workflows.WorkflowName, workflows.Input{Request: h.Request, Policy: h.Policy})
	if !h.Env.IsWorkflowCompleted() {
		h.T.Fatal("workflow did not complete")
	}
	if err := h.Env.GetWorkflowError(); err != nil && !isCanceled(err) {
		h.T.Fatalf("workflow failed: %v", err)
	}
}

func isCanceled(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "canceled") || errors.Is(err, context.Canceled))
}

// Commits are the steps the workflow committed, in order.
func (h *Harness) Commits() []workflows.CommitInput {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := append([]workflows.CommitInput(nil), h.commits...)
	if h.Tamper != nil {
		out = h.Tamper(out)
	}
	return out
}

// Books are the calendar requests the workflow made.
func (h *Harness) Books() []workflows.BookInput {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]workflows.BookInput(nil), h.books...)
}

// Entries is the timeline as committed, in order.
func (h *Harness) Entries() []workflows.Entry {
	var out []workflows.Entry
	for _, c := range h.Commits() {
		out = append(out, c.Entries...)
	}
	return out
}

// Only returns the entries of one kind.
func (h *Harness) Only(k sop.Kind) []workflows.Entry {
	var out []workflows.Entry
	for _, e := range h.Entries() {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// OnlyRule returns the entries of one kind under one rule.
func (h *Harness) OnlyRule(k sop.Kind, r sop.Rule) []workflows.Entry {
	var out []workflows.Entry
	for _, e := range h.Only(k) {
		if e.Rule == r {
			out = append(out, e)
		}
	}
	return out
}

// Sent is one notification with the time of the step that sent it.
type Sent struct {
	At time.Time
	workflows.Notification
}

// Notes lists the notifications of one message (all when m is "").
func (h *Harness) Notes(m sop.Message) []Sent {
	var out []Sent
	for _, c := range h.Commits() {
		for _, n := range c.Notifications {
			if m == "" || n.Message == m {
				out = append(out, Sent{At: c.At, Notification: n})
			}
		}
	}
	return out
}

// NotesTo lists the notifications of one message to one audience.
func (h *Harness) NotesTo(m sop.Message, to sop.Audience) []Sent {
	var out []Sent
	for _, n := range h.Notes(m) {
		if n.To == to {
			out = append(out, n)
		}
	}
	return out
}

// Timeline writes the entries for a failure message.
func (h *Harness) Timeline() string {
	var b strings.Builder
	for _, e := range h.Entries() {
		fmt.Fprintf(&b, "\n  +%-10s %-24s %-6s %-10s %s", e.At.Sub(T0), e.Kind, e.Rule, e.Outcome, e.Detail)
	}
	return b.String()
}

// MustOK fails the test unless the event was applied.
func MustOK(t *testing.T, r *Result) workflows.View {
	t.Helper()
	if !r.OK() {
		t.Fatalf("%s", r)
	}
	return r.View
}

// MustReject fails the test unless the event was refused with a rejection
// of type typ whose message contains contains.
func MustReject(t *testing.T, r *Result, typ, contains string) {
	t.Helper()
	if !r.Done || r.Rejected == nil {
		t.Fatalf("want %s rejected, got %s", r.Label, r)
	}
	if got, _ := workflows.IsRejection(r.Rejected); got != typ {
		t.Fatalf("%s: rejection type %q, want %q (%v)", r.Label, got, typ, r.Rejected)
	}
	if !strings.Contains(r.Rejected.Error(), contains) {
		t.Fatalf("%s: rejection %q does not mention %q", r.Label, r.Rejected, contains)
	}
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// The slot the scenarios book: 14:00–16:00 on T0's day in the service area.
// With FreeCalendar's 30 min travel and sop.arrive_early 10 min, the
// departure reminder falls due at 13:20.
var (
	SlotStart = T0.Add(5 * time.Hour)
	SlotEnd   = T0.Add(7 * time.Hour)
)

// Book asks for the slot at T0+after (the call centre's appointment_requested).
func (h *Harness) Book(after time.Duration) *Result {
	return h.CC(after, sop.Event{Type: sop.EvAppointmentRequested, Start: Ptr(SlotStart), End: Ptr(SlotEnd)})
}

// Checklist returns every item of the conduct checklists of an event type:
// an engineer who confirms them all.
func Checklist(t sop.EventType) []string {
	var out []string
	for _, c := range sop.ChecklistsFor(t) {
		for _, it := range c.Items {
			out = append(out, it.ID)
		}
	}
	return out
}

// OldRules runs the request as one begun before rulesComplete (changeLocalSteps
// answered 2, stepsRecorded): the rules and wording of the histories recorded
// before issue 10, for cases that show how the auditor judges what those
// rules let happen. Call it before Run.
func (h *Harness) OldRules() {
	h.Old = true
	h.Env.OnGetVersion(workflows.ChangeLocalSteps, workflow.DefaultVersion, workflows.StepsVersionNow).Return(workflow.Version(2))
}
