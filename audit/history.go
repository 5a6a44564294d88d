// Package audit is the auditor's view of a request (R11.2): it rebuilds the
// SOP timeline from the Temporal history alone — every Commit step the
// workflow took carries its timeline entries — across all the runs of the
// request (continue-as-new, reopening for a complaint), and judges, rule by
// rule, whether the SOP was kept.
package audit

import (
	"context"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/housecall/housecall/workflows"
)

// maxRuns bounds the walk back through a request's runs.
const maxRuns = 10000

// Run is one run of a request's workflow.
type Run struct {
	RunID   string
	History *historypb.History
	Input   workflows.Input
}

// History fetches the full event history of one run ("" = the latest).
func History(ctx context.Context, c client.Client, id, runID string) (*historypb.History, error) {
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

// Runs fetches every run of a request, oldest first, following each run back
// to the one it continues: a continue-as-new (ContinuedExecutionRunId) or a
// run reopened for a complaint (Input.PreviousRunID).
//
// dc decodes the payloads (nil: Temporal's default converter); give it the
// client's data converter, so that encrypted histories are read (codec).
func Runs(ctx context.Context, c client.Client, id string, dc converter.DataConverter) ([]Run, error) {
	var runs []Run
	runID := ""
	for range maxRuns {
		h, err := History(ctx, c, id, runID)
		if err != nil {
			if len(runs) > 0 {
				return nil, fmt.Errorf("run %s of %s (linked from a later run): %w", runID, id, err)
			}
			return nil, err
		}
		run, prev, err := describeRun(h, dc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		runs = append([]Run{run}, runs...)
		if prev == "" {
			return runs, nil
		}
		runID = prev
	}
	return nil, fmt.Errorf("%s: more than %d runs", id, maxRuns)
}

// RunsFromHistories orders recorded histories of one request (any order) the
// way Runs would.
func RunsFromHistories(hs []*historypb.History, dc converter.DataConverter) ([]Run, error) {
	var runs []Run
	for _, h := range hs {
		run, _, err := describeRun(h, dc)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

func describeRun(h *historypb.History, dc converter.DataConverter) (Run, string, error) {
	evs := h.GetEvents()
	if len(evs) == 0 {
		return Run{}, "", errors.New("empty history")
	}
	st := evs[0].GetWorkflowExecutionStartedEventAttributes()
	if st == nil {
		return Run{}, "", errors.New("history does not begin with WorkflowExecutionStarted")
	}
	run := Run{History: h}
	if err := orDefault(dc).FromPayloads(st.GetInput(), &run.Input); err != nil {
		return Run{}, "", fmt.Errorf("decode the workflow input: %w", err)
	}
	run.RunID = st.GetOriginalExecutionRunId()
	prev := st.GetContinuedExecutionRunId()
	if prev == "" {
		prev = run.Input.PreviousRunID
	}
	return run, prev, nil
}

// Steps decodes the Commit steps recorded in a history, in order: the input
// of each Commit activity task, or, where steps run as local activities
// (workflows changeLocalSteps), the result in each Commit marker. dc decodes
// the payloads (nil: Temporal's default converter).
func Steps(h *historypb.History, dc converter.DataConverter) ([]workflows.CommitInput, error) {
	dc = orDefault(dc)
	var out []workflows.CommitInput
	for _, ev := range h.GetEvents() {
		var step *commonpb.Payloads
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == workflows.ActivityCommit {
			step = a.GetInput()
		} else if name, result, ok, err := LocalActivityResult(ev, dc); err != nil {
			return nil, err
		} else if ok && name == workflows.ActivityCommit && result != nil {
			step = result
		} else {
			continue
		}
		var in workflows.CommitInput
		if err := dc.FromPayloads(step, &in); err != nil {
			return nil, fmt.Errorf("event %d: decode step: %w", ev.GetEventId(), err)
		}
		out = append(out, in)
	}
	return out, nil
}

// LocalActivityResult reads a local-activity marker: the activity's type and
// its result, nil for a failed attempt (retried later). ok is false for any
// other event.
func LocalActivityResult(ev *historypb.HistoryEvent, dc converter.DataConverter) (name string, result *commonpb.Payloads, ok bool, err error) {
	m := ev.GetMarkerRecordedEventAttributes()
	if m == nil || m.GetMarkerName() != LocalActivityMarker {
		return "", nil, false, nil
	}
	var data struct{ ActivityType string }
	if err := orDefault(dc).FromPayloads(m.GetDetails()[localActivityData], &data); err != nil {
		return "", nil, false, fmt.Errorf("event %d: decode local activity marker: %w", ev.GetEventId(), err)
	}
	return data.ActivityType, m.GetDetails()[localActivityResult], true, nil
}

func orDefault(dc converter.DataConverter) converter.DataConverter {
	if dc == nil {
		return converter.GetDefaultDataConverter()
	}
	return dc
}

// LocalActivityMarker is the name of the SDK's local-activity marker, and
// these the keys of its details (go.temporal.io/sdk
// internal_command_state_machine.go). The marker is part of the history
// format every SDK replays, so these names are stable.
const (
	LocalActivityMarker = "LocalActivity"
	localActivityData   = "data"
	localActivityResult = "result"
)

// Entries flattens the steps' timeline entries.
func Entries(steps []workflows.CommitInput) []workflows.Entry {
	out := []workflows.Entry{}
	for _, s := range steps {
		out = append(out, s.Entries...)
	}
	return out
}

// Build makes the auditor's report from a request's runs: the timeline and
// the verdict on every rule; dc decodes the payloads (nil: Temporal's
// default converter).
func Build(runs []Run, dc converter.DataConverter) (Report, error) {
	if len(runs) == 0 {
		return Report{}, errors.New("no runs")
	}
	var steps []workflows.CommitInput
	events := 0
	for _, r := range runs {
		s, err := Steps(r.History, dc)
		if err != nil {
			return Report{}, fmt.Errorf("run %s: %w", r.RunID, err)
		}
		steps = append(steps, s...)
		events += len(r.History.GetEvents())
	}
	first := runs[0].Input
	rep := Report{
		Entries:    Entries(steps),
		Compliance: Judge(first.Request, first.Policy, steps, len(runs), events),
	}
	for _, r := range runs {
		rep.Runs = append(rep.Runs, RunInfo{RunID: r.RunID, Events: len(r.History.GetEvents())})
	}
	return rep, nil
}
