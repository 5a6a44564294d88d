// Package activities holds the side effects of the ServiceRequest workflow.
// Each is idempotent on the request id and the workflow's step number, never
// on Temporal's activity attempt: a retried or replayed activity writes and
// sends nothing twice.
package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// Activities are registered with the worker under the names in workflows.
type Activities struct {
	Store *store.Store
	// Temporal signals requests (the reconciliation's results).
	Temporal client.Client
	Log      *zap.Logger
	// Metrics counts steps waiting for the database (nil: not counted).
	Metrics *Metrics
}

// Commit writes one step of a request (timeline, projection, outbox, records)
// in one transaction, keyed on (request id, step). It returns the step it
// committed: run as a local activity, its result is where the history keeps
// the step for the auditor (audit.Steps).
//
// Run as an activity task (workflows stepsRecorded), the history already
// holds the step as the activity's input, so it returns nothing (null):
// the step is not stored twice.
//
// A failure is retried by Temporal until the database takes the step, as
// long as that takes; every failed attempt is logged and counted
// (housecall_step_write_failures_total, housecall_steps_waiting).
func (a *Activities) Commit(ctx context.Context, in workflows.CommitInput) (*workflows.CommitInput, error) {
	applied, err := a.Store.Commit(ctx, in)
	if a.attempt(ctx, workflows.ActivityCommit, in.RequestID, in.Seq, err) != nil {
		return nil, fmt.Errorf("write step %d of %s: %w", in.Seq, in.RequestID, err)
	}
	if !applied {
		a.logger(ctx, in.RequestID).Info("step already committed", zap.Int64("seq", in.Seq))
	}
	if activity.IsActivity(ctx) && !activity.GetInfo(ctx).IsLocalActivity {
		return nil, nil
	}
	return &in, nil
}

// attempt counts one attempt of a step's write and logs a failed one: the
// request waits for the database. It returns err.
func (a *Activities) attempt(ctx context.Context, name, requestID string, seq int64, err error) error {
	a.Metrics.outcome(name, requestID, seq, err)
	if err != nil {
		a.logger(ctx, requestID).Warn("step not written: retried until the database takes it",
			zap.String("step_activity", name), zap.Int64("seq", seq), zap.Error(err))
	}
	return err
}

// BookAppointment books an engineer's slot or proposes another (R4.1).
func (a *Activities) BookAppointment(ctx context.Context, in workflows.BookInput) (workflows.BookResult, error) {
	res, err := a.Store.Book(ctx, in)
	if a.attempt(ctx, workflows.ActivityBook, in.RequestID, 0, err) != nil {
		return res, fmt.Errorf("booking %s: %w", in.Key, err)
	}
	l := a.logger(ctx, in.RequestID).With(zap.String("outcome", res.Outcome), zap.String("key", in.Key))
	if res.Appointment != nil {
		l = l.With(zap.String("engineer", res.Appointment.Engineer), zap.Time("start", res.Appointment.Start))
	}
	l.Info("booking", zap.String("reason", res.Reason))
	return res, nil
}

func (a *Activities) logger(ctx context.Context, requestID string) *zap.Logger {
	l := a.Log
	if l == nil {
		l = zap.NewNop()
	}
	l = l.With(zap.String("request_id", requestID))
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		l = l.With(zap.String("activity", info.ActivityType.Name), zap.Int32("attempt", info.Attempt))
	}
	return l
}

// ReconcileCards runs the daily reconciliation in PostgreSQL (R10.2).
func (a *Activities) ReconcileCards(ctx context.Context, in workflows.ReconcileCardsInput) (workflows.ReconcileResult, error) {
	res, err := a.Store.Reconcile(ctx, in)
	if err != nil {
		return res, err
	}
	a.logger(ctx, in.Key).Info("reconciliation", zap.Int64("id", res.ID), zap.Int("cards", res.Cards),
		zap.Int("flagged", res.Flagged), zap.Int("deferred", res.Deferred))
	return res, nil
}

// DeliverReconciliation tells every request whose cards were reconciled
// (signal "reconciliation"); a request whose workflow has ended gets its
// call-back (or its request for a confirmation) through the outbox
// directly, so no flag is lost (R10.2).
//
// The loop heartbeats the index of the next request to tell: an attempt
// retried after a partial failure resumes there instead of signalling the
// requests before it again. (Requests begun with the complete SOP also
// apply a reconciliation id once, should a heartbeat be lost.)
func (a *Activities) DeliverReconciliation(ctx context.Context, res workflows.ReconcileResult) error {
	byRequest := map[string][]workflows.ReconciledVisit{}
	var order []string
	for _, v := range res.Visits {
		if _, ok := byRequest[v.RequestID]; !ok {
			order = append(order, v.RequestID)
		}
		byRequest[v.RequestID] = append(byRequest[v.RequestID], v)
	}
	next := 0
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &next); err != nil {
			next = 0
		}
		if next > 0 {
			a.logger(ctx, "").Info("reconciliation delivery resumed", zap.Int64("reconciliation", res.ID), zap.Int("from", next), zap.Int("requests", len(order)))
		}
	}
	for i := next; i < len(order); i++ {
		id := order[i]
		if err := a.deliver(ctx, res, id, byRequest[id]); err != nil {
			return err
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, i+1)
		}
	}
	return nil
}

// deliver tells one request what the reconciliation found of its cards.
func (a *Activities) deliver(ctx context.Context, res workflows.ReconcileResult, id string, visits []workflows.ReconciledVisit) error {
	err := a.Temporal.SignalWorkflow(ctx, id, "", workflows.SignalReconciliation, workflows.Reconciliation{ID: res.ID, At: res.At, Visits: visits})
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf):
		idx := 0
		for _, v := range visits {
			for _, f := range v.Flags {
				if err := a.Store.NotifyCentreOutsideAStep(ctx, id, -res.ID, idx, sop.MsgFalsification, sop.R10_2, map[string]string{
					"request": id, "visit": fmt.Sprint(v.Visit), "engineer": v.Engineer, "why": f.Detail}); err != nil {
					return err
				}
				idx++
			}
			if v.Confirm {
				if err := a.Store.NotifyCentreOutsideAStep(ctx, id, -res.ID, idx, sop.MsgConfirmSatisfaction, sop.R10_2, map[string]string{
					"request": id, "visit": fmt.Sprint(v.Visit), "engineer": v.Engineer}); err != nil {
					return err
				}
				idx++
			}
		}
		a.logger(ctx, id).Warn("reconciliation for an ended request: centre told through the outbox", zap.Int64("reconciliation", res.ID))
		return nil
	default:
		return fmt.Errorf("signal %s: %w", id, err)
	}
}
