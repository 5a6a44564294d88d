package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
)

// atDoorState is a request whose engineer knocked unanswered at knocked.
func atDoorState(knocked time.Time, coalesce bool) *State {
	s := &State{ID: "SR-MISSED", Request: goodRequest(), Policy: testPolicy(), Status: sop.StatusAtDoor,
		Engineer: "E-1", Visit: &Visit{KnockedAt: &knocked}, CoalesceMissed: coalesce}
	s.setClock(clkKnock, knocked.Add(30*time.Second), sop.R6_3, 1)
	s.setClock(clkCall, knocked.Add(5*time.Minute), sop.R6_3, 0)
	return s
}

// fireNext fires the earliest clock at now, as the main loop does.
func fireNext(s *State, now func(Clock) time.Time) *step {
	c, _ := s.nextClock()
	s.clearClock(c.Name, c.N)
	return s.fire(c, now(c))
}

func at(t time.Time) func(Clock) time.Time { return func(Clock) time.Time { return t } }

// R6.3, missed prompts: when the clocks fire late because no worker ran
// (housecall down for 3 minutes in the door protocol), the knock prompts
// that fell due meanwhile are not sent in a burst: the latest one is sent
// once, saying which were missed, and the protocol goes on from there.
func TestR6_3_MissedKnockPromptsAreCoalesced(t *testing.T) {
	knocked := t0.Add(25 * time.Hour)
	back := knocked.Add(3*time.Minute + 5*time.Second) // prompts 1–6 fell due while down
	s := atDoorState(knocked, true)
	st := fireNext(s, at(back))
	if len(st.entries) != 1 || len(st.notes) != 1 {
		t.Fatalf("%d entries and %d notifications on coming back, want one prompt", len(st.entries), len(st.notes))
	}
	e := st.entries[0]
	if e.Kind != sop.KindKnockPrompt || e.Rule != sop.R6_3 || !strings.Contains(e.Detail, "(6 of 10") || !strings.Contains(e.Detail, "prompts 1–5 fell due while housecall was down") {
		t.Fatalf("entry %s %s %q", e.Kind, e.Rule, e.Detail)
	}
	if n := st.notes[0]; n.Message != sop.MsgKnockAgain || n.To != sop.ToEngineer || n.Params["n"] != "6" {
		t.Fatalf("notification %+v", n)
	}
	if s.Visit.Prompts != 6 {
		t.Fatalf("prompts %d, want 6", s.Visit.Prompts)
	}
	next, _ := s.nextClock()
	if next.Name != clkKnock || next.N != 7 || !next.At.Equal(knocked.Add(7*30*time.Second)) {
		t.Fatalf("next clock %+v, want knock 7 at +3m30s", next)
	}

	// Down past the call: the last prompt (10) once, then the call.
	s = atDoorState(knocked, true)
	st = fireNext(s, at(knocked.Add(8*time.Minute)))
	if !strings.Contains(st.entries[0].Detail, "(10 of 10") {
		t.Fatalf("entry %q, want the tenth prompt", st.entries[0].Detail)
	}
	if next, _ := s.nextClock(); next.Name != clkCall {
		t.Fatalf("next clock %+v, want the call", next)
	}
}

// On time, nothing changes: one prompt per interval, numbered in turn.
func TestR6_3_PromptsOnTimeAreNotCoalesced(t *testing.T) {
	knocked := t0.Add(25 * time.Hour)
	s := atDoorState(knocked, true)
	st := fireNext(s, func(c Clock) time.Time { return c.At.Add(900 * time.Millisecond) }) // a timer a little late
	if d := st.entries[0].Detail; !strings.Contains(d, "(1 of 10") || strings.Contains(d, "down") {
		t.Fatalf("entry %q", d)
	}
	if next, _ := s.nextClock(); next.N != 2 {
		t.Fatalf("next clock %+v, want knock 2", next)
	}
}

// Runs recorded before the change (CoalesceMissed false) keep replaying
// the old way: each missed prompt in turn.
func TestR6_3_OldRunsReplayEachMissedPrompt(t *testing.T) {
	knocked := t0.Add(25 * time.Hour)
	s := atDoorState(knocked, false)
	st := fireNext(s, at(knocked.Add(3*time.Minute)))
	if d := st.entries[0].Detail; !strings.Contains(d, "(1 of 10") {
		t.Fatalf("entry %q", d)
	}
}

// The grace: with short intervals (300 ms), a timer 4 s late is ordinary
// lateness and each prompt is given in turn; 6 s late, housecall was down.
func TestR6_3_MissedGraceWithShortIntervals(t *testing.T) {
	knocked := t0.Add(25 * time.Hour)
	for _, tc := range []struct {
		late time.Duration
		want string
	}{{4 * time.Second, "(1 of 10"}, {missedGrace, "(10 of 10"}, {6 * time.Second, "(10 of 10"}} {
		s := atDoorState(knocked, true)
		s.Policy.KnockInterval = sop.D(300 * time.Millisecond)
		s.Policy.CallAfter = sop.D(3 * time.Second)
		s.setClock(clkKnock, knocked.Add(300*time.Millisecond), sop.R6_3, 1)
		st := fireNext(s, func(c Clock) time.Time { return c.At.Add(tc.late) })
		if d := st.entries[0].Detail; !strings.Contains(d, tc.want) {
			t.Errorf("%s late: %q, want %s", tc.late, d, tc.want)
		}
	}
}

// R1.2: requests begun with stepsRecorded judge the purchase date as a
// calendar date in the service zone; older ones replay with the old rule.
func TestR1_2_PurchaseDateRuleFollowsTheRequest(t *testing.T) {
	r := goodRequest()
	r.Product.PurchaseDate = "2026-03-02"
	early := time.Date(2026, 3, 2, 7, 30, 0, 0, testPolicy().Location()) // 07:30 local, same day
	for _, tc := range []struct {
		calendar bool
		problems int
	}{{true, 0}, {false, 1}} {
		s := &State{Policy: testPolicy(), CalendarPurchaseDates: tc.calendar}
		if got := s.problems(r, early); len(got) != tc.problems {
			t.Errorf("calendar dates %t: %v", tc.calendar, got)
		}
	}
	h := newHarness(t)
	h.run(goodRequest(), testPolicy(), time.Minute)
	var st State
	q, err := h.env.QueryWorkflow(QuerySnapshot)
	if err != nil || q.Get(&st) != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if !st.CalendarPurchaseDates || !st.CoalesceMissed {
		t.Fatal("a new request does not take the rules of stepsRecorded")
	}
}
