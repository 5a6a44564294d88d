package activities_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/housecall/housecall/activities"
	"github.com/housecall/housecall/workflows"
)

// signaller is a Temporal client whose SignalWorkflow records the
// reconciliations delivered and fails once for one request.
type signaller struct {
	client.Client // only SignalWorkflow is used
	mu            sync.Mutex
	failOnce      string
	delivered     []string
}

func (s *signaller) SignalWorkflow(_ context.Context, id, _, name string, arg any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != workflows.SignalReconciliation {
		return errors.New("unexpected signal " + name)
	}
	if id == s.failOnce {
		s.failOnce = ""
		return errors.New("frontend unavailable")
	}
	if r, ok := arg.(workflows.Reconciliation); !ok || r.ID != 41 || len(r.Visits) != 1 || r.Visits[0].RequestID != id {
		return errors.New("wrong reconciliation")
	}
	s.delivered = append(s.delivered, id)
	return nil
}

// R10.2: DeliverReconciliation heartbeats its progress; retried after a
// failure in the middle of its loop, it resumes at the request that
// failed, and no request is told the same reconciliation twice.
func TestR10_2_DeliveryRetriedAfterAPartialFailureResumes(t *testing.T) {
	sig := &signaller{failOnce: "SR-B"}
	a := &activities.Activities{Temporal: sig}
	res := workflows.ReconcileResult{ID: 41, At: time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)}
	for _, id := range []string{"SR-A", "SR-B", "SR-C"} {
		res.Visits = append(res.Visits, workflows.ReconciledVisit{RequestID: id, Visit: 1, Engineer: "E-1"})
	}
	var suite testsuite.WorkflowTestSuite

	first := suite.NewTestActivityEnvironment()
	first.RegisterActivityWithOptions(a.DeliverReconciliation, activity.RegisterOptions{Name: workflows.ActivityDeliver})
	progress := -1
	first.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		if err := d.Get(&progress); err != nil {
			t.Error(err)
		}
	})
	if _, err := first.ExecuteActivity(workflows.ActivityDeliver, res); err == nil {
		t.Fatal("the failed signal did not fail the attempt")
	}
	if progress != 1 || !slices.Equal(sig.delivered, []string{"SR-A"}) {
		t.Fatalf("first attempt: progress %d, delivered %v", progress, sig.delivered)
	}

	// The retry starts with the last heartbeat's details, as Temporal gives them.
	retry := suite.NewTestActivityEnvironment()
	retry.RegisterActivityWithOptions(a.DeliverReconciliation, activity.RegisterOptions{Name: workflows.ActivityDeliver})
	retry.SetHeartbeatDetails(progress)
	if _, err := retry.ExecuteActivity(workflows.ActivityDeliver, res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sig.delivered, []string{"SR-A", "SR-B", "SR-C"}) {
		t.Fatalf("delivered %v: each request once, in order", sig.delivered)
	}
}
