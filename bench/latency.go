package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// LatencyResult is the time from POST …/events until its answer, the new
// state with the event's step committed, in milliseconds.
type LatencyResult struct {
	Concurrency int     `json:"concurrency"`
	Samples     int     `json:"samples"`
	P50         float64 `json:"p50_ms"`
	P95         float64 `json:"p95_ms"`
	P99         float64 `json:"p99_ms"`
	Max         float64 `json:"max_ms"`
}

// enRoute prepares a booked request whose engineer has left: it takes
// `delayed` events again and again (R5.3), each a full step of the workflow.
func (e *env) enRoute(ctx context.Context, id string, slot time.Time) (string, error) {
	if _, err := e.call(ctx, "callcentre", http.MethodPost, "/v1/requests", newRequest(id)); err != nil {
		return "", err
	}
	if _, err := e.event(ctx, "callcentre", id, map[string]any{"type": "triaged", "category": "quality"}); err != nil {
		return "", err
	}
	v, err := e.event(ctx, "callcentre", id, map[string]any{"type": "appointment_requested", "start": slot, "end": slot.Add(time.Hour)})
	if err != nil {
		return "", err
	}
	eng := "engineer:" + v.Engineer
	if _, err := e.event(ctx, eng, id, map[string]any{"type": "departed"}); err != nil {
		return "", err
	}
	return eng, nil
}

// latency measures event latency with c requests sent events at once.
func (e *env) latency(ctx context.Context, prefix string, c, perRequest int, slot func(int) time.Time) (LatencyResult, error) {
	type target struct{ id, eng string }
	targets := make([]target, c)
	for i := range c {
		id := fmt.Sprintf("%s-%d", prefix, i)
		eng, err := e.enRoute(ctx, id, slot(i))
		if err != nil {
			return LatencyResult{}, err
		}
		targets[i] = target{id, eng}
	}
	// Each event is timed from the POST until its answer: the API answers
	// once the workflow has taken the event and committed its step to
	// PostgreSQL, with the new state. That the state is then what
	// GET /v1/requests/{id} shows is checked after the clock stops.
	seqs := make([]int64, c)
	res, err := timeEvents(c, perRequest, func(i int) error {
		tg := targets[i]
		v, err := e.event(ctx, tg.eng, tg.id, map[string]any{"type": "delayed", "minutes": 1, "reason": "bench"})
		seqs[i] = v.Seq
		return err
	})
	if err != nil {
		return res, err
	}
	for i, tg := range targets {
		got, err := e.call(ctx, "callcentre", http.MethodGet, "/v1/requests/"+tg.id, nil)
		if err != nil {
			return res, err
		}
		if got.Seq < seqs[i] {
			return res, fmt.Errorf("%s: GET shows step %d after an event answered with step %d", tg.id, got.Seq, seqs[i])
		}
	}
	return res, nil
}

// timeEvents times perRequest events sent one after the other to each of c
// requests at once (send(i) sends one to request i and waits for its
// outcome); the first error stops that request and is returned.
func timeEvents(c, perRequest int, send func(i int) error) (LatencyResult, error) {
	var (
		mu       sync.Mutex
		samples  []time.Duration
		firstErr error
		wg       sync.WaitGroup
	)
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perRequest {
				start := time.Now()
				err := send(i)
				d := time.Since(start)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				samples = append(samples, d)
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return LatencyResult{}, firstErr
	}
	return latencyOf(c, samples), nil
}

// latencyOf summarises samples taken with c requests at once.
func latencyOf(c int, samples []time.Duration) LatencyResult {
	slices.Sort(samples)
	q := func(p float64) float64 {
		i := int(p*float64(len(samples)-1) + 0.5)
		return float64(samples[i]) / float64(time.Millisecond)
	}
	return LatencyResult{Concurrency: c, Samples: len(samples), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: q(1)}
}

// eventShape is the baseline of one housecall event in the latency phase
// (`delayed` to an engineer on the way): an update whose handler runs one
// activity — the step's Commit — and answers.
func eventShape(updates int) shape {
	return shape{Updates: updates, Activities: []int{0, 1}, LocalActivities: []int{0, 0}, Timers: []int{0, 0}}
}

// baselineLatency measures what an event costs on Temporal alone, in the same
// run and at the same concurrency as latency: c baseline workflows, each
// sent perRequest updates one after the other, each update waited for until
// it completed (its activity ran), through the Temporal client.
func (e *env) baselineLatency(ctx context.Context, prefix string, c, perRequest int) (LatencyResult, error) {
	ids := make([]string, c)
	for i := range c {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		if _, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: e.queue}, "Baseline", eventShape(perRequest)); err != nil {
			return LatencyResult{}, err
		}
	}
	return timeEvents(c, perRequest, func(i int) error {
		h, err := e.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: ids[i], UpdateName: "event", Args: []any{map[string]any{"type": "delayed"}}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		return err
	})
}

// openRequest starts a request and books it straight through the Temporal
// client (the memory phase needs many, fast): one update-with-start carries
// the triage, so intake and booking take one workflow task. The request then
// waits on its timers.
func (e *env) openRequest(ctx context.Context, id string, slot time.Time) error {
	req := sop.Request{}
	b, _ := json.Marshal(newRequest(id))
	if err := json.Unmarshal(b, &req); err != nil {
		return err
	}
	req.Preferred = &sop.Window{Start: slot, End: slot.Add(time.Hour)}
	start := e.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: id, TaskQueue: e.queue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes: workflows.StartSearchAttributes(req),
	}, workflows.WorkflowName, workflows.Input{Request: req, Policy: sop.DefaultPolicy()})
	h, err := e.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.UpdateEvent, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{sop.Event{Type: sop.EvTriaged, Category: sop.CategoryQuality, Actor: sop.Actor{Role: sop.RoleCallCentre}}}},
	})
	var v workflows.View
	if err == nil {
		err = h.Get(ctx, &v)
	}
	if err == nil && v.Status != sop.StatusScheduled {
		err = fmt.Errorf("%s not booked: %s", id, v.Status)
	}
	return err
}

// update sends an event as the call centre through the Temporal client.
func (e *env) update(ctx context.Context, id string, fields map[string]any) (workflows.View, error) {
	var ev sop.Event
	b, _ := json.Marshal(fields)
	if err := json.Unmarshal(b, &ev); err != nil {
		return workflows.View{}, err
	}
	ev.Actor = sop.Actor{Role: sop.RoleCallCentre}
	h, err := e.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.UpdateEvent,
		Args: []any{ev}, WaitForStage: client.WorkflowUpdateStageCompleted})
	var v workflows.View
	if err == nil {
		err = h.Get(ctx, &v)
	}
	return v, err
}
