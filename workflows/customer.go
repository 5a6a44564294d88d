package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/housecall/housecall/sop"
)

// The customer's own word through their link (the web console's /c/{token},
// acting as sop.RoleCustomer on this request only): confirming the booked
// appointment, asking for another time (R4.1). Both events are new: no
// recorded history carries them, so they need no version marker.

// Reschedule is the customer's request for another time, open until the
// centre books one (appointment_requested).
type Reschedule struct {
	Reason string     `json:"reason"`
	Start  *time.Time `json:"start,omitempty"`
	End    *time.Time `json:"end,omitempty"`
	At     time.Time  `json:"at"`
}

// customerCheck is the state-dependent check of the customer's events;
// handled false leaves the event to check.
func (s *State) customerCheck(ev sop.Event, now time.Time) (bool, error) {
	if ev.Actor.Role == sop.RoleCustomer && ev.Actor.Subject != s.ID {
		// A customer acts on their own request only.
		return true, temporal.NewApplicationError(fmt.Sprintf("the customer of %s may not act on request %s", ev.Actor.Subject, s.ID), ErrNotAssigned)
	}
	switch ev.Type {
	case sop.EvAppointmentConfirmed:
		if s.Appointment == nil || (s.Status != sop.StatusScheduled && s.Status != sop.StatusEnRoute) {
			return true, notValid("request %s is %s and has no booked appointment to confirm (R4.1)", s.ID, s.Status)
		}
		if s.AppointmentConfirmed != nil && s.AppointmentConfirmed.Equal(s.Appointment.Start) {
			return true, notValid("the appointment %s is already confirmed (R4.1)", s.span(s.Appointment.Start, s.Appointment.End))
		}
		return true, nil
	case sop.EvRescheduleRequested:
		switch s.Status {
		case sop.StatusScheduling, sop.StatusAwaitingCustomer, sop.StatusScheduled:
		default:
			return true, notValid("request %s is %s: another time is asked for before the engineer leaves (R4.1)", s.ID, s.Status)
		}
		if s.Reschedule != nil {
			return true, notValid("another time was already asked for at %s; the centre will call (R4.1)", s.clock(s.Reschedule.At))
		}
		if ev.Start != nil && !ev.Start.After(now) {
			return true, notValid("preferred start %s is not in the future", s.clock(*ev.Start))
		}
		return true, nil
	}
	return false, nil
}

// applyCustomerEvent applies the customer's events; false when ev is not one.
func (s *State) applyCustomerEvent(st *step, ev sop.Event) bool {
	switch ev.Type {
	case sop.EvAppointmentConfirmed:
		a := s.Appointment
		at := a.Start
		s.AppointmentConfirmed = &at
		e := st.add(sop.KindCustomerContact, sop.R4_1, "customer confirms the appointment %s with %s%s", s.span(a.Start, a.End), a.Engineer, note(ev))
		st.outcome(e, sop.OutAccepted)
	case sop.EvRescheduleRequested:
		r := &Reschedule{Reason: ev.Reason, Start: ev.Start, End: ev.End, At: st.now}
		s.Reschedule = r
		pref := ""
		if r.Start != nil {
			pref = "; prefers " + s.span(*r.Start, *r.End)
		}
		what := "customer asks for another time: " + r.Reason + pref
		e := st.add(sop.KindCustomerContact, sop.R4_1, "%s%s", what, note(ev))
		st.outcome(e, sop.OutRefused)
		st.add(sop.KindCentreNotified, sop.R4_1, "the centre agrees another time with the customer and rebooks (appointment_requested)")
		params := map[string]string{"what": what}
		if r.Start != nil {
			params["start"] = r.Start.UTC().Format(time.RFC3339)
			params["end"] = r.End.UTC().Format(time.RFC3339)
		}
		st.notify(sop.ToCentre, sop.MsgEscalation, sop.R4_1, params)
	default:
		return false
	}
	return true
}

// customerExpected: an open request for another time waits for the
// centre's new booking (R4.1).
func (s *State) customerExpected() []expectation {
	if s.Reschedule == nil || s.Status.Final() || s.Status == sop.StatusScheduling || s.Status == sop.StatusWorkshop {
		return nil
	}
	return []expectation{{sop.EvAppointmentRequested, sop.R4_1}}
}
