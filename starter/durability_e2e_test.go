package starter_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/internal/housecalltest"
	"github.com/housecall/housecall/workflows"
)

// audit check can say "diverge": rows the history never recorded and rows
// that differ from it are each reported, by table.
func TestAuditCheckReportsEveryDivergence(t *testing.T) {
	env := housecalltest.Start(t, housecalltest.Options{NoFinalCheck: true})
	env.AddEngineer("E-1", "south", 0)
	var s state
	env.Call("callcentre", "POST", "/v1/requests", body("SR-CHECK-1"), 201, &s)
	env.MustEvent("callcentre", s.ID, map[string]any{"type": "triaged", "category": "quality"})
	start := time.Now().UTC().Truncate(time.Hour).Add(26 * time.Hour)
	env.MustEvent("callcentre", s.ID, map[string]any{"type": "appointment_requested", "start": start, "end": start.Add(time.Hour)})

	var rep struct {
		Steps       int   `json:"steps"`
		Pending     []int `json:"pending"`
		Divergences []struct {
			What, Table, Detail string
		} `json:"divergences"`
	}
	env.Eventually(10*time.Second, "every step written", func() bool {
		env.Call("auditor", "GET", "/v1/requests/"+s.ID+"/check", nil, 200, &rep)
		return len(rep.Pending) == 0
	})
	if rep.Steps < 3 || len(rep.Divergences) != 0 {
		t.Fatalf("a clean request: %+v", rep)
	}
	env.Call("callcentre", "GET", "/v1/requests/"+s.ID+"/check", nil, 403, nil)

	// Rows no step ever wrote, and a row changed behind the workflow's back.
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO steps (request_id, seq, at, event_type) VALUES ('SR-CHECK-1', 99, now(), 'knocked')`,
		`INSERT INTO timeline (request_id, seq, idx, at, kind, actor, detail) VALUES ('SR-CHECK-1', 99, 0, now(), 'knocked', 'engineer:E-1', 'phantom')`,
		`INSERT INTO notifications (request_id, seq, idx, audience, message) VALUES ('SR-CHECK-1', 99, 0, 'customer', 'appointment_confirmed')`,
		`INSERT INTO appointments (request_id, engineer_id, starts_at, ends_at, travel, busy, booking_key)
			VALUES ('SR-CHECK-1', 'E-1', now() + interval '3 days', now() + interval '3 days 1 hour', '0', tstzrange(now() + interval '3 days', now() + interval '3 days 1 hour', '[)'), 'SR-CHECK-1/99')`,
		`UPDATE requests SET status = 'closed' WHERE id = 'SR-CHECK-1'`,
	} {
		if _, err := env.Store.Pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	got := env.Check(s.ID)
	want := map[string]bool{"phantom steps": false, "phantom timeline": false, "phantom notifications": false, "phantom appointments": false, "differs requests": false}
	for _, d := range got.Divergences {
		want[d.What+" "+d.Table] = true
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("audit check did not report %s: %+v", k, got.Divergences)
		}
	}
}

// faultyWorker makes the workflow task that schedules a booking of the slot
// at crashAt fail once, after the workflow decided it and before the task
// completed: the worker dies with the decision in memory only.
type faultyWorker struct {
	interceptor.WorkerInterceptorBase
	crashAt time.Time
	crashed atomic.Bool
}

func (f *faultyWorker) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &faultyInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, f: f}
}

type faultyInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	f *faultyWorker
}

func (i *faultyInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&faultyOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, f: i.f})
}

type faultyOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	f *faultyWorker
}

func (o *faultyOutbound) ExecuteActivity(ctx workflow.Context, name string, args ...any) workflow.Future {
	fut := o.Next.ExecuteActivity(ctx, name, args...)
	o.crash(name, args)
	return fut
}

func (o *faultyOutbound) ExecuteLocalActivity(ctx workflow.Context, name string, args ...any) workflow.Future {
	fut := o.Next.ExecuteLocalActivity(ctx, name, args...)
	o.crash(name, args)
	return fut
}

func (o *faultyOutbound) crash(name string, args []any) {
	if name != workflows.ActivityBook || len(args) != 1 {
		return
	}
	if in, ok := args[0].(workflows.BookInput); ok && in.Start.Equal(o.f.crashAt) && o.f.crashed.CompareAndSwap(false, true) {
		panic(fmt.Sprintf("fault injection: worker dies after deciding to book %s", in.Start.Format(time.RFC3339)))
	}
}

// A worker that dies between deciding a step and recording it leaves
// nothing behind: no phantom step or booking, and the next, different event
// gets its own slot, not the lost one's (issue 9). The final audit check of
// the environment proves PostgreSQL and the history agree.
func TestWorkerDiesBeforeItsDecisionIsRecorded(t *testing.T) {
	slotX := time.Now().UTC().Truncate(time.Hour).Add(28 * time.Hour)
	slotY := slotX.Add(2 * time.Hour)
	fault := &faultyWorker{crashAt: slotX}
	env := housecalltest.Start(t, housecalltest.Options{Interceptors: []interceptor.WorkerInterceptor{fault}})
	env.AddEngineer("E-1", "south", 0)
	var s state
	env.Call("callcentre", "POST", "/v1/requests", body("SR-FAULT-1"), 201, &s)
	env.MustEvent("callcentre", s.ID, map[string]any{"type": "triaged", "category": "quality"})

	// Slot X: the worker dies with the booking decided, before recording it.
	// The update is redelivered to the retried task or fails; either way
	// nothing of the lost attempt may remain.
	first := env.Event("callcentre", s.ID, map[string]any{"type": "appointment_requested", "start": slotX, "end": slotX.Add(time.Hour)})
	if !fault.crashed.Load() {
		t.Fatal("the fault was not injected")
	}
	t.Logf("slot X after the crash: %d %s", first.Status, strings.TrimSpace(string(first.Body)))

	// A different event: slot Y.
	v := env.MustEvent("callcentre", s.ID, map[string]any{"type": "appointment_requested", "start": slotY, "end": slotY.Add(time.Hour)})
	appt, _ := v["appointment"].(map[string]any)
	if appt == nil || appt["start"] != slotY.Format(time.RFC3339) {
		t.Fatalf("slot Y answered with %v", v["appointment"])
	}
	var booked []time.Time
	rows, err := env.Store.Pool.Query(t.Context(), `SELECT starts_at FROM appointments WHERE request_id = $1 AND status = 'booked'`, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var at time.Time
		if err := rows.Scan(&at); err != nil {
			t.Fatal(err)
		}
		booked = append(booked, at)
	}
	if len(booked) != 1 || !booked[0].Equal(slotY) {
		t.Fatalf("booked in PostgreSQL: %v, want only slot Y %s", booked, slotY)
	}
	env.Eventually(10*time.Second, "a clean audit check", func() bool {
		rep := env.Check(s.ID)
		return rep.OK() && len(rep.Pending) == 0
	})
}
