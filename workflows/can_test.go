package workflows

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/sop"
)

// R8.3 without end: a request with many visits keeps its history bounded by
// continuing as new at a quiet moment, carrying its whole state — clocks
// included — into the new run, whose steps keep counting where the old left.
func TestR8_3_ManyVisitsContinueAsNewWithBoundedHistory(t *testing.T) {
	p := testPolicy()
	p.HistoryLimit = 120
	h := newHarness(t)
	h.eventsPerCommit = 6 // the workflow task, the update, the Commit marker and a search-attribute upsert
	h.cc(time.Minute, sop.Event{Type: sop.EvComplaint, Text: "third visit and still broken"})
	h.cc(2*time.Minute, sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality})
	for visit := 0; visit < 6; visit++ {
		day := time.Duration(visit) * 3 * time.Hour
		start := t0.Add(day + time.Hour)
		h.cc(day+3*time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(start), End: ptr(start.Add(time.Hour))})
		h.eng(day+time.Hour-5*time.Minute, sop.Event{Type: sop.EvArrived})
		h.eng(day+time.Hour, sop.Event{Type: sop.EvKnocked, Answered: ptr(false)})
		h.eng(day+time.Hour+2*time.Minute, sop.Event{Type: sop.EvDoorAnswered})
		h.eng(day+time.Hour+30*time.Minute-time.Minute, diagnosedOnsite()) // R7.1
		h.eng(day+time.Hour+30*time.Minute, completed(false, true, true))
		h.eng(day+time.Hour+40*time.Minute, sop.Event{Type: sop.EvCardReturned})
	}
	h.env.ExecuteWorkflow(WorkflowName, Input{Request: goodRequest(), Policy: p})
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	s := next.Resume
	if s == nil {
		t.Fatal("no state carried over")
	}
	if s.Status != sop.StatusScheduling || s.Visits == 0 || s.Engineer != "E-1" || len(s.Complaints) != 1 {
		t.Fatalf("carried state %+v", s)
	}
	lastSeq := h.commits[len(h.commits)-1].Seq
	if s.Seq != lastSeq {
		t.Fatalf("carried seq %d, last committed %d", s.Seq, lastSeq)
	}
	if _, ok := s.clockNamed(clkComplaint); !ok {
		t.Fatal("the complaint clock was not carried over")
	}
	stoppedAt := h.env.Now()

	// The new run: same request, the complaint clock fires on time, a satisfied visit closes it.
	h2 := newHarness(t)
	h2.env.SetStartTime(stoppedAt)
	since := stoppedAt.Sub(t0)
	start := t0.Add(since + 2*time.Hour)
	h2.cc(time.Minute, sop.Event{Type: sop.EvAppointmentRequested, Start: ptr(start), End: ptr(start.Add(time.Hour))})
	h2.eng(2*time.Hour-5*time.Minute, sop.Event{Type: sop.EvArrived})
	h2.eng(2*time.Hour, sop.Event{Type: sop.EvKnocked, Answered: ptr(true)})
	h2.eng(2*time.Hour+30*time.Minute-time.Minute, diagnosedOnsite()) // R7.1
	done := h2.eng(2*time.Hour+30*time.Minute, completed(true, true, true))
	h2.cc(20*time.Hour, sop.Event{Type: sop.EvComplaintAnswered, Resolution: "replaced the whole row"})
	h2.cc(20*time.Hour+time.Minute, sop.Event{Type: sop.EvCardReturned})
	h2.env.ExecuteWorkflow(WorkflowName, next)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	v := wantOK(t, done)
	wantStatus(t, v, sop.StatusClosed)
	if v.Visits != s.Visits+1 {
		t.Fatalf("visits %d after %d", v.Visits, s.Visits)
	}
	if first := h2.commits[0].Seq; first != s.Seq+1 {
		t.Fatalf("new run's first step is %d, want %d", first, s.Seq+1)
	}
	od := h2.one(sop.KindComplaintOverdue)
	wantAt(t, od, t0.Add(time.Minute+12*time.Hour+time.Second))
}
