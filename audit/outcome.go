package audit

import (
	"strings"
	"time"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// outcome is what an entry records, for the judges: its structured Outcome,
// or, for entries of requests begun before outcomes existed, what its
// wording of the time said. The wording of those entries can no longer
// change (they are in recorded histories); this is the one place that reads
// it, so no judge depends on the wording of today's entries.
func outcome(e workflows.Entry) sop.Outcome {
	if e.Outcome != "" {
		return e.Outcome
	}
	d := e.Detail
	switch e.Kind {
	case sop.KindKnocked:
		switch {
		case strings.Contains(d, "no answer"):
			return sop.OutNoAnswer
		case strings.Contains(d, "door answered"):
			return sop.OutAnswered
		}
	case sop.KindCallResult:
		switch {
		case strings.Contains(d, "did not answer"):
			return sop.OutNoAnswer
		case strings.Contains(d, "answered the phone"):
			return sop.OutAnswered
		}
	case sop.KindGuidanceCall:
		if strings.Contains(d, "refused") {
			return sop.OutRefused
		}
	case sop.KindFollowupDue:
		// Before followup_planned, the plan of an uncertain fix's
		// follow-up was a followup_due entry of its own.
		if strings.HasPrefix(d, "fix not certain") {
			return sop.OutPlanned
		}
		return sop.OutDue
	case sop.KindFollowupResult:
		switch {
		case strings.Contains(d, "resolved"), strings.Contains(d, "customer satisfied"):
			return sop.OutResolved
		case strings.Contains(d, "persists"), strings.Contains(d, "not satisfied"):
			return sop.OutUnresolved
		}
	case sop.KindVerified:
		// R4.2: "data re-confirmed with the customer (corrected …)".
		if strings.Contains(d, "(corrected ") {
			return sop.OutChanged
		}
	case sop.KindReturnDecided:
		switch {
		case strings.Contains(d, " refused: "):
			return sop.OutRefused
		case strings.Contains(d, " accepted within "):
			return sop.OutApproved
		}
	case sop.KindCompensation:
		switch {
		case strings.Contains(d, "the centre approved"):
			return sop.OutApproved
		case strings.Contains(d, "the centre refused"):
			return sop.OutRefused
		}
	}
	return ""
}

// bookedTravel is the travel time an appointment_booked entry of a request
// begun before entries carried the planned departure names in its wording:
// "… booked with E-1 (travel 30m)".
func bookedTravel(e workflows.Entry) (time.Duration, bool) {
	i := strings.LastIndex(e.Detail, "(travel ")
	if e.Kind != sop.KindAppointmentBooked || i < 0 {
		return 0, false
	}
	rest := e.Detail[i+len("(travel "):]
	j := strings.IndexByte(rest, ')')
	if j < 0 {
		return 0, false
	}
	d, err := time.ParseDuration(rest[:j])
	return d, err == nil
}

// returnPlace is where an accepted return (R3.3) was sent: the "place" of
// the decision's notification, or, for requests begun before it, what the
// decision's wording said.
func returnPlace(e workflows.Entry, s workflows.CommitInput) string {
	for _, n := range s.Notifications {
		if n.Message == sop.MsgReturnDecision && n.Params["place"] != "" {
			return n.Params["place"]
		}
	}
	if strings.Contains(e.Detail, "handled at the warehouse") {
		return "warehouse"
	}
	return "store"
}
