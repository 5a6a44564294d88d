package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/housecall/housecall/audit"
)

// happyPath drives one request through the whole happy path over the HTTP
// API — intake, triage, booking, departure, arrival, door answered,
// diagnosis, completion (satisfied), closed — and returns its last state.
func (e *env) happyPath(ctx context.Context, id string, slot time.Time) (view, error) {
	if _, err := e.call(ctx, "callcentre", http.MethodPost, "/v1/requests", newRequest(id)); err != nil {
		return view{}, err
	}
	if _, err := e.event(ctx, "callcentre", id, map[string]any{"type": "triaged", "category": "quality"}); err != nil {
		return view{}, err
	}
	v, err := e.event(ctx, "callcentre", id, map[string]any{"type": "appointment_requested", "start": slot, "end": slot.Add(time.Hour)})
	if err != nil {
		return v, err
	}
	if v.Status != "scheduled" {
		return v, fmt.Errorf("%s not booked: %s", id, v.Status)
	}
	eng := "engineer:" + v.Engineer
	for _, ev := range []map[string]any{
		{"type": "departed"},
		{"type": "arrived"},
		{"type": "knocked", "answered": true},
		{"type": "diagnosed", "cause": "loose connector", "onsite": true},
		{"type": "completed", "quality_rating": 5, "attitude_rating": 5, "satisfied": true, "signed_by_customer": true, "fix_certain": true,
			"record": map[string]any{"cause": "loose connector", "measures": "reseated"}},
	} {
		if v, err = e.event(ctx, eng, id, ev); err != nil {
			return v, err
		}
	}
	if v.Status != "closed" {
		return v, fmt.Errorf("%s ended %s, not closed", id, v.Status)
	}
	return v, nil
}

// shape is what one lifecycle costs in Temporal terms, read from its history:
// the activities, local activities and timers started at the start and for
// each update.
type shape struct {
	Updates         int   `json:"updates"`
	Activities      []int `json:"activities_per_step"` // [0]: at start, [k]: for update k
	LocalActivities []int `json:"local_activities_per_step"`
	Timers          []int `json:"timers_per_step"`
	Events          int   `json:"history_events"`
	// Upserts are the search-attribute upserts: each is a visibility write.
	Upserts int `json:"search_attribute_upserts"`
	// Bytes is the size of the history (encrypted payloads included).
	Bytes int `json:"history_bytes"`
}

func (s shape) total(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// measureShape reads a finished request's history.
func (e *env) measureShape(ctx context.Context, id string) (shape, error) {
	h, err := audit.History(ctx, e.temporal, id, "")
	if err != nil {
		return shape{}, err
	}
	s := shape{Activities: []int{0}, LocalActivities: []int{0}, Timers: []int{0}, Events: len(h.GetEvents()), Bytes: proto.Size(h)}
	cur := 0
	for _, ev := range h.GetEvents() {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			s.Updates++
			s.Activities = append(s.Activities, 0)
			s.LocalActivities = append(s.LocalActivities, 0)
			s.Timers = append(s.Timers, 0)
			cur = s.Updates
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			s.Activities[cur]++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == audit.LocalActivityMarker {
				s.LocalActivities[cur]++
			}
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			s.Timers[cur]++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			s.Upserts++
		}
	}
	return s, nil
}

// Baseline is a workflow with the same number of updates, activities, local
// activities and timers as a housecall lifecycle, and no business logic: it is what the
// same work costs on Temporal alone.
func Baseline(ctx workflow.Context, s shape) error {
	opts := workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second}
	local := workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second}
	var (
		mu     = workflow.NewMutex(ctx)
		done   int
		cancel workflow.CancelFunc
	)
	step := func(ctx workflow.Context, k int) error {
		ctx = workflow.WithLocalActivityOptions(workflow.WithActivityOptions(ctx, opts), local)
		for range s.LocalActivities[k] {
			if err := workflow.ExecuteLocalActivity(ctx, "BaselineNoop").Get(ctx, nil); err != nil {
				return err
			}
		}
		for range s.Activities[k] {
			if err := workflow.ExecuteActivity(ctx, "BaselineNoop").Get(ctx, nil); err != nil {
				return err
			}
		}
		for range s.Timers[k] {
			if cancel != nil {
				cancel()
			}
			var tctx workflow.Context
			tctx, cancel = workflow.WithCancel(ctx)
			workflow.NewTimer(tctx, 24*time.Hour)
		}
		return nil
	}
	if err := workflow.SetUpdateHandler(ctx, "event", func(ctx workflow.Context, _ map[string]any) (int, error) {
		if err := mu.Lock(ctx); err != nil {
			return 0, err
		}
		defer mu.Unlock()
		done++
		return done, step(ctx, min(done, len(s.Activities)-1))
	}); err != nil {
		return err
	}
	if err := mu.Lock(ctx); err != nil {
		return err
	}
	err := step(ctx, 0)
	mu.Unlock()
	if err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return done >= s.Updates && workflow.AllHandlersFinished(ctx) })
}

func baselineNoop(context.Context) error { return nil }

func registerBaseline(w sdkworker.Worker) {
	w.RegisterWorkflowWithOptions(Baseline, workflow.RegisterOptions{Name: "Baseline"})
	w.RegisterActivityWithOptions(baselineNoop, activity.RegisterOptions{Name: "BaselineNoop"})
}

// baselineLifecycle runs one baseline lifecycle through the Temporal client.
func (e *env) baselineLifecycle(ctx context.Context, id string, s shape) error {
	if _, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.queue}, "Baseline", s); err != nil {
		return err
	}
	for range s.Updates {
		h, err := e.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: "event", Args: []any{map[string]any{"type": "x"}}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			return err
		}
		if err := h.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// LifecycleResult is the throughput of N lifecycles.
type LifecycleResult struct {
	Requests         int     `json:"requests"`
	Concurrency      int     `json:"concurrency"`
	Seconds          float64 `json:"seconds"`
	LifecyclesPerSec float64 `json:"lifecycles_per_sec"`
	// StepsPerSec counts the state machine's committed steps (state transitions).
	StepsPerSec float64 `json:"steps_per_sec"`
	// HistoryEventsPerSec counts Temporal history events written.
	HistoryEventsPerSec float64 `json:"history_events_per_sec"`
	Failures            int     `json:"failures"`
}

// runConcurrently runs n jobs on c goroutines, reporting progress.
func runConcurrently(ctx context.Context, n, c int, progress func(done int), job func(ctx context.Context, i int) error) (time.Duration, int, error) {
	var (
		next, finished, failed atomic.Int64
		firstErr               error
		mu                     sync.Mutex
		wg                     sync.WaitGroup
	)
	start := time.Now()
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				progress(int(finished.Load()))
			}
		}
	}()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := job(ctx, i); err != nil {
					failed.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
				finished.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	took := time.Since(start)
	if f := int(failed.Load()); f > 0 {
		return took, f, fmt.Errorf("%d of %d failed; first: %w", f, n, firstErr)
	}
	return took, 0, ctx.Err()
}
