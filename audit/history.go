// Package audit is the auditor's view of a request (R11.2): it rebuilds the
// SOP timeline from the Temporal history alone — every Commit step the
// workflow took carries its timeline entries — and judges, rule by rule,
// whether the SOP was kept.
package audit

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/housecall/housecall/workflows"
)

// History fetches the full event history of a request's current run.
func History(ctx context.Context, c client.Client, id string) (*historypb.History, error) {
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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

// Steps decodes the Commit steps recorded in a history, in order.
func Steps(h *historypb.History) ([]workflows.CommitInput, error) {
	dc := converter.GetDefaultDataConverter()
	var out []workflows.CommitInput
	for _, ev := range h.GetEvents() {
		a := ev.GetActivityTaskScheduledEventAttributes()
		if a == nil || a.GetActivityType().GetName() != workflows.ActivityCommit {
			continue
		}
		var in workflows.CommitInput
		if err := dc.FromPayloads(a.GetInput(), &in); err != nil {
			return nil, fmt.Errorf("event %d: decode step: %w", ev.GetEventId(), err)
		}
		out = append(out, in)
	}
	return out, nil
}

// Entries flattens the steps' timeline entries.
func Entries(steps []workflows.CommitInput) []workflows.Entry {
	var out []workflows.Entry
	for _, s := range steps {
		out = append(out, s.Entries...)
	}
	return out
}
