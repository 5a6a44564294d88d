package audit

import (
	"fmt"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/workflows"
)

// Replay replays one recorded run against the workflow code of this build:
// nil means a worker running this code can carry the request on; an error
// means the code no longer decides as it did when the history was written
// (a rule changed without workflow.GetVersion). dc and fc (nil: Temporal's
// defaults) must be those of the workers that wrote the history: with
// encryption, the codec's (codec.Converters).
func Replay(h *historypb.History, dc converter.DataConverter, fc converter.FailureConverter) error {
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
	if err != nil {
		return err
	}
	r.RegisterWorkflowWithOptions(workflows.ServiceRequest, workflow.RegisterOptions{Name: workflows.WorkflowName})
	r.RegisterWorkflowWithOptions(workflows.Reconcile, workflow.RegisterOptions{Name: workflows.ReconcileWorkflowName})
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		return fmt.Errorf("does not replay: %w", err)
	}
	return nil
}
