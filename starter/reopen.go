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
func (s *Server) reopenForComplaint(ctx context.Context, id, endedRunID string, ev sop.Event, updateID string) (workflows.View, int, string) {
	var v workflows.View
	res, err := s.Temporal.QueryWorkflow(ctx, id, endedRunID, workflows.QuerySnapshot)
	if err != nil {
		return v, http.StatusBadGateway, "cannot read the ended request to reopen it for the complaint: " + err.Error()
	}
	var state workflows.State
	if err := res.Get(&state); err != nil {
		return v, http.StatusBadGateway, "cannot read the ended request: " + err.Error()
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
		if _, ok := workflows.IsRejection(err); ok {
			return v, http.StatusConflict, rejectionMessage(err)
		}
		return v, http.StatusBadGateway, "cannot reopen the request for the complaint: " + err.Error()
	}
	return v, http.StatusOK, ""
}
