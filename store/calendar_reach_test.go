package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store/storetest"
	"github.com/housecall/housecall/workflows"
)

// reach asks as a request of the complete SOP does: only an engineer who
// can leave (start − travel − 17 min early) at or after leaveAfter (R4.1).
func reach(leaveAfter time.Time) func(*workflows.BookInput) {
	return func(in *workflows.BookInput) {
		in.LeaveAfter = leaveAfter
		in.ArriveEarly = sop.D(17 * time.Minute)
	}
}

// R4.1: a slot too short for an engineer to reach in time goes to one who
// can (shorter travel); with nobody, the nearest slot the engineer can reach
// is proposed, with the reason.
func TestR4_1_OnlyAnEngineerWhoCanReachTheSlotInTime(t *testing.T) {
	st, _ := storetest.New(t)
	addEngineer(t, st, "E-1", "north", 43)
	// E-1 must leave at 09:00 for 10:00; asked at 09:00 exactly: booked.
	if r := book(t, st, "SR-A", "SR-A/1", ten, reach(ten.Add(-time.Hour))); r.Outcome != workflows.Booked || r.Appointment.Engineer != "E-1" {
		t.Fatalf("leaving exactly now: %+v", r)
	}
	// Asked at 10:00 for 10:59:59, E-1 would have to leave at 09:59:59, one
	// second ago: too short. The earliest E-1 can reach is 11:00, but SR-A
	// runs until 11:00 and 43 min of travel follow: 11:45 is proposed.
	r := book(t, st, "SR-B", "SR-B/1", ten.Add(time.Hour-time.Second), reach(ten))
	if r.Outcome != workflows.Proposed || r.Appointment.Engineer != "E-1" {
		t.Fatalf("too short: %+v", r)
	}
	if want := ten.Add(105 * time.Minute); !r.Appointment.Start.Equal(want) {
		t.Fatalf("proposed %s, want %s", r.Appointment.Start, want)
	}
	if !strings.Contains(r.Reason, "too short for E-1 (travel 43m0s)") {
		t.Fatalf("reason %q", r.Reason)
	}
	// An engineer 10 min away can reach 14:00 asked at 13:30: booked with them.
	addEngineer(t, st, "E-2", "north", 10)
	two := ten.Add(4 * time.Hour)
	r = book(t, st, "SR-C", "SR-C/1", two, reach(two.Add(-30*time.Minute)))
	if r.Outcome != workflows.Booked || r.Appointment.Engineer != "E-2" {
		t.Fatalf("reachable engineer: %+v", r)
	}
	// Requests begun before the rule (no LeaveAfter) book as before.
	r = book(t, st, "SR-D", "SR-D/1", two.Add(2*time.Hour))
	if r.Outcome != workflows.Booked {
		t.Fatalf("old rules: %+v", r)
	}
}
