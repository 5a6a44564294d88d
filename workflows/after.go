package workflows

import (
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

func init() {
	// After every clock of the same instant: a call-back made at its
	// deadline's very instant is applied before the escalation fires.
	clockOrder[clkCallback] = 20
}

// callbackFellDue starts the deadline of a call-back that has just fallen
// due (requests begun with rulesComplete; older ones wait without end).
func (s *State) callbackFellDue(st *step, rule sop.Rule) {
	if s.Rules < rulesComplete || s.Policy.CallbackWithin <= 0 {
		return
	}
	s.setClock(clkCallback, st.now.Add(s.Policy.CallbackWithin.Std()+pastDeadline), rule, 1)
}

// pastDeadline: an escalation fires one second past its deadline, so that
// what is done at the deadline's very instant is on time (a timer and an
// event of the same instant come in no fixed order).
const pastDeadline = time.Second

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
			s.setClock(clkCallback, c.At.Add(p.ManagerAfter.Std()), c.Rule, 2)
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
	at := due
	if s.Rules >= rulesComplete {
		at = due.Add(pastDeadline)
	}
	s.setClock(clkCard, at, sop.R10_1, s.Visits)
}
