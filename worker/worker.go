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
func New(c client.Client, taskQueue string, a *activities.Activities, opts sdkworker.Options) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, opts)
	Register(w, a)
	return w
}
