// Package activities holds the side effects of the ServiceRequest workflow.
// Each is idempotent on the request id and the workflow's step number, never
// on Temporal's activity attempt: a retried or replayed activity writes and
// sends nothing twice.
package activities

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.uber.org/zap"

	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

// Activities are registered with the worker under the names in workflows.
type Activities struct {
	Store *store.Store
	Log   *zap.Logger
}

// Commit writes one step of a request (timeline, projection, outbox, records)
// in one transaction, keyed on (request id, step).
func (a *Activities) Commit(ctx context.Context, in workflows.CommitInput) error {
	applied, err := a.Store.Commit(ctx, in)
	if err != nil {
		return err
	}
	if !applied {
		a.logger(ctx, in.RequestID).Info("step already committed", zap.Int64("seq", in.Seq))
	}
	return nil
}

// BookAppointment books an engineer's slot or proposes another (R4.1).
func (a *Activities) BookAppointment(ctx context.Context, in workflows.BookInput) (workflows.BookResult, error) {
	res, err := a.Store.Book(ctx, in)
	if err != nil {
		return res, err
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
