package workflows

import (
	"fmt"
	"time"

	"github.com/housecall/housecall/sop"
)

// applyVisit handles the events of booking, travel, the door, the service
// and completion (R4–R10).
func (s *State) applyVisit(st *step, ev sop.Event) {
	v := s.Visit
	switch ev.Type {
	case sop.EvAppointmentRequested:
		s.Reschedule = nil // the customer's request for another time is answered (customer.go)
		s.askBooking(st, *ev.Start, *ev.End, bookRequested)
		if ev.Engineer != "" {
			// The centre chose the engineer (the dispatch board): only
			// that engineer is booked, or that engineer's nearest slot
			// proposed. Old histories never carry the field.
			st.book.Prefer = ev.Engineer
			st.book.Only = ev.Engineer
		}

	case sop.EvAppointmentAnswer:
		p := s.Proposed
		s.Proposed = nil
		if *ev.Accepted {
			s.askBooking(st, p.Start, p.End, bookAccepted)
			st.book.Only = p.Engineer
			return
		}
		// R4.1: the customer does not agree: hand back to the centre.
		st.add(sop.KindAppointmentDeclined, sop.R4_1, "customer did not agree to %s with %s: handed back to the centre", s.span(p.Start, p.End), p.Engineer)
		st.add(sop.KindCentreNotified, sop.R4_1, "the centre agrees another time with the customer or reassigns")
		st.notify(sop.ToCentre, sop.MsgEscalation, sop.R4_1, map[string]string{"what": "customer declined the proposed appointment"})
		if s.Appointment == nil {
			s.Status = sop.StatusScheduling
		}

	case sop.EvReassign:
		// R5.3, R7.4: the centre gives the slot to another engineer.
		a := s.Appointment
		s.askBooking(st, a.Start, a.End, bookReassign)
		st.book.Prefer = ""
		st.book.Only = ev.Engineer
		st.book.Exclude = s.Engineer
		st.book.Propose = false

	case sop.EvCustomerUnreachable:
		if s.Rules >= rulesComplete {
			s.onUnreachable(st, ev) // R4.3, R4.5
			return
		}
		s.Unreachable++
		rule := sop.R4_3
		if s.Unreachable > 1 {
			rule = sop.R4_5
		}
		st.add(sop.KindCustomerContact, rule, "customer did not answer the phone (attempt %d): try again later; if that would make the engineer late, go to the address as planned and leave a note if nobody is in", s.Unreachable)
		st.add(sop.KindCentreNotified, sop.R4_3, "interim result reported to the centre: customer unreachable")
		st.notify(sop.ToCentre, sop.MsgEscalation, sop.R4_3, map[string]string{"what": "customer unreachable"})
		if s.Engineer != "" {
			st.notify(sop.ToEngineer, sop.MsgCallAgain, sop.R4_3, s.jobParams())
		}

	case sop.EvCustomerAngry:
		if *ev.Consented {
			e := st.add(sop.KindCustomerContact, sop.R4_4, "customer angry: listened patiently, took responsibility; customer consented to the visit%s", note(ev))
			st.outcome(e, sop.OutAccepted)
			return
		}
		e := st.add(sop.KindCustomerContact, sop.R4_4, "customer angry and refuses the visit even after being heard%s", note(ev))
		st.outcome(e, sop.OutRefused)
		s.rebook(st, sop.R4_4, "customer refuses the visit: the centre follows up")
		s.angryRefused(st)

	case sop.EvDeparted:
		s.departureUnconfirmed(st) // R12.1: left without confirming the plan
		v.Departed = true
		v.ETA = ev.ETA
		s.clearClock(clkDeparture, -1)
		s.Status = sop.StatusEnRoute
		detail := "engineer left"
		if ev.ETA != nil {
			early := s.Appointment.Start.Sub(*ev.ETA)
			if early >= 0 {
				detail += fmt.Sprintf("; expected %s, %s before the appointment", s.clock(*ev.ETA), human(early.Round(time.Minute)))
			} else {
				detail += fmt.Sprintf("; expected %s, %s late: call the customer in advance (R5.3)", s.clock(*ev.ETA), human(-early.Round(time.Minute)))
			}
		}
		de := st.add(sop.KindDeparted, sop.R5_2, "%s", detail)
		s.departedOutcome(st, de, ev) // R5.2
		s.checklist(st, sop.R5_1)

	case sop.EvDelayed:
		v.DelayMinutes += *ev.Minutes
		why := ev.Reason
		if why == "" {
			why = "traffic"
		}
		st.add(sop.KindCustomerNotified, sop.R5_3, "engineer delayed %d min (%s): customer called in advance with an apology; with consent the visit is rescheduled, or the centre reassigns", *ev.Minutes, why)
		st.notify(sop.ToCustomer, sop.MsgDelayApology, sop.R5_3, map[string]string{"minutes": fmt.Sprint(*ev.Minutes), "reason": why})
		st.notify(sop.ToCentre, sop.MsgEscalation, sop.R5_3, map[string]string{"what": fmt.Sprintf("engineer %s delayed %d min (%s)", s.Engineer, *ev.Minutes, why)})

	case sop.EvArrived:
		s.onArrived(st)
		s.checklist(st, sop.R6_1)

	case sop.EvKnocked:
		if sop.Bool(ev.Answered, false) {
			st.outcome(st.add(sop.KindKnocked, sop.R6_2, "rang the bell and knocked: door answered"), sop.OutAnswered)
			s.enter(st)
			return
		}
		if v.KnockedAt != nil {
			st.outcome(st.add(sop.KindKnocked, sop.R6_3, "knocked again: no answer"), sop.OutNoAnswer)
			return
		}
		at := st.now
		v.KnockedAt = &at
		p := s.Policy
		st.outcome(st.add(sop.KindKnocked, sop.R6_2, "rang the bell, then knocked lightly twice three times: no answer; knock again every %s, phone the customer after %s",
			human(p.KnockInterval.Std()), human(p.CallAfter.Std())), sop.OutNoAnswer)
		if p.KnockInterval > 0 && p.KnockInterval <= p.CallAfter {
			s.setClock(clkKnock, at.Add(p.KnockInterval.Std()), sop.R6_3, 1)
		}
		s.setClock(clkCall, at.Add(p.CallAfter.Std()), sop.R6_3, 0)

	case sop.EvDoorAnswered:
		s.enter(st)

	case sop.EvCallResult:
		if *ev.Answered {
			v.CallAnswered = true
			st.outcome(st.add(sop.KindCallResult, sop.R6_3, "customer answered the phone: the engineer waits for the door"), sop.OutAnswered)
			return
		}
		v.NotePrompted = true
		st.outcome(st.add(sop.KindCallResult, sop.R6_3, "customer did not answer the phone"), sop.OutNoAnswer)
		st.add(sop.KindLeaveNote, sop.R6_3, "ask the neighbours and look downstairs; if the customer is not in, leave a note on the door with the service number")
		st.notify(sop.ToEngineer, sop.MsgLeaveNote, sop.R6_3, s.jobParams())

	case sop.EvNoteLeft:
		rule := sop.R6_3
		if s.Unreachable > 0 {
			rule = sop.R4_5
		}
		st.add(sop.KindNoteLeft, rule, "note with the service number left on the door")
		s.rebook(st, sop.R6_3, "customer not at home: note left; the centre calls the customer later to rebook")

	case sop.EvEntryRefused:
		s.onEntryRefused(st, ev)

	case sop.EvApologyAnswer:
		v.ApologyPending = false
		if *ev.Accepted {
			st.add(sop.KindLate, sop.R6_5, "customer accepted the apology")
			return
		}
		st.add(sop.KindManagerVisit, sop.R6_5, "customer did not accept the apology: the after-sales manager visits to apologise")
		params := map[string]string{"why": "apology for a late visit not accepted"}
		if s.Rules >= rulesComplete {
			params["late"] = human(v.LateBy.Std().Round(time.Second))
			params["engineer"] = s.Engineer
			params["customer"] = s.Request.Customer.Name
			params["phone"] = s.Request.Customer.Phone
			params["address"] = s.Request.Customer.Address
		}
		st.notify(sop.ToManager, sop.MsgManagerVisit, sop.R6_5, params)

	case sop.EvDiagnosed:
		v.Diagnosed = true
		if *ev.Onsite {
			st.add(sop.KindDiagnosed, sop.R7_1, "cause: %s; repaired on site", ev.Cause)
			return
		}
		st.add(sop.KindDiagnosed, sop.R7_1, "cause: %s; cannot be repaired in the home", ev.Cause)
		st.add(sop.KindWorkshop, sop.R2_5, "workshop repair proposed and accepted by the customer: unit taken to the workshop, loaner unit left; the return visit is booked when it is repaired")
		st.notify(sop.ToCentre, sop.MsgEscalation, sop.R2_5, map[string]string{"what": "unit in the workshop: book the return visit when repaired"})
		st.finish = s.Appointment.ID
		s.Appointment = nil
		s.Visit = nil
		s.Loaner = true
		s.clearVisitClocks()
		s.Status = sop.StatusWorkshop

	case sop.EvProblemEscalated:
		s.HQ = &Escalation{Rule: sop.R7_2, Description: ev.Description, At: st.now, Due: st.now.Add(s.Policy.HQAnswerWithin.Std())}
		e := st.add(sop.KindHQEscalation, sop.R7_2, "new problem during service: %s; engineer stepped aside and reported it to the centre/HQ technical department; answer promised by %s",
			ev.Description, s.clock(s.HQ.Due))
		st.outcome(e, sop.OutDue) // R7.2: open until answered, even after closing
		st.notify(sop.ToHQ, sop.MsgHQConsultation, sop.R7_2, map[string]string{"symptoms": ev.Description, "model": s.Request.Product.Model, "due": s.clock(s.HQ.Due)})
		s.setClock(clkHQ, s.pastDue(s.HQ.Due), sop.R7_2, 0)

	case sop.EvCompensationRequested:
		amount := 0.0
		if ev.Amount != nil {
			amount = *ev.Amount
		}
		s.Compensation = &Compensation{Amount: amount, Reason: ev.Reason, At: st.now}
		st.add(sop.KindCompensation, sop.R7_3, "customer demands compensation of %.2f (%s): nothing promised; the centre decides", amount, ev.Reason)
		st.notify(sop.ToCentre, sop.MsgCompensation, sop.R7_3, map[string]string{"amount": fmt.Sprintf("%.2f", amount), "reason": ev.Reason})

	case sop.EvCompensationDecision:
		c := s.Compensation
		s.Compensation = nil
		st.add(sop.KindCompensation, sop.R7_3, "the centre %s the compensation of %.2f (%s)", yesNo(*ev.Approved, "approved", "refused"), c.Amount, c.Reason)
		st.notify(sop.ToCustomer, sop.MsgCompensationResult, sop.R7_3, map[string]string{"approved": fmt.Sprint(*ev.Approved), "amount": fmt.Sprintf("%.2f", c.Amount)})

	case sop.EvIncident:
		st.add(sop.KindIncident, sop.R7_5, "%s: no confrontation; the centre handles it", ev.Description)
		st.urgent(sop.ToCentre, sop.MsgIncident, sop.R7_5, map[string]string{"description": ev.Description, "engineer": s.Engineer, "address": s.Request.Customer.Address})
		st.urgent(sop.ToManager, sop.MsgIncident, sop.R7_5, map[string]string{"description": ev.Description, "engineer": s.Engineer, "address": s.Request.Customer.Address})

	case sop.EvCompleted:
		s.onCompleted(st, ev)

	case sop.EvFollowupCall:
		rule := sop.R9_1
		if s.FollowupWhy == "falsification" {
			rule = sop.R10_2 // the call-back that puts a suspected falsification right
		}
		s.FollowupDue = false
		s.FollowupWhy = ""
		escalated := s.callbackMade()
		if *ev.Satisfied {
			st.resultOutcome(st.add(sop.KindFollowupResult, rule, "follow-up call: customer satisfied"), true, escalated)
			s.close(st, rule, "customer satisfied at the follow-up call")
			return
		}
		st.resultOutcome(st.add(sop.KindFollowupResult, rule, "follow-up call: customer not satisfied: another visit"), false, escalated)
		s.revisit(st, rule)

	case sop.EvCardReturned:
		c := s.outstandingCard()
		at := st.now
		c.ReturnedAt = &at
		s.clearClock(clkCard, c.Visit)
		st.card = &CardReturn{Visit: c.Visit, At: at}
		if st.now.After(c.Due) {
			st.outcome(st.add(sop.KindCardReturned, sop.R10_1, "service task card of visit %d returned late (due by %s)", c.Visit, s.clock(c.Due)), sop.OutLate)
		} else {
			st.outcome(st.add(sop.KindCardReturned, sop.R10_1, "service task card of visit %d returned on the day of the visit", c.Visit), sop.OutOnTime)
		}
	}
}

func note(ev sop.Event) string {
	if ev.Note == "" {
		return ""
	}
	return " (" + ev.Note + ")"
}

// onArrived applies R6.4 and the lateness tiers of R6.5.
func (s *State) onArrived(st *step) {
	v := s.Visit
	at := st.now
	v.ArrivedAt = &at
	s.clearClock(clkDeparture, -1)
	s.clearClock(clkLateNotice, -1)
	s.Status = sop.StatusAtDoor
	start := s.Appointment.Start
	if !at.After(start) {
		e := st.add(sop.KindArrived, sop.R6_4, "arrived %s before the appointment: appearance checked (R6.1); introduce yourself and show the ID badge", human(start.Sub(at).Round(time.Second)))
		if s.Rules >= rulesComplete && s.Policy.DoorEarly > 0 && start.Sub(at) > s.Policy.DoorEarly.Std() {
			e.Detail += fmt.Sprintf("; ring and knock from %s, at most %s early (R6.4)", s.doorClock(start.Add(-s.Policy.DoorEarly.Std())), human(s.Policy.DoorEarly.Std()))
		}
		st.outcome(e, sop.OutOnTime)
		return
	}
	late := at.Sub(start)
	v.LateBy = sop.D(late)
	st.outcome(st.add(sop.KindArrived, sop.R6_4, "arrived %s after the appointment", human(late.Round(time.Second))), sop.OutLate)
	if late < s.Policy.LateMajor.Std() {
		st.outcome(st.add(sop.KindLate, sop.R6_5, "late %s (under %s): apologise (traffic), offer to rebook if the customer is in a hurry",
			human(late.Round(time.Second)), human(s.Policy.LateMajor.Std())), sop.OutLate)
		return
	}
	v.ApologyPending = true
	st.outcome(st.add(sop.KindLate, sop.R6_5, "late %s (%s or more): sincere apology, explanation and a small gift; if the apology is not accepted the after-sales manager visits to apologise",
		human(late.Round(time.Second)), human(s.Policy.LateMajor.Std())), sop.OutLate)
}

// enter is the door opening: the door protocol ends and the service begins.
func (s *State) enter(st *step) {
	v := s.Visit
	s.clearClock(clkKnock, -1)
	s.clearClock(clkCall, -1)
	s.clearClock(clkDoorWait, -1)
	detail := "door answered"
	if v.KnockedAt != nil {
		detail += fmt.Sprintf(" after %s of knocking (%d prompts)", human(st.now.Sub(*v.KnockedAt).Round(time.Second)), v.Prompts)
	}
	v.Waiting = ""
	v.Entered = true
	s.Visits++
	s.Status = sop.StatusInService
	st.add(sop.KindDoorAnswered, sop.R6_4, "%s: engineer introduced, ID badge shown; shoe covers on (R6.9); service visit %d; in the home (R7.6): no smoking, eating, drinking or gifts, never the customer's phone or toilet; teach use and care, clean up", detail, s.Visits)
	s.checklist(st, sop.R6_9)
}

// onEntryRefused handles every reason of R6.6–R6.8.
func (s *State) onEntryRefused(st *step, ev sop.Event) {
	v := s.Visit
	s.clearClock(clkKnock, -1)
	s.clearClock(clkCall, -1)
	s.clearClock(clkDoorWait, -1)
	wait := sop.Bool(ev.Wait, false)
	switch ev.Reason {
	case sop.RefusedNotHome:
		st.add(sop.KindEntryRefused, sop.R6_6, "customer not at home: apologised, left, and the reason is followed up to reach the customer%s", note(ev))
		s.rebook(st, sop.R6_6, "customer not at home: rebook")
	case sop.RefusedHelperRefuses:
		e := st.add(sop.KindEntryRefused, sop.R6_6, "only a helper at home, who refuses entry: ID badge shown, the helper is asked to call the customer%s", note(ev))
		if wait {
			v.Waiting = ev.Reason
			s.doorWait(st, e, sop.R6_6)
			return
		}
		s.rebook(st, sop.R6_6, "helper refused entry: rebook with the customer")
	case sop.RefusedDoubtsEngineer:
		st.add(sop.KindEntryRefused, sop.R6_7, "customer doubts the engineer: ID badge and the supervision number given; still refused%s", note(ev))
		st.add(sop.KindManagerVisit, sop.R6_7, "the after-sales manager visits the customer in person")
		params := map[string]string{"why": "customer doubted the engineer and refused entry"}
		if s.Rules >= rulesComplete {
			s.ManagerVisitDue = true // told again with the rebooked appointment
			params["engineer"] = s.Engineer
			params["customer"] = s.Request.Customer.Name
			params["phone"] = s.Request.Customer.Phone
			params["address"] = s.Request.Customer.Address
		}
		st.notify(sop.ToManager, sop.MsgManagerVisit, sop.R6_7, params)
		s.rebook(st, sop.R6_7, "customer refused the engineer: rebook; the manager visits in person")
	case sop.RefusedProductElsewhere:
		if ev.Address != "" {
			st.add(sop.KindEntryRefused, sop.R6_8, "the product is at %s: going there with the customer's consent", ev.Address)
			s.Request.Customer.Address = ev.Address
			s.Visit = &Visit{Departed: true}
			s.Status = sop.StatusEnRoute
			return
		}
		st.add(sop.KindEntryRefused, sop.R6_8, "the product is elsewhere: rebooked with the customer's consent%s", note(ev))
		s.rebook(st, sop.R6_8, "product elsewhere: rebook")
	case sop.RefusedPowerCut, sop.RefusedGoingOut, sop.RefusedEating:
		what := map[string]string{
			sop.RefusedPowerCut: "power cut at the customer's home",
			sop.RefusedGoingOut: "customer has to go out",
			sop.RefusedEating:   "customer is eating",
		}[ev.Reason]
		if wait {
			e := st.add(sop.KindEntryRefused, sop.R6_8, "%s: the engineer waits, as the customer wishes%s", what, note(ev))
			v.Waiting = ev.Reason
			s.doorWait(st, e, sop.R6_8)
			return
		}
		st.add(sop.KindEntryRefused, sop.R6_8, "%s: rebooked with the customer's consent%s", what, note(ev))
		s.rebook(st, sop.R6_8, what+": rebook")
	}
}

// rebook ends the current trip and hands the request back to booking.
func (s *State) rebook(st *step, rule sop.Rule, why string) {
	if s.Appointment != nil {
		st.release = s.Appointment.ID
		s.Appointment = nil
	}
	s.Visit = nil
	s.Proposed = nil
	s.clearVisitClocks()
	s.Status = sop.StatusScheduling
	st.add(sop.KindCentreNotified, rule, "%s", why)
	st.notify(sop.ToCentre, sop.MsgRebook, rule, map[string]string{"why": why})
}

// onCompleted applies R8: the record, ratings and signature, then closes,
// follows up (R9.1) or plans another visit (R8.3).
func (s *State) onCompleted(st *step, ev sop.Event) {
	rec := sop.ServiceRecord{}
	if ev.Record != nil {
		rec = *ev.Record
	}
	satisfied, signed, certain := *ev.Satisfied, *ev.SignedByCustomer, *ev.FixCertain
	st.record = &ServiceVisitRecord{
		Visit: s.Visits, Engineer: s.Engineer, AppointmentID: s.Appointment.ID, Record: rec,
		QualityRating: *ev.QualityRating, AttitudeRating: *ev.AttitudeRating,
		Satisfied: satisfied, SignedByCustomer: signed, FixCertain: certain, CompletedAt: st.now,
		Signature: ev.Signature,
	}
	detail := fmt.Sprintf("visit %d: repair quality %d/5, service attitude %d/5, customer %s", s.Visits, *ev.QualityRating, *ev.AttitudeRating, yesNo(satisfied, "satisfied", "not satisfied"))
	if signed {
		detail += "; record signed by the customer"
	} else {
		detail += "; customer did not sign: recorded as not signed, never forced (R8.2)"
	}
	if rec.Cause == "" || rec.Measures == "" {
		detail += "; cause/measures to be completed at the service department"
	}
	if rec.Charge > 0 {
		detail += fmt.Sprintf("; charged %.2f against a receipt", rec.Charge)
	}
	detail += "; service card with the service number left (R8.4)"
	var vs VisitService
	if s.Visit.Svc != nil {
		vs = *s.Visit.Svc
	}
	if vs.PausedFor > 0 {
		detail += fmt.Sprintf("; paused %s in all, not counted as service time (R12.4)", human(vs.PausedFor.Std()))
	}
	rule := sop.R8_1
	if !signed {
		rule = sop.R8_2
	}
	done := st.add(sop.KindCompleted, rule, "%s", detail)
	st.outcome(done, sop.OutDone)
	for _, r := range []sop.Rule{sop.R7_6, sop.R8_4, sop.R12_5, sop.R12_9} {
		s.checklist(st, r)
	}
	st.notify(sop.ToCustomer, sop.MsgThankYou, sop.R8_4, nil)

	// R10.1: the card goes back to the information officer the same day.
	due := sop.CardDue(st.now, s.Policy.Location())
	s.Cards = append(s.Cards, Card{Visit: s.Visits, Engineer: s.Engineer, Due: due, Satisfied: satisfied, Signed: signed})
	s.setCardClock(due)
	s.awaitReconciliation()

	st.finish = s.Appointment.ID
	s.Appointment = nil
	s.Visit = nil
	s.clearVisitClocks()
	switch {
	case vs.Workshop && s.Rules >= rulesComplete:
		s.toWorkshop(st) // R2.5: the pickup visit, with its record and card
	case !satisfied:
		s.revisit(st, sop.R8_3)
	case !certain:
		s.Status = sop.StatusFollowup
		s.FollowupWhy = "uncertain_fix"
		s.FollowupDue = false
		due := st.now.Add(s.Policy.UncertainFixFollowup.Std())
		kind := sop.KindFollowupDue // before rulesComplete the plan was written as followup_due
		if s.Rules >= rulesComplete {
			kind = sop.KindFollowupPlanned
		}
		st.outcome(st.system(kind, sop.R9_1, "fix not certain: follow-up call planned for %s (%s later)", s.clock(due), human(s.Policy.UncertainFixFollowup.Std())), sop.OutPlanned)
		s.setClock(clkFollowup, due, sop.R9_1, 0)
	default:
		s.close(st, sop.R8_1, "customer satisfied")
	}
}

// revisit plans another visit for a dissatisfied customer (R8.3, R9.1); the
// after-sales manager is brought in after sop.max_visits_before_manager visits.
func (s *State) revisit(st *step, rule sop.Rule) {
	s.Status = sop.StatusScheduling
	st.system(sop.KindRevisit, rule, "customer not satisfied after %d visit(s): another visit is booked until the customer is satisfied", s.Visits)
	st.notify(sop.ToCentre, sop.MsgRevisit, rule, map[string]string{"visits": fmt.Sprint(s.Visits)})
	if max := s.Policy.MaxVisitsBeforeManager; max > 0 && s.Visits >= max {
		st.system(sop.KindManagerVisit, sop.R8_3, "%d visits without satisfaction (limit %d): the after-sales manager takes charge", s.Visits, max)
		st.notify(sop.ToManager, sop.MsgManagerVisit, sop.R8_3, map[string]string{"why": fmt.Sprintf("customer still not satisfied after %d visits", s.Visits)})
	}
	s.revisitDeadline(st)
}

// applyBooking applies the calendar's answer (R4.1).
func (s *State) applyBooking(in BookInput, why bookReason, res BookResult, now time.Time) *step {
	st := s.newStep(now, sop.System, nil)
	rule := sop.R4_1
	if why == bookReassign {
		// The centre reassigns an engineer held up on the way (R5.3) or
		// called to a more urgent job (R7.4).
		rule = sop.R7_4
		if s.Visit != nil && s.Visit.DelayMinutes > 0 {
			rule = sop.R5_3
		}
	}
	switch res.Outcome {
	case Booked:
		a := *res.Appointment
		if !s.reachable(st, in, why, a) {
			return st // R4.1: too short to reach in time
		}
		prev := s.Engineer
		if s.Appointment != nil && s.Appointment.ID != a.ID && prev != "" && prev != a.Engineer {
			st.notify(sop.ToEngineer, sop.MsgJobWithdrawn, rule, map[string]string{"reason": "reassigned"})
		}
		s.Engineer = a.Engineer
		s.Appointment = &a
		s.Proposed = nil
		s.Visit = &Visit{}
		s.bookedService() // R8.3
		if s.Rules >= rulesComplete {
			s.Trips++
		}
		s.Status = sop.StatusScheduled
		if prev != "" && prev != a.Engineer {
			st.system(sop.KindReassigned, rule, "%s cannot take %s: reassigned to %s", prev, s.span(a.Start, a.End), a.Engineer)
		}
		be := st.system(sop.KindAppointmentBooked, sop.R4_1, "%s booked with %s (travel %s)", s.span(a.Start, a.End), a.Engineer, human(a.Travel.Std()))
		if s.Rules >= rulesComplete {
			dep := a.Departure(s.Policy)
			be.Departure = &dep // R4.1, R5.2, R12.1
			st.outcome(be, sop.OutOnTime)
		}
		st.system(sop.KindCustomerNotified, sop.R4_2, "confirmation to the customer: time, address, model, purchase date and symptoms")
		st.notify(sop.ToEngineer, sop.MsgNewJob, sop.R4_1, s.jobParams())
		st.notify(sop.ToCustomer, sop.MsgAppointmentConfirm, sop.R4_2, map[string]string{
			"start": s.clock(a.Start), "end": s.clock(a.End), "address": s.Request.Customer.Address,
			"model": s.Request.Product.Model, "purchase_date": s.Request.Product.PurchaseDate, "symptoms": s.Request.Symptoms,
		})
		s.managerWithRebooking(st) // R6.7
		s.clearVisitClocks()
		s.setClock(clkDeparture, a.Departure(s.Policy), sop.R5_2, 0)
		s.planDeparture(st, a) // R12.1
		if s.Policy.LateNotice > 0 {
			s.setClock(clkLateNotice, a.Start.Add(-s.Policy.LateNotice.Std()), sop.R6_5, 0)
		}
	case Proposed:
		p := *res.Appointment
		s.Proposed = &p
		if s.Appointment == nil {
			s.Status = sop.StatusAwaitingCustomer
		}
		lead := fmt.Sprintf("%s cannot be served (%s)", s.span(in.Start, in.End), res.Reason)
		if why == bookAccepted {
			lead = fmt.Sprintf("the accepted slot was taken meanwhile (%s)", res.Reason)
		}
		st.system(sop.KindAppointmentProposed, sop.R4_1, "%s: apologised and explained; proposed %s with %s, waiting for the customer's consent", lead, s.span(p.Start, p.End), p.Engineer)
		st.notify(sop.ToCustomer, sop.MsgAppointmentProposal, sop.R4_1, map[string]string{"start": s.clock(p.Start), "end": s.clock(p.End), "requested": s.span(in.Start, in.End)})
	default:
		if why == bookAccepted && s.Appointment == nil {
			s.Status = sop.StatusScheduling
		}
		st.system(sop.KindCentreNotified, rule, "no engineer can take %s (%s): handed back to the centre", s.span(in.Start, in.End), res.Reason)
		st.notify(sop.ToCentre, sop.MsgEscalation, rule, map[string]string{"what": "no engineer available: " + res.Reason})
	}
	return st
}

// fire applies a clock that fell due.
// missedGrace is how late a knock prompt may fire and still count as on
// time: lateness beyond it (and beyond one knock interval) means housecall
// was down, and the prompts missed meanwhile are coalesced.
const missedGrace = 5 * time.Second

func (s *State) fire(c Clock, now time.Time) *step {
	st := s.newStep(now, sop.System, nil)
	if s.fireBooking(st, c) {
		return st // R4.3, R4.4, R12.1
	}
	p := s.Policy
	switch c.Name {
	case clkVerify:
		s.Escalated = true
		st.system(sop.KindEscalated, sop.R1_2, "data not verified within %s: escalated to the centre, which contacts the customer", human(p.VerifyTimeout.Std()))
		st.urgent(sop.ToCentre, sop.MsgVerifyOverdue, sop.R1_2, map[string]string{"problems": s.Problems.String()})
	case clkFollowup:
		s.FollowupDue = true
		if s.FollowupWhy == "consultation" {
			st.outcome(st.system(sop.KindFollowupDue, sop.R2_2, "call-back due now, %s after the phone consultation: is the problem solved?", human(p.ConsultationFollowup.Std())), sop.OutDue)
			st.notify(sop.ToCentre, sop.MsgConsultationCallback, sop.R2_2, map[string]string{"customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone})
			s.callbackFellDue(st, sop.R2_2)
		} else {
			st.outcome(st.system(sop.KindFollowupDue, sop.R9_1, "follow-up call due now, %s after an uncertain fix", human(p.UncertainFixFollowup.Std())), sop.OutDue)
			st.notify(sop.ToCentre, sop.MsgFollowupCall, sop.R9_1, map[string]string{"customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone})
			s.callbackFellDue(st, sop.R9_1)
		}
	case clkHQ:
		s.HQ.Overdue = true
		st.system(sop.KindEscalated, s.HQ.Rule, "no answer from HQ within %s: escalated to the after-sales manager", human(p.HQAnswerWithin.Std()))
		st.urgent(sop.ToManager, sop.MsgHQOverdue, s.HQ.Rule, map[string]string{"question": s.HQ.Description})
	case clkDeparture:
		s.departureUnconfirmed(st) // R12.1
		a := s.Appointment
		st.system(sop.KindDepartureReminder, sop.R5_2, "leave now to arrive %s before the appointment at %s (travel %s); toolkit self-check (R5.1): tools, parts%s, spare shoe covers, note slips, ID badge, service record sheet, receipt and fee standard, floor cloth",
			human(p.ArriveEarly.Std()), s.clock(a.Start), human(a.Travel.Std()), yesNo(s.Loaner, " and loaner unit", ""))
		st.notify(sop.ToEngineer, sop.MsgDepartNow, sop.R5_2, s.jobParams())
	case clkLateNotice:
		st.outcome(st.system(sop.KindLate, sop.R6_5, "engineer not at the door %s before the appointment: call the customer now and apologise", human(p.LateNotice.Std())), sop.OutDue)
		st.notify(sop.ToEngineer, sop.MsgLateCall, sop.R6_5, s.jobParams())
	case clkKnock:
		v := s.Visit
		total := int(p.CallAfter / p.KnockInterval)
		n := c.N
		if late := now.Sub(c.At); s.CoalesceMissed && late >= max(p.KnockInterval.Std(), missedGrace) {
			// Prompts that fell due while no worker ran (a crash, a restart)
			// are not replayed in a burst: the latest one due is given, once,
			// naming those that were missed (R6.3, README "missed prompts").
			// A timer's ordinary lateness (under missedGrace) changes nothing.
			if due := int(now.Sub(*v.KnockedAt) / p.KnockInterval.Std()); due > n {
				n = min(due, total)
			}
		}
		v.Prompts = n
		if n > c.N {
			st.system(sop.KindKnockPrompt, sop.R6_3, "no answer: knock again (%d of %d, every %s); prompts %d–%d fell due while housecall was down and were not sent",
				n, total, human(p.KnockInterval.Std()), c.N, n-1)
		} else {
			st.system(sop.KindKnockPrompt, sop.R6_3, "no answer: knock again (%d of %d, every %s)", n, total, human(p.KnockInterval.Std()))
		}
		st.notify(sop.ToEngineer, sop.MsgKnockAgain, sop.R6_3, map[string]string{"n": fmt.Sprint(n)})
		if next := time.Duration(n+1) * p.KnockInterval.Std(); next <= p.CallAfter.Std() {
			s.setClock(clkKnock, v.KnockedAt.Add(next), sop.R6_3, n+1)
		}
	case clkDoorWait:
		s.doorWaitOver(st, c) // R6.6, R6.8
	case clkCall:
		s.Visit.Called = true
		st.system(sop.KindCallCustomer, sop.R6_3, "no answer for %s: phone the customer", human(p.CallAfter.Std()))
		st.notify(sop.ToEngineer, sop.MsgCallCustomer, sop.R6_3, s.jobParams())
		st.notify(sop.ToCustomer, sop.MsgAtYourDoor, sop.R6_3, map[string]string{"engineer": s.Engineer})
	case clkCard:
		for i := range s.Cards {
			if s.Cards[i].Visit == c.N {
				s.Cards[i].Overdue = true
			}
		}
		st.outcome(st.system(sop.KindCardOverdue, sop.R10_1, "service task card of visit %d not returned on the day of the visit", c.N), sop.OutMissed)
		st.notify(sop.ToCentre, sop.MsgCardOverdue, sop.R10_1, map[string]string{"visit": fmt.Sprint(c.N), "engineer": s.Engineer})
	case clkReconcileWait:
		for i := range s.Cards {
			c := &s.Cards[i]
			if !c.Reconciled {
				c.Reconciled = true
				st.system(sop.KindEscalated, sop.R10_2, "card of visit %d not reconciled by %s: the daily reconciliation did not look at it", c.Visit, s.clock(now))
			}
		}
		st.urgent(sop.ToCentre, sop.MsgEscalation, sop.R10_2, map[string]string{"what": "daily reconciliation missing: is its schedule running?"})
	case clkGuidanceCall:
		s.FollowupDue = true
		ge := st.system(sop.KindGuidanceCall, sop.R4_6, "call the customer now (within %s before the installation at %s) to fix the engineer's arrival",
			human(p.GuidanceCallWithin.Std()), s.clock(s.Request.Guidance.InstallationAt))
		st.outcome(ge, sop.OutDue)
		st.notify(sop.ToCentre, sop.MsgGuidanceCallDue, sop.R4_6, map[string]string{"customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone,
			"install": s.clock(s.Request.Guidance.InstallationAt)})
	case clkGuidanceDeadline:
		ge := st.system(sop.KindEscalated, sop.R4_6, "installation time %s reached without the call-back: escalated to the after-sales manager", s.clock(s.Request.Guidance.InstallationAt))
		st.outcome(ge, sop.OutMissed)
		st.urgent(sop.ToManager, sop.MsgEscalation, sop.R4_6, map[string]string{"what": "technical guidance call-back missed"})
	case clkCallback, clkConfirm:
		s.fireCallback(st, c)
	case clkComplaint:
		for i := range s.Complaints {
			if s.Complaints[i].N == c.N {
				s.Complaints[i].Overdue = true
			}
		}
		st.system(sop.KindComplaintOverdue, sop.R11_1, "complaint #%d not answered within %s: escalated to the after-sales manager", c.N, human(p.ComplaintResponse.Std()))
		st.urgent(sop.ToManager, sop.MsgComplaintOverdue, sop.R11_1, map[string]string{"n": fmt.Sprint(c.N)})
	default:
		s.fireService(st, c)
	}
	return st
}
