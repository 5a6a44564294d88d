package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/sop"
)

// The daily reconciliation (R10.2): a Temporal Schedule starts the Reconcile
// workflow at sop.reconcile_at; it compares the service cards with what the
// customers confirmed in PostgreSQL, stores the result, and tells every
// request whose cards it looked at (signal "reconciliation"). A request
// records each suspected falsification in its own timeline and opens a
// call-back to the customer.
const (
	ReconcileWorkflowName  = "Reconcile"
	ReconcileScheduleID    = "housecall-reconcile"
	SignalReconciliation   = "reconciliation"
	ActivityReconcileCards = "ReconcileCards"
	ActivityDeliver        = "DeliverReconciliation"
)

// Reasons a card is flagged as suspected falsification.
const (
	FlagSatisfiedNotSigned = "satisfied_not_signed" // before issue 10: any unsigned "satisfied"
	FlagCardNotReturned    = "card_not_returned"
	// FlagCustomerContradicts: the customer's own confirmation says not
	// satisfied where the card says satisfied (R10.2).
	FlagCustomerContradicts = "customer_contradicts"
)

// ReconcileInput configures a reconciliation run.
type ReconcileInput struct {
	UTCOffsetSeconds int `json:"utc_offset_seconds"`
}

// ReconcileCardsInput asks the database to reconcile the cards due by At.
type ReconcileCardsInput struct {
	Key              string    `json:"key"` // idempotency: one result per run
	At               time.Time `json:"at"`
	UTCOffsetSeconds int       `json:"utc_offset_seconds"`
}

// Flag is one suspected falsification.
type Flag struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// ReconciledVisit is one card looked at.
type ReconciledVisit struct {
	RequestID string `json:"request_id"`
	Visit     int    `json:"visit"`
	Engineer  string `json:"engineer"`
	Flags     []Flag `json:"flags,omitempty"`
	// Confirm: the card says satisfied but the customer did not sign it
	// (R8.2) and has not confirmed it yet: not falsification by itself; the
	// customer is asked to confirm (R10.2).
	Confirm bool `json:"confirm,omitempty"`
}

// ReconcileResult is a run's outcome, as stored.
type ReconcileResult struct {
	ID       int64             `json:"id"`
	At       time.Time         `json:"at"`
	Cards    int               `json:"cards"`
	Clean    int               `json:"clean"`
	Flagged  int               `json:"flagged"`
	Deferred int               `json:"deferred"`
	Visits   []ReconciledVisit `json:"visits"`
	// Unconfirmed counts the unsigned cards the customers are asked to
	// confirm (R10.2; counted in Clean too).
	Unconfirmed int `json:"unconfirmed,omitempty"`
}

// Reconciliation is the signal a request receives about its cards.
type Reconciliation struct {
	ID     int64             `json:"id"`
	At     time.Time         `json:"at"`
	Visits []ReconciledVisit `json:"visits"`
}

// Reconcile is the daily reconciliation workflow (R10.2).
func Reconcile(ctx workflow.Context, in ReconcileInput) (ReconcileResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	var res ReconcileResult
	err := workflow.ExecuteActivity(ctx, ActivityReconcileCards, ReconcileCardsInput{
		Key:              workflow.GetInfo(ctx).WorkflowExecution.ID,
		At:               workflow.Now(ctx),
		UTCOffsetSeconds: in.UTCOffsetSeconds,
	}).Get(ctx, &res)
	if err != nil {
		return res, fmt.Errorf("reconcile cards: %w", err)
	}
	if len(res.Visits) > 0 {
		if err := workflow.ExecuteActivity(ctx, ActivityDeliver, res).Get(ctx, nil); err != nil {
			return res, fmt.Errorf("deliver the reconciliation: %w", err)
		}
	}
	workflow.GetLogger(ctx).Info("reconciled", "cards", res.Cards, "flagged", res.Flagged, "deferred", res.Deferred)
	return res, nil
}

// reconcileGrace is how long after the last possible reconciliation of a
// card a request waits before it says the reconciliation did not come.
const reconcileGrace = time.Hour

// reconcileDeadline is when a card completed now has certainly been
// reconciled: the first run after the end of the visit's day (R10.1: the
// card is due that day), plus a grace.
func (s *State) reconcileDeadline(cardDue time.Time) time.Time {
	h, m, err := s.Policy.ReconcileClock()
	if err != nil {
		h, m = 18, 0
	}
	loc := s.Policy.Location()
	d := cardDue.In(loc)
	at := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
	if !at.After(cardDue) {
		at = at.AddDate(0, 0, 1)
	}
	return at.Add(s.reconcileGraceOf())
}

// awaitReconciliation keeps the request open until its new card has been
// reconciled (R10.2).
func (s *State) awaitReconciliation() {
	if !s.WaitReconciliation {
		return
	}
	var latest time.Time
	for _, c := range s.Cards {
		if !c.Reconciled {
			if d := s.reconcileDeadline(c.Due); d.After(latest) {
				latest = d
			}
		}
	}
	s.clearClock(clkReconcileWait, -1)
	if !latest.IsZero() {
		s.setClock(clkReconcileWait, latest, sop.R10_2, 0)
	}
}

// onReconciliation records what the daily reconciliation found (R10.2):
// every suspected falsification goes into the timeline and opens a call-back
// to the customer to put it right.
func (s *State) onReconciliation(sig Reconciliation, now time.Time) *step {
	st := s.newStep(now, sop.Actor{Role: sop.RoleSystem, Subject: fmt.Sprintf("reconciliation#%d", sig.ID)}, nil)
	if s.seenReconciliation(sig.ID) {
		return st // delivered again by a retried DeliverReconciliation: applied once (R10.2)
	}
	flagged := false
	for _, v := range sig.Visits {
		if v.RequestID != s.ID {
			continue
		}
		for i := range s.Cards {
			if s.Cards[i].Visit == v.Visit {
				s.Cards[i].Reconciled = true
			}
		}
		if v.Confirm {
			if s.Rules >= rulesComplete {
				s.askConfirmation(st, v, sig.At)
				continue
			}
			// Before issue 10 an unsigned "satisfied" was flagged by itself.
			v.Flags = append(v.Flags, Flag{Reason: FlagSatisfiedNotSigned, Detail: "marked satisfied, but the record was not signed by the customer: suspected falsification"})
		}
		if len(v.Flags) == 0 {
			st.add(sop.KindReconciled, sop.R10_2, "card of visit %d reconciled on %s: consistent with the customer's confirmation", v.Visit, s.clock(sig.At))
			continue
		}
		flagged = true
		for _, f := range v.Flags {
			st.add(sop.KindSuspectedFalsified, sop.R10_2, "visit %d (%s): %s; the customer is called back to put it right", v.Visit, v.Engineer, f.Detail)
			st.urgent(sop.ToCentre, sop.MsgFalsification, sop.R10_2, map[string]string{"visit": fmt.Sprint(v.Visit), "engineer": v.Engineer, "why": f.Detail,
				"customer": s.Request.Customer.Name, "phone": s.Request.Customer.Phone})
		}
	}
	if flagged {
		s.falsificationCallback(st)
	}
	s.awaitReconciliation()
	return st
}

// handleReconciliation applies a reconciliation signal under the mutex.
func (r *run) handleReconciliation(ctx workflow.Context, sig Reconciliation) error {
	return r.locked(ctx, func() error {
		return r.exec(ctx, r.s.onReconciliation(sig, workflow.Now(ctx)))
	})
}
