package workflows

import (
	"fmt"
	"time"

	"github.com/housecall/housecall/sop"
)

// Booking and travel of the complete SOP (requests begun with
// rulesComplete): reaching the appointment in time (R4.1), re-confirming
// corrected data (R4.2), calling an unanswered customer again (R4.3), an
// angry customer's refusal followed up by the centre (R4.4), the departure
// plan confirmed ahead (R12.1).

// Clock names of booking and travel.
const (
	clkCallAgain     = "call_again"     // R4.3
	clkDeparturePlan = "departure_plan" // R12.1
	clkAngryFollowup = "angry_followup" // R4.4
)

func init() {
	// Ties at one instant: after the clocks of state.go.
	clockOrder[clkDeparturePlan] = 20
	clockOrder[clkCallAgain] = 21
	clockOrder[clkAngryFollowup] = 22
}

// bookingExpected lists the events of booking and travel the request
// waits for (State.expected).
func (s *State) bookingExpected() []expectation {
	if s.Rules < rulesComplete || s.Status.Final() {
		return nil
	}
	var x []expectation
	if s.Status == sop.StatusScheduled && s.Visit != nil && !s.Visit.DepartureConfirmed {
		x = append(x, expectation{sop.EvDepartureConfirmed, sop.R12_1})
	}
	if s.CallAgainBy != "" {
		x = append(x, expectation{sop.EvCustomerReached, sop.R4_3})
	}
	return x
}

// bookingCheck is the state-dependent check of the events of this file:
// handled false leaves the event to check.
func (s *State) bookingCheck(ev sop.Event, now time.Time) (bool, error) {
	switch ev.Type {
	case sop.EvDepartureConfirmed:
		if s.Rules < rulesComplete {
			return true, notValid("request %s began before departure plans were confirmed (R12.1)", s.ID)
		}
		if s.Status != sop.StatusScheduled || s.Visit == nil {
			return true, notValid("request %s is %s: a departure is confirmed while the visit is scheduled, before leaving (R12.1)", s.ID, s.Status)
		}
		if s.Visit.DepartureConfirmed {
			return true, notValid("the departure at %s is already confirmed (R12.1)", s.clock(s.Appointment.Departure(s.Policy)))
		}
		return true, nil
	case sop.EvCustomerReached:
		if s.Rules < rulesComplete || s.CallAgainBy == "" {
			return true, notValid("request %s has no call to a customer who did not answer to try again (R4.3); it waits for: %s", s.ID, s.describeWaits())
		}
		return true, nil
	case sop.EvAppointmentRequested:
		// R4.1: a slot nobody can reach in time is refused at once: even
		// with no travel at all the engineer would arrive less than
		// sop.arrive_early before it.
		switch s.Status {
		case sop.StatusScheduling, sop.StatusWorkshop, sop.StatusAwaitingCustomer, sop.StatusScheduled, sop.StatusEnRoute:
		default:
			return false, nil // check says why not now
		}
		if s.Rules >= rulesComplete && ev.Start != nil && ev.Start.After(now) {
			if latest := ev.Start.Add(-s.Policy.ArriveEarly.Std()); latest.Before(now) {
				return true, notValid("appointment start %s is too close: nobody can leave in time to arrive %s before it (R4.1); ask for a later time",
					s.clock(*ev.Start), human(s.Policy.ArriveEarly.Std()))
			}
		}
	}
	return false, nil
}

// applyBookingEvent applies the events of this file; false when ev is not one.
func (s *State) applyBookingEvent(st *step, ev sop.Event) bool {
	switch ev.Type {
	case sop.EvDepartureConfirmed:
		s.onDepartureConfirmed(st)
	case sop.EvCustomerReached:
		s.clearClock(clkCallAgain, -1)
		s.CallAgainBy = ""
		e := st.add(sop.KindCustomerContact, sop.R4_3, "called again: customer reached%s", note(ev))
		st.outcome(e, sop.OutAnswered)
	default:
		return false
	}
	return true
}

// reachable applies R4.1 to a booking the calendar made: the engineer must
// be able to leave (start − travel − sop.arrive_early) no earlier than when
// the booking was asked. The calendar books only such engineers
// (BookInput.LeaveAfter); this holds a calendar that did not to the rule. A
// slot too short to reach is not kept: the nearest slot the same engineer
// can reach is proposed to the customer with an apology. It reports whether
// the booking stands.
func (s *State) reachable(st *step, in BookInput, why bookReason, a Appointment) bool {
	if s.Rules < rulesComplete || why == bookReassign {
		// A reassignment replaces an engineer held up (R5.3, R7.4): the
		// customer is told of the delay; the nearest engineer still goes.
		return true
	}
	asked := st.now
	if !in.LeaveAfter.IsZero() {
		asked = in.LeaveAfter // the calendar judged at the time of asking
	}
	dep := a.Departure(s.Policy)
	if !dep.Before(asked) {
		return true
	}
	st.release = a.ID
	if s.Appointment != nil && in.Release == s.Appointment.ID {
		// The calendar released the appointment this one replaced.
		s.Appointment = nil
		s.Visit = nil
		s.clearVisitClocks()
	}
	earliest := st.now.Add(a.Travel.Std() + s.Policy.ArriveEarly.Std())
	if r := earliest.Sub(earliest.Truncate(15 * time.Minute)); r > 0 {
		earliest = earliest.Add(15*time.Minute - r)
	}
	p := Appointment{Engineer: a.Engineer, Start: earliest, End: earliest.Add(a.End.Sub(a.Start)), Travel: a.Travel}
	s.Proposed = &p
	if s.Appointment == nil {
		s.Status = sop.StatusAwaitingCustomer
	}
	e := st.system(sop.KindAppointmentProposed, sop.R4_1, "%s with %s is too short to reach: travel %s and %s early means leaving at %s, already past; apologised and explained; proposed %s with %s, waiting for the customer's consent",
		s.span(a.Start, a.End), a.Engineer, human(a.Travel.Std()), human(s.Policy.ArriveEarly.Std()), s.clock(dep), s.span(p.Start, p.End), p.Engineer)
	st.outcome(e, sop.OutLate)
	st.notify(sop.ToCustomer, sop.MsgAppointmentProposal, sop.R4_1, map[string]string{"start": s.clock(p.Start), "end": s.clock(p.End), "requested": s.span(a.Start, a.End)})
	return false
}

// planDeparture sets the clock of R12.1 for a trip just booked: the
// engineer confirms the planned departure sop.departure_plan_ahead before it.
func (s *State) planDeparture(st *step, a Appointment) {
	if s.Rules < rulesComplete {
		return
	}
	at := a.Departure(s.Policy).Add(-s.Policy.DeparturePlanAhead.Std())
	if at.Before(st.now) {
		at = st.now
	}
	s.setClock(clkDeparturePlan, at, sop.R12_1, 0)
}

// askDepartureConfirmation fires the clock of R12.1.
func (s *State) askDepartureConfirmation(st *step) {
	a := s.Appointment
	dep := a.Departure(s.Policy)
	e := st.system(sop.KindDeparturePlan, sop.R12_1, "departure planned for %s (appointment %s, travel %s, %s early): the engineer confirms it now, %s ahead",
		s.clock(dep), s.clock(a.Start), human(a.Travel.Std()), human(s.Policy.ArriveEarly.Std()), human(dep.Sub(st.now).Round(time.Minute)))
	st.outcome(e, sop.OutDue)
	p := s.jobParams()
	p["depart"] = s.clock(dep)
	p["travel"] = human(a.Travel.Std())
	st.notify(sop.ToEngineer, sop.MsgConfirmDeparture, sop.R12_1, p)
}

func (s *State) onDepartureConfirmed(st *step) {
	s.Visit.DepartureConfirmed = true
	s.clearClock(clkDeparturePlan, -1)
	dep := s.Appointment.Departure(s.Policy)
	e := st.add(sop.KindDepartureConfirmed, sop.R12_1, "planned departure %s confirmed, %s ahead", s.clock(dep), human(dep.Sub(st.now).Round(time.Minute)))
	st.outcome(e, sop.OutConfirmed)
}

// departureUnconfirmed reports to the centre a trip whose planned
// departure was not confirmed by the time to leave (R12.1): at the
// departure reminder, or when the engineer leaves first.
func (s *State) departureUnconfirmed(st *step) {
	if s.Rules < rulesComplete || s.Visit == nil || s.Visit.DepartureConfirmed || s.Appointment == nil {
		return
	}
	s.Visit.DepartureConfirmed = true // reported once
	s.clearClock(clkDeparturePlan, -1)
	dep := s.Appointment.Departure(s.Policy)
	e := st.system(sop.KindCentreNotified, sop.R12_1, "departure planned for %s not confirmed by the engineer: reported to the centre", s.clock(dep))
	st.outcome(e, sop.OutMissed)
	st.notify(sop.ToCentre, sop.MsgDepartureUnconfirmed, sop.R12_1, map[string]string{"engineer": s.Engineer, "depart": s.clock(dep), "start": s.clock(s.Appointment.Start)})
}

// onUnreachable applies R4.3 and R4.5 to a customer who did not answer the
// phone: the one who called (centre or engineer) calls again
// sop.call_again_after later; when that try would come after the planned
// departure, the engineer goes to the address as planned (leaving a note if
// nobody is in, R4.5) and the centre gets the interim result.
func (s *State) onUnreachable(st *step, ev sop.Event) {
	s.Unreachable++
	rule := sop.R4_3
	if s.Unreachable > 1 {
		rule = sop.R4_5
	}
	s.clearClock(clkCallAgain, -1)
	next := st.now.Add(s.Policy.CallAgainAfter.Std())
	if a := s.Appointment; a != nil && s.Visit != nil && (s.Visit.Departed || next.After(a.Departure(s.Policy))) {
		s.CallAgainBy = ""
		when := "the engineer is on the way"
		if !s.Visit.Departed {
			when = fmt.Sprintf("calling again at %s would be after the departure at %s", s.clock(next), s.clock(a.Departure(s.Policy)))
		}
		e := st.add(sop.KindCustomerContact, rule, "customer did not answer the phone (attempt %d): %s: the engineer goes to the address as planned and leaves a note with the service number if nobody is in (R4.5)", s.Unreachable, when)
		st.outcome(e, sop.OutNoAnswer)
		c := st.add(sop.KindCentreNotified, sop.R4_3, "interim result reported to the centre: customer unreachable, the engineer goes as planned")
		st.outcome(c, sop.OutPlanned)
		st.notify(sop.ToCentre, sop.MsgEscalation, sop.R4_3, map[string]string{"what": fmt.Sprintf("customer unreachable (attempt %d): engineer %s goes to the address as planned", s.Unreachable, s.Engineer)})
		if s.Engineer != "" {
			st.notify(sop.ToEngineer, sop.MsgCallAgain, sop.R4_3, s.jobParams())
		}
		return
	}
	s.CallAgainBy = sop.RoleCallCentre
	if ev.Actor.Role == sop.RoleEngineer {
		s.CallAgainBy = sop.RoleEngineer
	}
	e := st.add(sop.KindCustomerContact, rule, "customer did not answer the phone (attempt %d): %s calls again at %s (%s later)", s.Unreachable, s.CallAgainBy, s.clock(next), human(s.Policy.CallAgainAfter.Std()))
	st.outcome(e, sop.OutNoAnswer)
	s.setClock(clkCallAgain, next, rule, s.Unreachable)
}

// callAgainDue fires the clock of R4.3: the call belongs to whoever made
// the unanswered one.
func (s *State) callAgainDue(st *step, c Clock) {
	e := st.system(sop.KindCallAgain, sop.R4_3, "call the customer again now (try %d, %s after the unanswered call): %s calls", c.N+1, human(s.Policy.CallAgainAfter.Std()), s.CallAgainBy)
	st.outcome(e, sop.OutDue)
	if s.CallAgainBy == sop.RoleEngineer && s.Engineer != "" {
		p := s.jobParams()
		p["attempt"] = fmt.Sprint(c.N + 1)
		st.notify(sop.ToEngineer, sop.MsgCallAgain, sop.R4_3, p)
		return
	}
	st.notify(sop.ToCentre, sop.MsgEscalation, sop.R4_3, map[string]string{"what": fmt.Sprintf("call the customer %s (%s) again now: try %d", s.Request.Customer.Name, s.Request.Customer.Phone, c.N+1)})
}

// angryRefused starts R4.4's follow-up: the centre, told to follow up an
// angry customer's refusal, acts within sop.callback_within, else the
// after-sales manager is told.
func (s *State) angryRefused(st *step) {
	if s.Rules < rulesComplete || s.Policy.CallbackWithin <= 0 {
		return
	}
	s.setClock(clkAngryFollowup, st.now.Add(s.Policy.CallbackWithin.Std()), sop.R4_4, 0)
}

// centreActed clears R4.4's follow-up clock when the centre acts on the
// request, and R4.3's call again when a call reached an angry customer.
func (s *State) centreActed(ev sop.Event) {
	if ev.Actor.Role == sop.RoleCallCentre || ev.Actor.Role == sop.RoleAdmin {
		s.clearClock(clkAngryFollowup, -1)
	}
	if ev.Type == sop.EvCustomerAngry && s.CallAgainBy != "" {
		s.clearClock(clkCallAgain, -1)
		s.CallAgainBy = ""
	}
}

func (s *State) angryFollowupMissed(st *step) {
	e := st.system(sop.KindEscalated, sop.R4_4, "an angry customer's refusal was not followed up by the centre within %s: escalated to the after-sales manager", human(s.Policy.CallbackWithin.Std()))
	st.outcome(e, sop.OutMissed)
	st.urgent(sop.ToManager, sop.MsgEscalation, sop.R4_4, map[string]string{"what": "angry customer's refusal not followed up by the centre"})
}

// fireBooking fires the clocks of this file; false when c is not one.
func (s *State) fireBooking(st *step, c Clock) bool {
	switch c.Name {
	case clkDeparturePlan:
		s.askDepartureConfirmation(st)
	case clkCallAgain:
		s.callAgainDue(st, c)
	case clkAngryFollowup:
		s.angryFollowupMissed(st)
	default:
		return false
	}
	return true
}

// reconfirm applies R4.2 to data corrected after a booking: the customer
// gets the confirmation again with the corrected time, address, model,
// purchase date and symptoms, so the visit follows the confirmed data.
func (s *State) reconfirm(st *step, e *Entry, changed []string) {
	if s.Rules < rulesComplete {
		return
	}
	if len(changed) == 0 {
		e.Outcome = sop.OutConfirmed
		return
	}
	e.Outcome = sop.OutChanged
	a := s.Appointment
	if a == nil {
		return
	}
	c := st.system(sop.KindCustomerNotified, sop.R4_2, "corrected confirmation to the customer: time, address, model, purchase date and symptoms")
	c.Outcome = sop.OutConfirmed
	st.notify(sop.ToCustomer, sop.MsgAppointmentConfirm, sop.R4_2, map[string]string{
		"start": s.clock(a.Start), "end": s.clock(a.End), "address": s.Request.Customer.Address,
		"model": s.Request.Product.Model, "purchase_date": s.Request.Product.PurchaseDate, "symptoms": s.Request.Symptoms,
	})
}

// departedOutcome records how a departure kept the plan of R5.2: late when
// the engineer left after start − travel − sop.arrive_early, or reported an
// ETA less than half of sop.arrive_early before the start (the sources'
// 5–10 min: the policy's margin is the upper end, its half the lower);
// on time otherwise. audit's judgeDeparture reads the events the same way.
func (s *State) departedOutcome(st *step, e *Entry, ev sop.Event) {
	a := s.Appointment
	if s.Rules < rulesComplete || a == nil {
		return
	}
	o := sop.OutOnTime
	if st.now.After(a.Departure(s.Policy)) || (ev.ETA != nil && a.Start.Sub(*ev.ETA) < s.Policy.ArriveEarly.Std()/2) {
		o = sop.OutLate
	}
	e.Outcome = o
}
