package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/sop"
)

// ServiceRequest is the workflow of one service request (R1.3: one request,
// one workflow; its ID is the request ID).
func ServiceRequest(ctx workflow.Context, in Input) (View, error) {
	r := &run{
		mu:   workflow.NewMutex(ctx),
		wake: workflow.NewBufferedChannel(ctx, 1),
	}
	logger := workflow.GetLogger(ctx)
	// How this run executes its steps (versions.go).
	r.steps = stepMode(workflow.GetVersion(ctx, changeLocalSteps, workflow.DefaultVersion, StepsVersionNow))

	// The state is set up before the handlers are registered, and the first
	// step is taken under the mutex, so no event ever sees a half-made request.
	var first *step
	if in.Resume != nil {
		r.s = *in.Resume
		if in.PreviousRunID != "" {
			r.s.PreviousRunID = in.PreviousRunID
		}
	} else {
		// Rules added while requests were running (versions.go). A request
		// that runs its steps locally began after every earlier change: it
		// need not ask for them (each answer costs the server a marker and a
		// visibility write).
		r.s.WaitReconciliation = r.steps >= stepsLocal || workflow.GetVersion(ctx, changeWaitReconciliation, workflow.DefaultVersion, 1) >= 1
		// Rules of stepsRecorded, kept by the request across its runs.
		r.s.CoalesceMissed = r.steps >= stepsRecorded
		r.s.CalendarPurchaseDates = r.steps >= stepsRecorded
		if r.steps >= stepsComplete {
			r.s.Rules = rulesComplete
		}
		first = r.s.start(workflow.Now(ctx), in)
	}
	if err := r.mu.Lock(ctx); err != nil {
		return View{}, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (View, error) {
		v := r.s.View()
		if r.writing.Step != 0 {
			w := r.writing
			v.Writing = &w
		}
		return v, nil
	}); err != nil {
		return View{}, err
	}
	if err := workflow.SetQueryHandler(ctx, QuerySnapshot, func() (State, error) {
		return r.s, nil
	}); err != nil {
		return View{}, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateEvent, r.onEvent, workflow.UpdateHandlerOptions{
		Validator: r.validate,
	}); err != nil {
		return View{}, err
	}
	err := r.exec(ctx, first)
	r.mu.Unlock()
	if err != nil {
		return View{}, err
	}

	reconciliations := workflow.GetSignalChannel(ctx, SignalReconciliation)
	var (
		timerAt     time.Time
		timer       workflow.Future
		cancelTimer workflow.CancelFunc
	)
	for {
		// The search attributes follow the state once per workflow task,
		// however many steps it took (changeLocalSteps; before it, after
		// every step).
		if err := r.refreshSearchAttributes(ctx); err != nil {
			return r.s.View(), err
		}
		if r.s.finished() {
			// Let every event already admitted finish; one may reopen work (a complaint).
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return r.s.View(), err
			}
			// A reconciliation signalled meanwhile is recorded, never dropped.
			var sig Reconciliation
			for reconciliations.ReceiveAsync(&sig) {
				if err := r.handleReconciliation(ctx, sig); err != nil {
					return r.s.View(), err
				}
			}
			if r.s.finished() {
				break
			}
		}
		if r.shouldContinueAsNew(ctx) {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && !r.mu.IsLocked() }); err != nil {
				return r.s.View(), err
			}
			logger.Info("continuing as new", "seq", r.s.Seq, "history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength())
			state := r.s
			return View{}, workflow.NewContinueAsNewError(ctx, WorkflowName, Input{Request: state.Request, Policy: state.Policy, Resume: &state})
		}

		next, ok := r.s.nextClock()
		now := workflow.Now(ctx)
		if ok && !next.At.After(now) {
			if err := r.locked(ctx, func() error { return r.fireDue(ctx) }); err != nil {
				return r.s.View(), err
			}
			continue
		}
		if ok && !next.At.Equal(timerAt) || !ok && timer != nil {
			if cancelTimer != nil {
				cancelTimer()
			}
			timer, cancelTimer, timerAt = nil, nil, time.Time{}
			if ok {
				tctx, cancel := workflow.WithCancel(ctx)
				timer = workflow.NewTimerWithOptions(tctx, next.At.Sub(now), workflow.TimerOptions{Summary: next.Name})
				cancelTimer, timerAt = cancel, next.At
			}
		}
		sel := workflow.NewSelector(ctx)
		if timer != nil {
			sel.AddFuture(timer, func(f workflow.Future) {
				timer, cancelTimer, timerAt = nil, nil, time.Time{}
			})
		}
		sel.AddReceive(r.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		var signalled *Reconciliation
		sel.AddReceive(reconciliations, func(c workflow.ReceiveChannel, _ bool) {
			var sig Reconciliation
			c.Receive(ctx, &sig)
			signalled = &sig
		})
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if ctx.Err() != nil {
			// The workflow itself was cancelled (e.g. from the Temporal UI).
			return r.s.View(), ctx.Err()
		}
		if signalled != nil {
			if err := r.handleReconciliation(ctx, *signalled); err != nil {
				return r.s.View(), err
			}
		}
	}
	return r.s.View(), r.refreshSearchAttributes(ctx)
}

// refreshSearchAttributes brings the search attributes up to date, in runs
// that set them once per workflow task (changeLocalSteps).
func (r *run) refreshSearchAttributes(ctx workflow.Context) error {
	if r.steps < stepsLocal {
		return nil
	}
	return r.upsertSearchAttributes(ctx)
}

// stepRetry: Commit and BookAppointment are idempotent and retried until
// the database answers, however long it is down: no maximum of attempts
// and no schedule-to-close timeout, so a step's effects are never dropped
// and a request never fails because PostgreSQL is away. A bad value that
// PostgreSQL refuses is retried the same way — a visible, retrying step
// (worker log and metrics), never a dead workflow.
var stepRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    30 * time.Second,
}

// activityOptions run activities as activity tasks: the Reconcile
// workflow's, and a step's (stepsRecorded, and runs recorded before
// changeLocalSteps). The server hands the activity back to the worker in
// the answer to the workflow task that scheduled it (eager execution), so
// a step costs no extra poll.
var activityOptions = workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: stepRetry}

// localOptions run them as local activities (runs recorded as
// stepsLocal). A local activity's schedule-to-close defaults to its
// start-to-close: the old 30 s made a PostgreSQL outage of about 16 s fail
// the workflow. It is now as unbounded as an activity task's in practice.
var localOptions = workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: 10 * 365 * 24 * time.Hour, RetryPolicy: stepRetry}

// run is one execution of the workflow: its state and the plumbing around it.
type run struct {
	s     State
	steps stepMode // how steps run (changeLocalSteps)
	// writing is the step whose Commit has not finished (the query shows it).
	writing Writing
	lastSA  saKey
	mended  bool // stepsStartAttributes: the attributes were checked
	mu      workflow.Mutex
	wake    workflow.Channel
}

// locked runs f holding the state's mutex, so that steps never interleave
// while one waits for its activities.
func (r *run) locked(ctx workflow.Context, f func() error) error {
	if err := r.mu.Lock(ctx); err != nil {
		return err
	}
	defer r.mu.Unlock()
	return f()
}

// validate is the update validator: it rejects, before anything is written
// to the history, an event that does not fit the request's state (409).
func (r *run) validate(ctx workflow.Context, ev sop.Event) error {
	if bad := ev.Validate(); len(bad) > 0 {
		return temporal.NewApplicationError(fmt.Sprintf("invalid %s event: %v", ev.Type, bad), ErrBadEvent)
	}
	return r.s.check(ev, workflow.Now(ctx))
}

// onEvent is the update handler: apply the event, commit its effects and
// return the new state.
func (r *run) onEvent(ctx workflow.Context, ev sop.Event) (View, error) {
	err := r.locked(ctx, func() error {
		// The state may have moved while this update waited for the mutex.
		if err := r.s.check(ev, workflow.Now(ctx)); err != nil {
			return err
		}
		return r.exec(ctx, r.s.apply(ev, workflow.Now(ctx)))
	})
	r.wake.SendAsync(true)
	if err != nil {
		return View{}, err
	}
	return r.s.View(), nil
}

// fireDue applies every clock that has fallen due, earliest first.
func (r *run) fireDue(ctx workflow.Context) error {
	for {
		c, ok := r.s.nextClock()
		now := workflow.Now(ctx)
		if !ok || c.At.After(now) {
			return nil
		}
		r.s.clearClock(c.Name, c.N)
		if err := r.exec(ctx, r.s.fire(c, now)); err != nil {
			return err
		}
	}
}

// exec commits a step and, when it asked for a booking, books and applies the
// answer as the next step.
func (r *run) exec(ctx workflow.Context, st *step) error {
	var carried *sop.Event
	for st != nil {
		if st.event == nil {
			st.event = carried
		}
		if st.book != nil && len(st.entries) == 0 && len(st.notes) == 0 {
			carried = st.event // nothing to write yet: record the event with the booking's outcome
		} else if !st.empty() {
			in := st.commitInput()
			r.writing = Writing{Step: in.Seq, Since: in.At}
			err := r.activity(ctx, ActivityCommit, in).Get(ctx, nil)
			r.writing = Writing{}
			if err != nil {
				return fmt.Errorf("commit step %d: %w", in.Seq, err)
			}
			carried = nil
		}
		if st.book == nil {
			if r.steps >= stepsLocal {
				return nil // the main loop sets the search attributes
			}
			return r.upsertSearchAttributes(ctx)
		}
		book := *st.book
		book.Key = fmt.Sprintf("%s/%d", r.s.ID, r.s.Seq+1)
		var res BookResult
		if err := r.activity(ctx, ActivityBook, book).Get(ctx, &res); err != nil {
			return fmt.Errorf("book %s: %w", book.Key, err)
		}
		st = r.s.applyBooking(book, st.bookWhy, res, workflow.Now(ctx))
	}
	return nil
}

// activity runs one of a step's activities, locally or as an activity task
// (changeLocalSteps).
func (r *run) activity(ctx workflow.Context, name string, arg any) workflow.Future {
	if r.steps == stepsLocal {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localOptions), name, arg)
	}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, activityOptions), name, arg)
}

// shouldContinueAsNew keeps the history bounded however many visits a
// request takes (R8.3): past sop.history_limit events the workflow continues
// as new between trips, carrying its state; the server's own suggestion is
// followed at any moment.
func (r *run) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	if info.GetContinueAsNewSuggested() {
		return true
	}
	limit := r.s.Policy.HistoryLimit
	return limit > 0 && info.GetCurrentHistoryLength() > limit && r.s.betweenTrips()
}
