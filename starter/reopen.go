package starter

import (
	"context"
	"net/http"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/workflows"
)

// reopenForComplaint takes a complaint on a request whose workflow has ended
// (R11.1: complaints arrive in any state, also long after a request closed).
// It starts a new run of the same workflow id from the ended run's state,
// linked to it for the audit, and delivers the complaint to it in the same
// call (update-with-start); a concurrent second complaint lands in that run.
func (s *Server) reopenForComplaint(ctx context.Context, id, endedRunID string, ev sop.Event, updateID string) eventResult {
	var v workflows.View
	failed := func(err error) eventResult {
		return eventResult{status: http.StatusBadGateway, outcome: "error", detail: err.Error(),
			msg: "the request could not be reopened for the complaint: " + msgTemporal + " with the same Idempotency-Key"}
	}
	res, err := s.Temporal.QueryWorkflow(ctx, id, endedRunID, workflows.QuerySnapshot)
	if err != nil {
		return failed(err)
	}
	var state workflows.State
	if err := res.Get(&state); err != nil {
		return failed(err)
	}
	start := s.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                s.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.WorkflowName, workflows.Input{Request: state.Request, Policy: state.Policy, Resume: &state, PreviousRunID: endedRunID})
	handle, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          eventUpdate(id, updateID, ev),
	})
	if err == nil {
		err = handle.Get(ctx, &v)
	}
	if err != nil {
		if res, ok := rejection(err); ok {
			return res
		}
		return failed(err)
	}
	return eventResult{v: v, status: http.StatusOK, outcome: "accepted"}
}
