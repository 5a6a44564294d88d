package workflows

import (
	"fmt"
	"time"

	"github.com/housecall/housecall/sop"
)

// The service and its completion under the complete SOP (rulesComplete,
// issue 10): R2.5, R7.1–R7.5, R8.1–R8.3, R12.2–R12.4. Requests begun
// before rulesComplete never reach this file's decisions.

// Clock names of the service (issue 10).
const (
	clkCompensation   = "compensation_due"    // R7.3: the centre decides within sop.manager_after
	clkIncident       = "incident_due"        // R7.5: the centre takes charge within sop.manager_after
	clkPause          = "pause_max"           // R12.4: a pause not resumed within sop.pause_max
	clkRevisitBooking = "revisit_booking_due" // R8.3: a re-visit booked within sop.revisit_booking_within
	clkRevisitManager = "revisit_manager_due" // R8.3: then the after-sales manager after sop.manager_after
)

// ServiceState is what the complete SOP adds to a request's state about its
// service (State.Service).
type ServiceState struct {
	// Incident is an incident (R7.5) the centre has not yet taken charge of.
	Incident *time.Time `json:"incident,omitempty"`
	// RevisitSince is when a re-visit became due and is not booked yet (R8.3).
	RevisitSince *time.Time `json:"revisit_since,omitempty"`
}

// VisitService is what the complete SOP records about the service of the
// current trip (Visit.Svc).
type VisitService struct {
	Explained bool `json:"explained,omitempty"` // R12.2: work, time and fee explained
	Agreed    bool `json:"agreed,omitempty"`    // R12.2: the customer agreed to them
	Workshop  bool `json:"workshop,omitempty"`  // R2.5: the unit goes to the workshop when the visit completes
	// R12.4: a pause in progress, and the time paused so far.
	PausedAt    *time.Time   `json:"paused_at,omitempty"`
	PauseReason string       `json:"pause_reason,omitempty"`
	ResumeAt    *time.Time   `json:"resume_at,omitempty"`
	PausedFor   sop.Duration `json:"paused_for,omitempty"`
}

// pastDue is when the clock of a deadline at t falls due: what happens at
// the deadline itself is in time ("within 43 minutes" includes the 43rd;
// a timer and an event of the same instant come in no fixed order), so the
// clock falls due one second past it (rulesComplete; older requests keep
// the deadline itself).
func (s *State) pastDue(t time.Time) time.Time {
	if s.Rules < rulesComplete {
		return t
	}
	return t.Add(time.Second)
}

func (s *State) svc() *VisitService {
	if s.Visit.Svc == nil {
		s.Visit.Svc = &VisitService{}
	}
	return s.Visit.Svc
}

func (s *State) paused() bool {
	return s.Visit != nil && s.Visit.Svc != nil && s.Visit.Svc.PausedAt != nil
}

// checkService is check for the events whose rules the complete SOP
// changed; handled false leaves the event to check.
func (s *State) checkService(ev sop.Event, now time.Time) (handled bool, err error) {
	if s.Rules < rulesComplete {
		switch ev.Type {
		case sop.EvWorkExplained, sop.EvRepairRefused, sop.EvPaused, sop.EvResumed, sop.EvIncidentHandled:
			return true, notValid("request %s began before %s existed", s.ID, ev.Type)
		}
		return false, nil
	}
	inService := s.Status == sop.StatusInService
	busy := func() error {
		switch {
		case s.paused():
			return notValid("the work is paused since %s (%s) until resumed (R12.4)", s.clock(*s.Visit.Svc.PausedAt), s.Visit.Svc.PauseReason)
		case s.Service.Incident != nil:
			return notValid("an incident is open since %s: the centre handles it first (R7.5)", s.clock(*s.Service.Incident))
		}
		return nil
	}
	switch ev.Type {
	case sop.EvHQAnswer:
		// R7.2: a question asked during service stays open after the request closes.
		if s.HQ != nil && s.HQ.Rule == sop.R7_2 {
			return true, nil
		}
	case sop.EvCompensationDecision:
		// R7.3: a claim is decided even after the request closed.
		if s.Compensation != nil {
			return true, nil
		}
	case sop.EvCompleted:
		if !inService {
			return false, nil
		}
		switch {
		case !s.Visit.Diagnosed:
			return true, notValid("the real cause is found before the visit is completed: send diagnosed first (R7.1)")
		case s.Chargeable && !s.svc().Agreed:
			return true, notValid("a charged visit starts only with the customer's agreement to the work and its fee: send work_explained first (R12.2)")
		}
		if err := busy(); err != nil {
			return true, err
		}
		return true, s.intakeCheck(ev) // no charge on a free repair (R3.1, R12.6)
	case sop.EvDiagnosed:
		if inService {
			if !*ev.Onsite && ev.WorkshopAccepted == nil {
				return true, notValid("a workshop repair is proposed and the customer chooses: send workshop_accepted with onsite false (R2.5, R7.1)")
			}
			return true, busy()
		}
	case sop.EvWorkExplained:
		switch {
		case !inService:
			return true, notValid("the work is explained in the customer's home, before it starts (R12.2); request %s is %s", s.ID, s.Status)
		case !s.Visit.Diagnosed:
			return true, notValid("the work is explained once its cause is found: send diagnosed first (R7.1, R12.2)")
		case s.svc().Agreed:
			return true, notValid("the customer already agreed to the work (R12.2)")
		}
		return true, busy()
	case sop.EvRepairRefused:
		if !inService {
			return true, notValid("a refusal of the repair is taken in the customer's home (R12.3); request %s is %s", s.ID, s.Status)
		}
		return true, nil
	case sop.EvPaused:
		switch {
		case !inService:
			return true, notValid("only the work in the home pauses (R12.4); request %s is %s", s.ID, s.Status)
		case s.paused():
			return true, notValid("the work is already paused since %s (R12.4)", s.clock(*s.Visit.Svc.PausedAt))
		case !ev.ResumeAt.After(now):
			return true, notValid("the agreed time to resume %s is not in the future (R12.4)", s.clock(*ev.ResumeAt))
		}
		return true, nil
	case sop.EvResumed:
		if !inService || !s.paused() {
			return true, notValid("the work is not paused (R12.4)")
		}
		return true, nil
	case sop.EvIncidentHandled:
		if s.Service.Incident == nil {
			return true, notValid("no incident is open (R7.5)")
		}
		return true, nil
	case sop.EvReassign:
		// R7.4: an urgent job reaches an engineer in a customer's home: the
		// engineer phones the centre (never with the customer's phone), which
		// reassigns or rebooks the visit.
		if !inService {
			return false, nil
		}
		if ev.Engineer != "" && ev.Engineer == s.Engineer {
			return true, notValid("engineer %s is already assigned", ev.Engineer)
		}
		if ev.Start != nil && (ev.End == nil || !ev.End.After(*ev.Start) || !ev.Start.After(now)) {
			return true, notValid("the new slot needs a start in the future and an end after it (R7.4)")
		}
		return true, nil
	}
	return false, nil
}

// expectedService lists the events the complete SOP adds to expected().
func (s *State) expectedService() []expectation {
	if s.Rules < rulesComplete {
		return nil
	}
	var x []expectation
	add := func(t sop.EventType, r sop.Rule) { x = append(x, expectation{t, r}) }
	if s.Service.Incident != nil {
		add(sop.EvIncidentHandled, sop.R7_5) // first: no work until the centre takes charge
	}
	if s.Status == sop.StatusInService {
		v := s.Visit
		switch {
		case s.paused():
			add(sop.EvResumed, sop.R12_4)
		case s.Service.Incident != nil:
			// R7.5: no work until the centre has taken charge (incident_handled below).
		case !v.Diagnosed:
			add(sop.EvDiagnosed, sop.R7_1)
		default:
			if !s.svc().Agreed {
				add(sop.EvWorkExplained, sop.R12_2)
			}
			if !s.Chargeable || s.svc().Agreed {
				add(sop.EvCompleted, sop.R8_1)
			}
		}
		if !s.paused() && s.Service.Incident == nil {
			add(sop.EvPaused, sop.R12_4)
		}
		add(sop.EvRepairRefused, sop.R12_3)
		add(sop.EvReassign, sop.R7_4)
	}
	return x
}

// openService says a question, decision or incident of the service is
// still open after the request closed or was cancelled: the workflow waits
// for it (R7.2, R7.3, R7.5).
func (s *State) openService() bool {
	if s.Rules < rulesComplete {
		return false
	}
	return (s.HQ != nil && s.HQ.Rule == sop.R7_2) || s.Compensation != nil || s.Service.Incident != nil
}

// outlivesService says a clock keeps running after the request closes.
func (s *State) outlivesService(c Clock) bool {
	if s.Rules < rulesComplete {
		return false
	}
	switch c.Name {
	case clkHQ:
		return s.HQ != nil && s.HQ.Rule == sop.R7_2
	case clkCompensation, clkIncident:
		return true
	}
	return false
}

// applyService applies the events whose rules the complete SOP changed;
// false leaves the event to apply.
func (s *State) applyService(st *step, ev sop.Event) bool {
	if s.Rules < rulesComplete {
		return false
	}
	switch ev.Type {
	case sop.EvDiagnosed:
		s.onDiagnosed(st, ev)
	case sop.EvWorkExplained:
		s.onWorkExplained(st, ev)
	case sop.EvRepairRefused:
		s.onRepairRefused(st, ev)
	case sop.EvPaused:
		s.onPaused(st, ev)
	case sop.EvResumed:
		s.onResumed(st)
	case sop.EvIncident:
		s.onIncident(st, ev)
	case sop.EvIncidentHandled:
		s.onIncidentHandled(st, ev)
	case sop.EvCompensationRequested:
		s.onCompensationRequested(st, ev)
	case sop.EvCompensationDecision:
		s.onCompensationDecision(st, ev)
	case sop.EvReassign:
		if s.Status != sop.StatusInService {
			return false
		}
		s.onCalledAway(st, ev)
	default:
		return false
	}
	return true
}

// onDiagnosed applies R7.1 and R2.5: the cause found; a unit that cannot be
// repaired in the home goes to the workshop only with the customer's
// consent, and the visit that takes it is completed with its record and
// card like any other (R8.1, R10.1).
func (s *State) onDiagnosed(st *step, ev sop.Event) {
	v := s.Visit
	v.Diagnosed = true
	if *ev.Onsite {
		e := st.add(sop.KindDiagnosed, sop.R7_1, "cause: %s; following the technical documents; repairable on site", ev.Cause)
		st.outcome(e, sop.OutDone)
		return
	}
	e := st.add(sop.KindDiagnosed, sop.R7_1, "cause: %s; cannot be repaired in the home: workshop repair proposed", ev.Cause)
	st.outcome(e, sop.OutDone)
	if !sop.Bool(ev.WorkshopAccepted, false) {
		e := st.add(sop.KindWorkshop, sop.R2_5, "the customer declines the workshop repair: the customer's choice is respected; the trip ends and the centre agrees the next step with the customer")
		st.outcome(e, sop.OutRefused)
		s.rebook(st, sop.R2_5, "customer declined the workshop repair: agree the next step with the customer")
		return
	}
	s.svc().Workshop = true
	s.Loaner = true
	e = st.add(sop.KindWorkshop, sop.R2_5, "the customer accepts the workshop repair: the unit is taken to the workshop and a loaner unit left when the visit is completed (record and card as for every visit)")
	st.outcome(e, sop.OutAccepted)
}

// toWorkshop ends a completed pickup visit (R2.5): the unit is in the
// workshop, the return visit is booked when it is repaired.
func (s *State) toWorkshop(st *step) {
	e := st.system(sop.KindWorkshop, sop.R2_5, "unit in the workshop, loaner unit left with the customer: the return visit is booked when it is repaired")
	st.outcome(e, sop.OutPlanned)
	st.notify(sop.ToCentre, sop.MsgWorkshopReturn, sop.R2_5, map[string]string{"what": "unit in the workshop: book the return visit when repaired"})
	s.Status = sop.StatusWorkshop
}

// onWorkExplained applies R12.2: before the work starts the engineer
// explains what will be done, how long it takes and what it costs; a
// charged visit starts only with the customer's agreement.
func (s *State) onWorkExplained(st *step, ev sop.Event) {
	fee := "free of charge"
	if *ev.Fee > 0 {
		fee = fmt.Sprintf("fee %.2f", *ev.Fee)
	}
	s.svc().Explained = true
	if *ev.Accepted {
		s.svc().Agreed = true
		e := st.add(sop.KindWorkExplained, sop.R12_2, "work explained before it starts: about %d min, %s%s; the customer agrees", *ev.Minutes, fee, note(ev))
		st.outcome(e, sop.OutAccepted)
		return
	}
	e := st.add(sop.KindWorkExplained, sop.R12_2, "work explained before it starts: about %d min, %s%s; the customer does not agree: no work is done", *ev.Minutes, fee, note(ev))
	st.outcome(e, sop.OutRefused)
	s.rebook(st, sop.R12_2, "customer did not agree to the work or its fee: the centre agrees the next step with the customer (a return or exchange follows R12.3)")
}

// onRepairRefused applies R12.3: the customer refuses the repair and asks
// for a return or exchange; asked why and persuaded, or the request
// continues in the returns procedure (R3.3).
func (s *State) onRepairRefused(st *step, ev sop.Event) {
	if *ev.Persuaded {
		e := st.add(sop.KindRepairRefused, sop.R12_3, "customer refused the repair (%s): asked why and persuaded; the repair goes ahead", ev.Reason)
		st.outcome(e, sop.OutAccepted)
		return
	}
	e := st.add(sop.KindRepairRefused, sop.R12_3, "customer refused the repair (%s): asked why, not persuaded; the request continues as a %s (R3.3)", ev.Reason, yesNo(ev.Return.Exchange, "exchange", "return"))
	st.outcome(e, sop.OutRefused)
	st.finish = s.Appointment.ID
	s.Appointment = nil
	s.Visit = nil
	s.clearVisitClocks()
	r := *ev.Return
	s.Request.Kind = sop.KindReturn
	s.Request.Return = &r
	s.decideReturn(st)
}

// onPaused applies R12.4: the work pauses with a reason and an agreed time
// to resume; a pause longer than sop.pause_max goes back to booking.
func (s *State) onPaused(st *step, ev sop.Event) {
	v := s.svc()
	at := st.now
	v.PausedAt, v.PauseReason, v.ResumeAt = &at, ev.Reason, ev.ResumeAt
	limit := at.Add(s.Policy.PauseMax.Std())
	why := map[string]string{
		sop.PauseCustomerRequest: "the customer asked",
		sop.PauseFetchTool:       "the engineer fetches a tool (never the owner's)",
		sop.PauseFetchPart:       "the engineer fetches a part",
		sop.PauseGetHelp:         "the engineer gets help",
	}[ev.Reason]
	e := st.add(sop.KindPaused, sop.R12_4, "work paused (%s), to resume at %s; the service time stops while paused; back to booking if not resumed by %s (%s)",
		why, s.clock(*ev.ResumeAt), s.clock(limit), human(s.Policy.PauseMax.Std()))
	st.outcome(e, sop.OutPlanned)
	s.setClock(clkPause, s.pastDue(limit), sop.R12_4, 0)
}

func (s *State) onResumed(st *step) {
	v := s.svc()
	took := st.now.Sub(*v.PausedAt)
	v.PausedFor += sop.D(took)
	late := ""
	if st.now.After(*v.ResumeAt) {
		late = fmt.Sprintf(", %s after the agreed time", human(st.now.Sub(*v.ResumeAt).Round(time.Second)))
	}
	v.PausedAt, v.ResumeAt, v.PauseReason = nil, nil, ""
	s.clearClock(clkPause, -1)
	e := st.add(sop.KindResumed, sop.R12_4, "work resumed after a pause of %s%s (limit %s)", human(took.Round(time.Second)), late, human(s.Policy.PauseMax.Std()))
	if late != "" {
		st.outcome(e, sop.OutLate) // later than agreed, within sop.pause_max
	} else {
		st.outcome(e, sop.OutOnTime)
	}
}

// onIncident applies R7.5: no confrontation; the centre and the manager are
// told at once and the centre takes charge.
func (s *State) onIncident(st *step, ev sop.Event) {
	at := st.now
	s.Service.Incident = &at
	due := at.Add(s.Policy.ManagerAfter.Std())
	e := st.add(sop.KindIncident, sop.R7_5, "%s: no confrontation; the centre handles it (to take charge by %s)", ev.Description, s.clock(due))
	st.outcome(e, sop.OutDue)
	params := map[string]string{"description": ev.Description, "engineer": s.Engineer, "address": s.Request.Customer.Address}
	st.urgent(sop.ToCentre, sop.MsgIncident, sop.R7_5, params)
	st.urgent(sop.ToManager, sop.MsgIncident, sop.R7_5, map[string]string{"description": ev.Description, "engineer": s.Engineer, "address": s.Request.Customer.Address})
	s.setClock(clkIncident, s.pastDue(due), sop.R7_5, 0)
}

func (s *State) onIncidentHandled(st *step, ev sop.Event) {
	took := st.now.Sub(*s.Service.Incident)
	s.Service.Incident = nil
	s.clearClock(clkIncident, -1)
	e := st.add(sop.KindIncident, sop.R7_5, "the centre took charge of the incident after %s: %s; %s", human(took.Round(time.Minute)), ev.Resolution,
		yesNo(*ev.Continue, "the service continues", "the engineer leaves and the visit is rebooked"))
	st.outcome(e, sop.OutDone)
	if !*ev.Continue && !s.betweenTrips() {
		s.rebook(st, sop.R7_5, "incident: the engineer left; rebook the visit")
	}
}

// onCompensationRequested applies R7.3: nothing is promised on site; the
// centre decides within sop.manager_after, else the after-sales manager is told.
func (s *State) onCompensationRequested(st *step, ev sop.Event) {
	amount := 0.0
	if ev.Amount != nil {
		amount = *ev.Amount
	}
	s.Compensation = &Compensation{Amount: amount, Reason: ev.Reason, At: st.now}
	due := st.now.Add(s.Policy.ManagerAfter.Std())
	e := st.add(sop.KindCompensation, sop.R7_3, "customer demands compensation of %.2f (%s): nothing promised; the centre decides by %s", amount, ev.Reason, s.clock(due))
	st.outcome(e, sop.OutDue)
	st.notify(sop.ToCentre, sop.MsgCompensation, sop.R7_3, map[string]string{"amount": fmt.Sprintf("%.2f", amount), "reason": ev.Reason, "due": s.clock(due)})
	s.setClock(clkCompensation, s.pastDue(due), sop.R7_3, 0)
}

func (s *State) onCompensationDecision(st *step, ev sop.Event) {
	c := s.Compensation
	s.Compensation = nil
	s.clearClock(clkCompensation, -1)
	e := st.add(sop.KindCompensation, sop.R7_3, "the centre %s the compensation of %.2f (%s) after %s", yesNo(*ev.Approved, "approved", "refused"), c.Amount, c.Reason,
		human(st.now.Sub(c.At).Round(time.Minute)))
	if *ev.Approved {
		st.outcome(e, sop.OutApproved)
	} else {
		st.outcome(e, sop.OutRefused)
	}
	st.notify(sop.ToCustomer, sop.MsgCompensationResult, sop.R7_3, map[string]string{"approved": fmt.Sprint(*ev.Approved), "amount": fmt.Sprintf("%.2f", c.Amount)})
}

// onCalledAway applies R7.4 to an engineer in the customer's home: the
// engineer phoned the centre (own phone), the customer is told, the engineer
// leaves, and the centre rebooks the visit or reassigns it.
func (s *State) onCalledAway(st *step, ev sop.Event) {
	prev := s.Engineer
	e := st.add(sop.KindCentreNotified, sop.R7_4, "engineer %s called to an urgent job: phoned the centre with the engineer's own phone, never the customer's; the customer is told and the engineer leaves", prev)
	st.outcome(e, sop.OutDone)
	st.notify(sop.ToCustomer, sop.MsgCalledAway, sop.R7_4, map[string]string{"engineer": prev})
	s.rebook(st, sop.R7_4, "engineer called to an urgent job: reassign or rebook the visit by urgency")
	if ev.Start != nil {
		s.askBooking(st, *ev.Start, *ev.End, bookReassign)
		st.book.Prefer = ""
		st.book.Only = ev.Engineer
		st.book.Exclude = prev
		st.book.Propose = false
	}
}

// revisitDeadline starts R8.3's booking deadline for a re-visit.
func (s *State) revisitDeadline(st *step) {
	if s.Rules < rulesComplete {
		return
	}
	at := st.now
	s.Service.RevisitSince = &at
	s.setClock(clkRevisitBooking, s.pastDue(at.Add(s.Policy.RevisitBookingWithin.Std())), sop.R8_3, 0)
	s.clearClock(clkRevisitManager, -1)
}

// bookedService: an appointment was booked; a re-visit's deadline is met (R8.3).
func (s *State) bookedService() {
	if s.Rules < rulesComplete {
		return
	}
	s.Service.RevisitSince = nil
	s.clearClock(clkRevisitBooking, -1)
	s.clearClock(clkRevisitManager, -1)
}

// fireService applies the clocks of the service (issue 10).
func (s *State) fireService(st *step, c Clock) {
	p := s.Policy
	switch c.Name {
	case clkCompensation:
		if s.Compensation == nil {
			return
		}
		e := st.system(sop.KindEscalated, sop.R7_3, "compensation of %.2f not decided by the centre within %s: escalated to the after-sales manager", s.Compensation.Amount, human(p.ManagerAfter.Std()))
		st.outcome(e, sop.OutMissed)
		st.urgent(sop.ToManager, sop.MsgCompensation, sop.R7_3, map[string]string{"amount": fmt.Sprintf("%.2f", s.Compensation.Amount), "reason": s.Compensation.Reason})
	case clkIncident:
		if s.Service.Incident == nil {
			return
		}
		e := st.system(sop.KindEscalated, sop.R7_5, "incident not taken in charge by the centre within %s: escalated to the after-sales manager", human(p.ManagerAfter.Std()))
		st.outcome(e, sop.OutMissed)
		st.urgent(sop.ToManager, sop.MsgEscalation, sop.R7_5, map[string]string{"what": "incident not handled by the centre"})
	case clkPause:
		if !s.paused() {
			return
		}
		e := st.system(sop.KindPaused, sop.R12_4, "work paused since %s not resumed within %s: back to booking", s.clock(*s.Visit.Svc.PausedAt), human(p.PauseMax.Std()))
		st.outcome(e, sop.OutMissed)
		s.rebook(st, sop.R12_4, fmt.Sprintf("pause longer than %s: rebook the visit with the customer", human(p.PauseMax.Std())))
	case clkRevisitBooking:
		e := st.system(sop.KindEscalated, sop.R8_3, "re-visit not booked within %s: escalated to the centre; the after-sales manager is told after %s more", human(p.RevisitBookingWithin.Std()), human(p.ManagerAfter.Std()))
		st.outcome(e, sop.OutMissed)
		st.urgent(sop.ToCentre, sop.MsgRevisit, sop.R8_3, map[string]string{"visits": fmt.Sprint(s.Visits), "what": "re-visit not booked"})
		s.setClock(clkRevisitManager, s.pastDue(st.now.Add(p.ManagerAfter.Std())), sop.R8_3, 0)
	case clkRevisitManager:
		e := st.system(sop.KindEscalated, sop.R8_3, "re-visit still not booked %s after the centre was told: escalated to the after-sales manager", human(p.ManagerAfter.Std()))
		st.outcome(e, sop.OutMissed)
		st.urgent(sop.ToManager, sop.MsgManagerVisit, sop.R8_3, map[string]string{"why": "re-visit of a dissatisfied customer not booked"})
	}
}
