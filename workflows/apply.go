package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/housecall/housecall/sop"
)

func notValid(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrNotValidNow)
}

// IsRejection reports whether err is one of the workflow's event rejections
// and returns its type (ErrNotValidNow, ErrNotAssigned, ErrBadEvent).
func IsRejection(err error) (string, bool) {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		switch ae.Type() {
		case ErrNotValidNow, ErrNotAssigned, ErrBadEvent:
			return ae.Type(), true
		}
	}
	return "", false
}

// start is the first step of a new request (R1.1, R1.2).
func (s *State) start(now time.Time, in Input) *step {
	s.ID = in.Request.ID
	s.Request = in.Request
	s.Request.Kind = s.Request.KindOrRepair()
	s.Policy = in.Policy
	s.StartedAt = now
	s.UpdatedAt = now
	st := s.newStep(now, sop.Actor{Role: sop.RoleCallCentre}, nil)
	st.add(sop.KindRequestStarted, sop.R1_1, "%s request for %s (%s), model %s: %q",
		s.Request.Kind, s.Request.Customer.Name, s.Request.Customer.Region, s.Request.Product.Model, s.Request.Symptoms)
	s.verifyOrProceed(st)
	return st
}

// verifyOrProceed puts a request with incomplete or implausible data into
// verification (R1.2): no visit is planned on unverified data.
func (s *State) verifyOrProceed(st *step) {
	s.Problems = s.problems(s.Request, st.now)
	if len(s.Problems) == 0 {
		s.Problems = nil
		s.afterVerification(st)
		return
	}
	s.Status = sop.StatusVerifying
	list := s.Problems.String()
	st.system(sop.KindVerificationNeeded, sop.R1_2, "data incomplete or implausible (%s): dispatcher verifies, else the centre calls the customer; escalated if not done within %s",
		list, human(s.Policy.VerifyTimeout.Std()))
	st.notify(sop.ToCentre, sop.MsgVerifyData, sop.R1_2, map[string]string{"problems": list})
	s.setClock(clkVerify, st.now.Add(s.Policy.VerifyTimeout.Std()), sop.R1_2, 0)
}

// afterVerification decides the warranty of a repair (R3.1) and starts the
// procedure of the request's kind: triage (R2), a return (R3.3) or
// technical guidance (R4.6).
func (s *State) afterVerification(st *step) {
	if s.Request.Kind == sop.KindRepair {
		s.decideWarranty(st)
	}
	s.kindStart(st)
}

// decideWarranty applies R3.1: warranty runs sop.warranty_months from the
// purchase/acceptance date.
func (s *State) decideWarranty(st *step) {
	bought, err := sop.ParseDate(s.Request.Product.PurchaseDate)
	if err != nil {
		return // cannot happen after verification
	}
	until := bought.AddDate(0, s.Policy.WarrantyMonths, 0)
	today := st.now.In(s.Policy.Location())
	todayDate := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	s.WarrantyUntil = until.Format(sop.DatePattern)
	if todayDate.Before(until) {
		s.Warranty = "in"
		st.system(sop.KindWarrantyDecided, sop.R3_1, "in warranty: bought %s, %d months until %s; quality faults repaired free of charge",
			s.Request.Product.PurchaseDate, s.Policy.WarrantyMonths, s.WarrantyUntil)
	} else {
		s.Warranty = "out"
		s.Chargeable = true
		st.system(sop.KindWarrantyDecided, sop.R3_1, "out of warranty: bought %s, warranty of %d months ended %s; served at actual cost (R3.2)",
			s.Request.Product.PurchaseDate, s.Policy.WarrantyMonths, s.WarrantyUntil)
	}
}

// enterTriage waits for the analysis of the symptoms (R2.1).
func (s *State) enterTriage(st *step) {
	s.Status = sop.StatusTriage
}

// enterScheduling plans a visit: the fee standard is quoted first when the
// visit is charged (R3.2), then an appointment is awaited (R4.1).
func (s *State) enterScheduling(st *step) {
	if s.partsFirst(st) { // R2.3 (intake.go)
		return
	}
	if s.Chargeable && !s.FeeQuoted {
		s.quoteFee(st)
	}
	s.Status = sop.StatusScheduling
	if p := s.Request.Preferred; p != nil && s.Visits == 0 && s.Appointment == nil && p.Start.After(st.now) {
		// The customer's preferred time is the first appointment asked for (R4.1).
		s.askBooking(st, p.Start, p.End, bookRequested)
	}
}

// askBooking asks the calendar for a slot (R4.1).
func (s *State) askBooking(st *step, start, end time.Time, why bookReason) {
	in := &BookInput{
		RequestID: s.ID,
		Region:    s.Request.Customer.Region,
		Skill:     s.Request.Skill,
		Start:     start,
		End:       end,
		Prefer:    s.Engineer,
		Propose:   true,

		UTCOffsetSeconds: s.Policy.UTCOffsetSeconds,
	}
	if s.Appointment != nil {
		in.Release = s.Appointment.ID
	}
	if s.Rules >= rulesComplete && why != bookReassign {
		// R4.1: only an engineer who can still leave in time.
		in.LeaveAfter, in.ArriveEarly = st.now, s.Policy.ArriveEarly
	}
	st.book = in
	st.bookWhy = why
}

// check decides whether an event fits the request now. The error is an
// ApplicationError of type ErrNotValidNow (409) or ErrNotAssigned (403).
func (s *State) check(ev sop.Event, now time.Time) error {
	if ev.Actor.Role != "" && !ev.Type.Allows(ev.Actor.Role) {
		return temporal.NewApplicationError(fmt.Sprintf("role %s may not send %s", ev.Actor.Role, ev.Type), ErrNotAssigned)
	}
	if ev.Actor.Role == sop.RoleEngineer && (s.Engineer == "" || ev.Actor.Subject != s.Engineer) {
		// The answer goes to the engineer who is not assigned: it does not
		// name the one who is.
		return temporal.NewApplicationError(fmt.Sprintf("engineer %q is not assigned to request %s", ev.Actor.Subject, s.ID), ErrNotAssigned)
	}
	if handled, err := s.customerCheck(ev, now); handled {
		return err // R4.1: the customer's link (customer.go)
	}
	if handled, err := s.checkService(ev, now); handled {
		return err
	}
	if handled, err := s.bookingCheck(ev, now); handled || err != nil {
		return err // R4.1, R4.3, R12.1
	}
	st := s.Status
	v := s.Visit
	if ev.Type == sop.EvSuggestion {
		return s.suggestionCheck(ev)
	}
	if st.Final() {
		switch ev.Type {
		case sop.EvComplaint:
			return nil
		case sop.EvSatisfactionConfirmed: // R10.2: the customer may confirm after the close
			return s.confirmationCheck(ev)
		case sop.EvComplaintAnswered, sop.EvCardReturned:
			if s.expects(ev.Type) {
				return nil
			}
		}
		return notValid("request %s is %s; it only takes complaints now", s.ID, st)
	}
	beforeArrival := st == sop.StatusScheduled || st == sop.StatusEnRoute
	switch ev.Type {
	case sop.EvComplaint:
		return nil
	case sop.EvCancel:
		return nil
	case sop.EvInfoVerified:
		// Corrections are taken while verifying (R1.2) and before the engineer
		// arrives (R4.2), as long as they leave the data complete.
		lead := "the corrections would leave the data incomplete"
		switch st {
		case sop.StatusVerifying:
			lead = "still incomplete or implausible after the corrections"
		case sop.StatusTriage, sop.StatusConsulting, sop.StatusAwaitingParts, sop.StatusScheduling,
			sop.StatusAwaitingCustomer, sop.StatusScheduled, sop.StatusEnRoute:
		default:
			return notValid("request %s is %s and does not take %s now; it waits for: %s", s.ID, st, ev.Type, s.describeWaits())
		}
		r := s.Request
		r.Merge(ev.Customer, ev.Product, ev.Symptoms)
		if p := s.problems(r, now); len(p) > 0 {
			return notValid("%s: %s", lead, p)
		}
		return nil
	case sop.EvAppointmentRequested:
		switch st {
		case sop.StatusScheduling, sop.StatusWorkshop, sop.StatusAwaitingCustomer, sop.StatusScheduled, sop.StatusEnRoute:
			if !ev.Start.After(now) {
				return notValid("appointment start %s is not in the future (now %s)", ev.Start.Format(time.RFC3339), now.Format(time.RFC3339))
			}
			return nil
		}
	case sop.EvReassign:
		if beforeArrival && s.Appointment != nil {
			if ev.Engineer != "" && ev.Engineer == s.Engineer {
				return notValid("engineer %s is already assigned", ev.Engineer)
			}
			return nil
		}
	case sop.EvCustomerUnreachable, sop.EvCustomerAngry:
		switch st {
		case sop.StatusScheduling, sop.StatusAwaitingCustomer, sop.StatusScheduled, sop.StatusEnRoute:
			return nil
		}
	case sop.EvDeparted:
		if st == sop.StatusScheduled {
			return nil
		}
	case sop.EvDelayed:
		if beforeArrival {
			return nil
		}
	case sop.EvArrived:
		if beforeArrival {
			return nil
		}
	case sop.EvKnocked:
		if st == sop.StatusAtDoor && v.Waiting == "" {
			return s.checkDoor(ev, now) // R6.4
		}
	case sop.EvDoorAnswered, sop.EvEntryRefused:
		if st == sop.StatusAtDoor {
			return s.checkDoor(ev, now) // R6.2, R6.3
		}
	case sop.EvIncident:
		if st == sop.StatusAtDoor || st == sop.StatusInService {
			return nil
		}
	case sop.EvProblemEscalated:
		if st == sop.StatusInService {
			if s.HQ != nil {
				return notValid("a question to HQ is already open since %s", s.clock(s.HQ.At))
			}
			return nil
		}
	case sop.EvCompensationRequested:
		if st == sop.StatusInService || st == sop.StatusAtDoor {
			if s.Compensation != nil {
				return notValid("a compensation claim is already waiting for the centre's decision")
			}
			return nil
		}
	case sop.EvGuidanceCall:
		return s.guidanceCheck(ev, now)
	case sop.EvSatisfactionConfirmed:
		return s.confirmationCheck(ev)
	case sop.EvFollowupResult, sop.EvFollowupCall:
		// R2.2, R9.1: the call-back happens when it falls due, not before.
		if c, ok := s.clockNamed(clkFollowup); ok && !s.FollowupDue {
			return notValid("the call-back is due at %s (%s), not before", s.clock(c.At), c.Rule)
		}
	}
	if s.expects(ev.Type) {
		return s.intakeCheck(ev) // R3.1, R12.6, R12.7 (intake.go)
	}
	return notValid("request %s is %s and does not take %s now; it waits for: %s", s.ID, st, ev.Type, s.describeWaits())
}

func (s *State) clockNamed(name string) (Clock, bool) {
	for _, c := range s.Clocks {
		if c.Name == name {
			return c, true
		}
	}
	return Clock{}, false
}

// apply changes the state for an event that passed check.
func (s *State) apply(ev sop.Event, now time.Time) *step {
	st := s.newStep(now, ev.Actor, &ev)
	s.centreActed(ev) // R4.4
	if s.applyService(st, ev) {
		return st
	}
	if s.applyBookingEvent(st, ev) {
		return st // R4.3, R12.1
	}
	if s.applyCustomerEvent(st, ev) {
		return st // R4.1: the customer's link
	}
	switch ev.Type {
	case sop.EvInfoVerified:
		s.onInfoVerified(st, ev)
	case sop.EvTriaged:
		s.onTriaged(st, ev)
	case sop.EvHQAnswer:
		s.onHQAnswer(st, ev)
	case sop.EvConsultationGiven:
		s.onConsultation(st, ev)
	case sop.EvFollowupResult:
		s.onFollowupResult(st, ev)
	case sop.EvPartsReserved:
		st.add(sop.KindPartsReserved, sop.R2_3, "parts reserved (%s): the visit can be planned", strings.Join(s.Parts, ", "))
		s.enterScheduling(st)
	case sop.EvComplaint:
		s.onComplaint(st, ev)
	case sop.EvComplaintAnswered:
		s.onComplaintAnswered(st, ev)
	case sop.EvCancel:
		s.onCancel(st, ev)
	case sop.EvReturnHandled:
		s.onReturnHandled(st, ev)
	case sop.EvGuidanceCall:
		s.onGuidanceCall(st, ev)
	case sop.EvSuggestion:
		s.onSuggestion(st, ev)
	case sop.EvSatisfactionConfirmed:
		s.onConfirmation(st, ev)
	default:
		s.applyVisit(st, ev)
	}
	return st
}

func (s *State) onInfoVerified(st *step, ev sop.Event) {
	changed := s.Request.Merge(ev.Customer, ev.Product, ev.Symptoms)
	what := "no change"
	if len(changed) > 0 {
		what = "corrected " + strings.Join(changed, ", ")
	}
	if s.Status == sop.StatusVerifying {
		s.clearClock(clkVerify, -1)
		s.Problems = nil
		st.add(sop.KindVerified, sop.R1_2, "data verified (%s)", what)
		s.afterVerification(st)
		return
	}
	// R4.2: a mismatch found at the confirmation call is re-confirmed and the
	// visit follows the confirmed data.
	ve := st.add(sop.KindVerified, sop.R4_2, "data re-confirmed with the customer (%s); the visit follows the confirmed data", what)
	if s.Engineer != "" && len(changed) > 0 {
		st.notify(sop.ToEngineer, sop.MsgNewJob, sop.R4_2, s.jobParams())
	}
	s.reconfirm(st, ve, changed) // R4.2
	if slices.Contains(changed, "product.purchase_date") {
		s.decideWarranty(st)
	}
	s.afterCorrection(st, changed) // R2.1, R3.1, R3.2 (intake.go)
}

func (s *State) onTriaged(st *step, ev sop.Event) {
	s.Category = ev.Category
	s.Parts = ev.Parts
	onsite := sop.Bool(ev.OnsiteRepairable, true)
	detail := fmt.Sprintf("category %s", ev.Category)
	if len(ev.Parts) > 0 {
		detail += "; parts: " + strings.Join(ev.Parts, ", ")
	}
	detail += yesNo(onsite, "; repairable on site", "; not repairable in the home")
	if ev.Note != "" {
		detail += "; " + ev.Note
	}
	st.add(sop.KindTriaged, sop.R2_1, "%s", detail)
	if ev.Category == sop.CategoryMisuse {
		s.Chargeable = true // not a quality fault: charged even in warranty (R3.1)
	}
	s.triageWarranty(st, ev) // R12.6 (intake.go)
	if !onsite {
		s.Loaner = true
		st.add(sop.KindWorkshop, sop.R2_5, "workshop repair planned: the engineer brings a loaner unit")
	}
	switch {
	case ev.Category == sop.CategoryMisuse:
		// R2.2: phone consultation instead of a visit.
		s.Status = sop.StatusConsulting
	case s.remoteFirst(st, ev): // R12.7 (intake.go)
	case ev.Category == sop.CategoryUnknown:
		// R2.4: a fault never (or badly) repaired before: consult HQ before the visit.
		s.HQ = &Escalation{Rule: sop.R2_4, Description: s.Request.Symptoms, At: st.now, Due: st.now.Add(s.Policy.HQAnswerWithin.Std())}
		st.add(sop.KindHQEscalation, sop.R2_4, "fault not known: documents, other engineers and HQ technical department consulted before the visit; answer due by %s", s.clock(s.HQ.Due))
		st.notify(sop.ToHQ, sop.MsgHQConsultation, sop.R2_4, map[string]string{"symptoms": s.Request.Symptoms, "model": s.Request.Product.Model})
		s.setClock(clkHQ, s.HQ.Due, sop.R2_4, 0)
	default:
		s.afterTriage(st)
	}
}

// afterTriage requisitions parts (R2.3) or plans the visit.
func (s *State) afterTriage(st *step) {
	if len(s.Parts) > 0 {
		s.Status = sop.StatusAwaitingParts
		st.parts = s.Parts
		s.PartsRequisitioned = s.Rules >= rulesComplete
		st.system(sop.KindPartsRequisitioned, sop.R2_3, "parts requisitioned at once: %s; the visit is planned when they are reserved", strings.Join(s.Parts, ", "))
		st.notify(sop.ToWarehouse, sop.MsgPartsRequisition, sop.R2_3, map[string]string{"parts": strings.Join(s.Parts, ", ")})
		return
	}
	s.enterScheduling(st)
}

func (s *State) onHQAnswer(st *step, ev sop.Event) {
	hq := s.HQ
	s.HQ = nil
	s.clearClock(clkHQ, -1)
	took := st.now.Sub(hq.At)
	st.add(sop.KindHQAnswered, hq.Rule, "HQ answered after %s%s: %s", human(took.Round(time.Minute)), yesNo(hq.Overdue, " (late)", ""), ev.Answer)
	if hq.Rule == sop.R7_2 {
		st.notify(sop.ToCustomer, sop.MsgHQAnswer, sop.R7_2, map[string]string{"answer": ev.Answer})
		return
	}
	s.afterTriage(st)
}

func (s *State) onConsultation(st *step, ev sop.Event) {
	if !*ev.Accepted {
		st.outcome(st.add(sop.KindConsultation, sop.R2_2, "customer did not accept the phone consultation: an on-site visit is planned"), sop.OutRefused)
		s.enterScheduling(st)
		return
	}
	s.Consulted = true
	at := st.now
	s.ConsultedAt = &at
	s.FollowupWhy = "consultation"
	due := st.now.Add(s.Policy.ConsultationFollowup.Std())
	st.outcome(st.add(sop.KindConsultation, sop.R2_2, "phone consultation given: customer guided to correct use; call-back due at %s (%s later)",
		s.clock(due), human(s.Policy.ConsultationFollowup.Std())), sop.OutAccepted)
	if s.Rules >= rulesComplete {
		st.outcome(st.system(sop.KindFollowupPlanned, sop.R2_2, "call-back planned for %s, %s after the consultation", s.clock(due), human(s.Policy.ConsultationFollowup.Std())), sop.OutPlanned)
	}
	s.setClock(clkFollowup, due, sop.R2_2, 0)
}

func (s *State) onFollowupResult(st *step, ev sop.Event) {
	s.FollowupDue = false
	s.FollowupWhy = ""
	escalated := s.callbackMade()
	if *ev.Resolved {
		st.resultOutcome(st.add(sop.KindFollowupResult, sop.R2_2, "call-back: problem resolved by the consultation"), true, escalated)
		s.close(st, sop.R2_2, "resolved by phone consultation")
		return
	}
	st.resultOutcome(st.add(sop.KindFollowupResult, sop.R2_2, "call-back: problem persists: an on-site visit is planned"), false, escalated)
	s.Consulted = false
	s.enterScheduling(st)
}

func (s *State) onComplaint(st *step, ev sop.Event) {
	n := len(s.Complaints) + 1
	due := st.now.Add(s.Policy.ComplaintResponse.Std())
	s.Complaints = append(s.Complaints, Complaint{N: n, Text: ev.Text, At: st.now, Due: due})
	st.add(sop.KindComplaint, sop.R11_1, "complaint #%d: %q; to be answered to the customer's satisfaction by %s (%s)", n, ev.Text, s.clock(due), human(s.Policy.ComplaintResponse.Std()))
	st.notify(sop.ToCustomer, sop.MsgComplaintReceived, sop.R11_1, map[string]string{"due": s.clock(due)})
	// R11.1: answered at the deadline's instant is on time; the manager is told once it has passed.
	s.setClock(clkComplaint, s.pastDue(due), sop.R11_1, n)
}

func (s *State) onComplaintAnswered(st *step, ev sop.Event) {
	c := s.openComplaint()
	at := st.now
	c.AnsweredAt = &at
	c.Resolution = ev.Resolution
	s.clearClock(clkComplaint, c.N)
	took := st.now.Sub(c.At)
	verdict := fmt.Sprintf("within %s", human(s.Policy.ComplaintResponse.Std()))
	if st.now.After(c.Due) {
		verdict = fmt.Sprintf("%s late", human(st.now.Sub(c.Due).Round(time.Minute)))
	}
	st.add(sop.KindComplaintAnswered, sop.R11_1, "complaint #%d answered after %s (%s): %s", c.N, human(took.Round(time.Minute)), verdict, ev.Resolution)
}

func (s *State) onCancel(st *step, ev sop.Event) {
	if s.Appointment != nil {
		st.release = s.Appointment.ID
		st.notify(sop.ToEngineer, sop.MsgJobWithdrawn, "", map[string]string{"reason": "cancelled"})
		s.Appointment = nil
	}
	s.Proposed = nil
	s.Visit = nil
	s.Status = sop.StatusCancelled
	s.keepOnlyAfterCareClocks()
	st.add(sop.KindCancelled, "", "cancelled: %s", ev.Reason)
	st.notify(sop.ToCustomer, sop.MsgCancelled, "", map[string]string{"reason": ev.Reason})
}

// close ends the request's service.
func (s *State) close(st *step, rule sop.Rule, why string) {
	s.Status = sop.StatusClosed
	s.Proposed = nil
	s.keepOnlyAfterCareClocks()
	st.add(sop.KindClosed, rule, "closed: %s", why)
}

// keepOnlyAfterCareClocks drops every clock but those that outlive the
// service: cards (R10.1), their reconciliation and the customer's confirmation
// (R10.2) and complaints (R11.1).
func (s *State) keepOnlyAfterCareClocks() {
	s.Clocks = slices.DeleteFunc(s.Clocks, func(c Clock) bool {
		return c.Name != clkCard && c.Name != clkComplaint && c.Name != clkReconcileWait && c.Name != clkConfirm && !s.outlivesService(c)
	})
	if s.Rules < rulesComplete || s.HQ == nil || s.HQ.Rule != sop.R7_2 {
		s.HQ = nil // R7.2: a question asked during service stays open (rulesComplete)
	}
	s.FollowupDue = false
}

func (s *State) jobParams() map[string]string {
	p := map[string]string{
		"customer": s.Request.Customer.Name,
		"phone":    s.Request.Customer.Phone,
		"address":  s.Request.Customer.Address,
		"model":    s.Request.Product.Model,
		"symptoms": s.Request.Symptoms,
		"warranty": s.Warranty,
	}
	if s.Appointment != nil {
		p["start"] = s.clock(s.Appointment.Start)
		p["end"] = s.clock(s.Appointment.End)
	}
	if s.Loaner {
		p["loaner"] = "yes"
	}
	if s.Chargeable {
		p["receipt"] = "yes"
	}
	return p
}
