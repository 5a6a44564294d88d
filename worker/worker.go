// Package worker runs housecall's Temporal worker: the ServiceRequest
// workflow and its activities on the housecall task queue.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/housecall/housecall/activities"
	"github.com/housecall/housecall/workflows"
)

// Register puts the workflows and activities on a worker (or a test
// environment's registry) under their contract names.
func Register(r sdkworker.Registry, a *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.ServiceRequest, workflow.RegisterOptions{Name: workflows.WorkflowName})
	r.RegisterActivityWithOptions(a.Commit, activity.RegisterOptions{Name: workflows.ActivityCommit})
	r.RegisterActivityWithOptions(a.BookAppointment, activity.RegisterOptions{Name: workflows.ActivityBook})
	r.RegisterWorkflowWithOptions(workflows.Reconcile, workflow.RegisterOptions{Name: workflows.ReconcileWorkflowName})
	r.RegisterActivityWithOptions(a.ReconcileCards, activity.RegisterOptions{Name: workflows.ActivityReconcileCards})
	r.RegisterActivityWithOptions(a.DeliverReconciliation, activity.RegisterOptions{Name: workflows.ActivityDeliver})
}

// New creates a worker on taskQueue with everything registered. Start it with Start or Run.
//
// Unless opts says otherwise, the worker polls with 8 pollers for workflow
// tasks and 8 for activity tasks: every event is a workflow task and a Commit
// activity, and the SDK's 2 pollers each left the worker waiting on the
// server (housecall bench).
func New(c client.Client, taskQueue string, a *activities.Activities, opts sdkworker.Options) sdkworker.Worker {
	if opts.MaxConcurrentWorkflowTaskPollers == 0 && opts.WorkflowTaskPollerBehavior == nil {
		opts.MaxConcurrentWorkflowTaskPollers = 8
	}
	if opts.MaxConcurrentActivityTaskPollers == 0 && opts.ActivityTaskPollerBehavior == nil {
		opts.MaxConcurrentActivityTaskPollers = 8
	}
	w := sdkworker.New(c, taskQueue, opts)
	Register(w, a)
	return w
}
