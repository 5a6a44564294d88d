package workflows

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
)

// StateSizeBound is the stated bound (README, "Limits") of a request's state
// as JSON — what a continue-as-new carries as its input, what a query
// answers — far below Temporal's 2 MB payload limit.
const StateSizeBound = 256 << 10

// TestStateSizeBound builds the worst case the limits (sop.Limits) allow: a
// maximal request, a full triage, an HQ question and a compensation claim at
// their limits, 10 visits' cards and 10 complaints with their answers at
// their limits. The state's only list a caller can grow is the complaints
// (R11.1 takes every one; ≈12 KB each at the limits): that is why the bound
// has the room it has. If this fails, the limits grew too large.
func TestStateSizeBound(t *testing.T) {
	r, ev := sop.MaximalRequest(), sop.MaximalEvent()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s := State{ID: r.ID, Request: r, Policy: sop.DefaultPolicy(), Status: sop.StatusFollowup, Seq: 1 << 40, StartedAt: now, UpdatedAt: now,
		Category: ev.Category, Parts: ev.Parts, Warranty: "out", WarrantyUntil: "2027-01-15",
		HQ:           &Escalation{Rule: sop.R7_2, Description: ev.Description, At: now, Due: now},
		Compensation: &Compensation{Amount: *ev.Amount, Reason: ev.Reason, At: now},
		Engineer:     ev.Engineer, Appointment: &Appointment{Engineer: ev.Engineer, Start: now, End: now},
		Visit: &Visit{Waiting: ev.Reason},
	}
	for _, l := range sop.Limits {
		s.Problems = append(s.Problems, sop.Problem{Field: l.Field, Reason: strings.Repeat("x", 80)})
	}
	for i := range 10 {
		s.Cards = append(s.Cards, Card{Visit: i + 1, Engineer: ev.Engineer, Due: now, ReturnedAt: &now})
		s.Complaints = append(s.Complaints, Complaint{N: i + 1, Text: ev.Text, Resolution: ev.Resolution, At: now, Due: now, AnsweredAt: &now})
		s.Clocks = append(s.Clocks, Clock{Name: clkComplaint, At: now, N: i})
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := json.Marshal(s.View())
	eb, _ := json.Marshal(ev)
	t.Logf("worst-case state %d bytes, its view %d bytes, a maximal event %d bytes of JSON (bound %d, Temporal's payload limit 2 MB)", len(b), len(v), len(eb), StateSizeBound)
	if len(b) > StateSizeBound || len(v) > StateSizeBound {
		t.Fatalf("worst-case state %d bytes, view %d bytes: more than the bound of %d bytes; the limits grew too large", len(b), len(v), StateSizeBound)
	}
}
