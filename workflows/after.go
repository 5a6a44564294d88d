package workflows

import (
	"fmt"
	"slices"
	"time"

	"github.com/housecall/housecall/sop"
)

// After-care of a request begun with rulesComplete: the deadlines of the
// call-backs (R2.2, R9.1, R10.2), the reconciliation's grace and the
// deduplication of its signal (R10.2).

// clkCallback is the deadline of a call-back that fell due (R2.2, R9.1 and
// the R10.2 call-back that puts a suspected falsification right): not made
// within sop.callback_within, the centre is told (N = 1); still not made
// sop.manager_after later, the after-sales manager (N = 2).
const clkCallback = "callback_overdue"

// clkConfirm is the deadline of the call that asks a customer to confirm a
// card they did not sign (R10.2), escalated as clkCallback is.
const clkConfirm = "confirmation_overdue"

func init() {
	// After the clocks of issue 9 at the same instant.
	clockOrder[clkCallback] = 20
	clockOrder[clkConfirm] = 21
}

// callbackFellDue starts the deadline of a call-back that has just fallen
// due (requests begun with rulesComplete; older ones wait without end).
func (s *State) callbackFellDue(st *step, rule sop.Rule) {
	s.startCallbackClock(st, clkCallback, rule)
}

func (s *State) startCallbackClock(st *step, name string, rule sop.Rule) {
	if s.Rules < rulesComplete || s.Policy.CallbackWithin <= 0 {
		return
	}
	s.setClock(name, s.pastDue(st.now.Add(s.Policy.CallbackWithin.Std())), rule, 1)
}

// callbackMade ends the call-back's deadline (R2.2, R9.1, R10.2) and says
// whether it had been escalated already. A request without the deadline
// (older rules) changes nothing.
func (s *State) callbackMade() (escalated bool) {
	c, ok := s.clockNamed(clkCallback)
	s.clearClock(clkCallback, -1)
	return ok && c.N > 1
}

// fireCallback escalates a call-back not made in time.
func (s *State) fireCallback(st *step, c Clock) {
	p := s.Policy
	what := map[sop.Rule]string{
		sop.R2_2:  "call-back after the phone consultation",
		sop.R9_1:  "follow-up call after an uncertain fix",
		sop.R10_2: "call-back to put a suspected falsification right",
	}[c.Rule]
	if c.Name == clkConfirm {
		what = "call asking the customer to confirm an unsigned card"
	}
	if what == "" {
		what = "call-back"
	}
	params := map[string]string{"what": what, "customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone}
	if c.N <= 1 {
		params["within"] = human(p.CallbackWithin.Std())
		e := st.system(sop.KindEscalated, c.Rule, "%s not made within %s of falling due: escalated to the centre", what, human(p.CallbackWithin.Std()))
		st.outcome(e, sop.OutMissed)
		st.urgent(sop.ToCentre, sop.MsgCallbackOverdue, c.Rule, params)
		if p.ManagerAfter > 0 {
			s.setClock(c.Name, c.At.Add(p.ManagerAfter.Std()), c.Rule, 2)
		}
		return
	}
	params["after"] = human(p.ManagerAfter.Std())
	e := st.system(sop.KindEscalated, c.Rule, "%s still not made %s after the centre was told: escalated to the after-sales manager", what, human(p.ManagerAfter.Std()))
	st.outcome(e, sop.OutMissed)
	st.urgent(sop.ToManager, sop.MsgCallbackOverdue, c.Rule, params)
}

// resultOutcome records on a call-back's result entry whether the customer
// is satisfied (the problem solved), and says when it came only after the
// escalation.
func (st *step) resultOutcome(e *Entry, resolved, escalated bool) {
	o := sop.OutResolved
	if !resolved {
		o = sop.OutUnresolved
	}
	st.outcome(e, o)
	if escalated {
		e.Detail += "; made only after the escalation to the centre"
	}
}

// reconcileGraceOf is how long after the last possible reconciliation of a
// card the request waits before it says the reconciliation did not come:
// sop.reconcile_grace for requests begun with rulesComplete.
func (s *State) reconcileGraceOf() time.Duration {
	if s.Rules >= rulesComplete && s.Policy.ReconcileGrace > 0 {
		return s.Policy.ReconcileGrace.Std()
	}
	return reconcileGrace
}

// seenReconciliation says a reconciliation was applied already (a
// retried DeliverReconciliation signals again): requests begun with
// rulesComplete apply each reconciliation once (R10.2). It remembers id.
func (s *State) seenReconciliation(id int64) bool {
	if s.Rules < rulesComplete {
		return false
	}
	if slices.Contains(s.Reconciliations, id) {
		return true
	}
	s.Reconciliations = append(s.Reconciliations, id)
	return false
}

// setCardClock starts the R10.1 clock of the card due by due (the last
// second of the visit's day in the service area): for requests begun with
// rulesComplete it fires once that second has passed, at midnight, so a
// card returned at 23:59:59 is on time.
func (s *State) setCardClock(due time.Time) {
	s.setClock(clkCard, s.pastDue(due), sop.R10_1, s.Visits)
}

// falsificationCallback opens the call-back that puts a suspected
// falsification right (R10.2) on a closed request; for requests begun with
// rulesComplete it falls due now, with its deadline.
func (s *State) falsificationCallback(st *step) {
	if s.Status != sop.StatusClosed {
		return
	}
	s.Status = sop.StatusFollowup
	s.FollowupWhy = "falsification"
	s.FollowupDue = true
	if s.Rules >= rulesComplete {
		e := st.system(sop.KindFollowupDue, sop.R10_2, "call the customer back now to put the suspected falsification right (within %s)", human(s.Policy.CallbackWithin.Std()))
		st.outcome(e, sop.OutDue)
		s.callbackFellDue(st, sop.R10_2)
	}
}

// askConfirmation: the card says satisfied but the customer did not sign
// it (R8.2, never forced). That is not falsification by itself (R10.2):
// the centre calls the customer to confirm, within sop.callback_within.
func (s *State) askConfirmation(st *step, v ReconciledVisit, at time.Time) {
	c := s.card(v.Visit)
	if c == nil || c.Confirmed != nil {
		return
	}
	c.ConfirmAsked = true
	e := st.add(sop.KindReconciled, sop.R10_2, "card of visit %d reconciled on %s: marked satisfied, not signed by the customer (R8.2): not falsification by itself; the centre asks the customer to confirm", v.Visit, s.clock(at))
	st.outcome(e, sop.OutUnconfirmed)
	st.notify(sop.ToCentre, sop.MsgConfirmSatisfaction, sop.R10_2, map[string]string{"visit": fmt.Sprint(v.Visit), "engineer": v.Engineer,
		"customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone})
	s.startCallbackClock(st, clkConfirm, sop.R10_2)
}

func (s *State) card(visit int) *Card {
	for i := range s.Cards {
		if s.Cards[i].Visit == visit {
			return &s.Cards[i]
		}
	}
	return nil
}

// unconfirmedCard is the first card of a request begun with rulesComplete
// that the customer has not confirmed yet (R10.2): the customer may confirm
// any visit, by the centre's call or the customer link.
func (s *State) unconfirmedCard() *Card {
	if s.Rules < rulesComplete {
		return nil
	}
	for i := range s.Cards {
		if s.Cards[i].Confirmed == nil {
			return &s.Cards[i]
		}
	}
	return nil
}

// confirmationCheck admits the customer's confirmation of a visit whose
// card exists and is not confirmed yet (R10.2).
func (s *State) confirmationCheck(ev sop.Event) error {
	if s.Rules < rulesComplete {
		return notValid("request %s began before satisfaction_confirmed existed (R10.2); it waits for: %s", s.ID, s.describeWaits())
	}
	c := s.card(*ev.Visit)
	switch {
	case c == nil:
		return notValid("request %s has no completed visit %d to confirm (R10.2)", s.ID, *ev.Visit)
	case c.Confirmed != nil:
		return notValid("visit %d was confirmed by the customer already (R10.2)", *ev.Visit)
	}
	return nil
}

// onConfirmation records the customer's own confirmation of a visit
// (R10.2). Where it contradicts a card marked satisfied, that "satisfied"
// is one the customer did not give: suspected falsification, and the
// customer is called back to put it right.
func (s *State) onConfirmation(st *step, ev sop.Event) {
	c := s.card(*ev.Visit)
	sat := *ev.Satisfied
	c.Confirmed = &sat
	st.confirm = &Confirmation{Visit: c.Visit, Satisfied: sat, At: st.now}
	escalated := false
	if c.ConfirmAsked {
		cl, ok := s.clockNamed(clkConfirm)
		escalated = ok && cl.N > 1
		s.clearClock(clkConfirm, -1)
	}
	late := yesNo(escalated, "; confirmed only after the escalation", "")
	if ev.Rating != nil { // the customer's own rating (their link)
		late = fmt.Sprintf("; rated %d/5", *ev.Rating) + late
	}
	if ev.Actor.Role == sop.RoleCustomer {
		late += "; through the customer's link"
	}
	if ev.SignedByCustomer != nil && !*ev.SignedByCustomer && c.Signed {
		// R8.2, R10.2 (000: 满意非用户所签): the card says the customer signed,
		// the customer says they did not: a signature that is not theirs.
		why := "the customer says they did not sign the record the card says they signed: a signature not the customer's"
		e := st.add(sop.KindSuspectedFalsified, sop.R8_2, "visit %d (%s): %s; the customer is called back to put it right", c.Visit, c.Engineer, why)
		st.outcome(e, sop.OutRefused)
		st.urgent(sop.ToCentre, sop.MsgFalsification, sop.R8_2, map[string]string{"visit": fmt.Sprint(c.Visit), "engineer": c.Engineer, "why": why,
			"customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone})
		s.falsificationCallback(st)
	}
	if c.Satisfied && !sat {
		e := st.add(sop.KindSatisfactionConfirmed, sop.R10_2, "customer says visit %d did not satisfy them, but the card says satisfied%s", c.Visit, late)
		st.outcome(e, sop.OutRefused)
		why := "the customer's own confirmation contradicts the card's \"satisfied\": suspected falsification"
		st.add(sop.KindSuspectedFalsified, sop.R10_2, "visit %d (%s): %s; the customer is called back to put it right", c.Visit, c.Engineer, why)
		st.urgent(sop.ToCentre, sop.MsgFalsification, sop.R10_2, map[string]string{"visit": fmt.Sprint(c.Visit), "engineer": c.Engineer, "why": why,
			"customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone})
		s.falsificationCallback(st)
		return
	}
	e := st.add(sop.KindSatisfactionConfirmed, sop.R10_2, "customer confirms visit %d: %s (the card says %s)%s", c.Visit,
		yesNo(sat, "satisfied", "not satisfied"), yesNo(c.Satisfied, "satisfied", "not satisfied"), late)
	st.outcome(e, sop.OutConfirmed)
}
