package bench

import (
	"context"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// The baseline runs the same updates, activities, local activities and
// timers as the shape it is given.
func TestBaselineFollowsTheShape(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Baseline, workflow.RegisterOptions{Name: "Baseline"})
	calls, local := 0, 0
	env.RegisterActivityWithOptions(func(ctx context.Context) error {
		if activity.GetInfo(ctx).IsLocalActivity {
			local++
		} else {
			calls++
		}
		return nil
	}, activity.RegisterOptions{Name: "BaselineNoop"})
	s := shape{Updates: 2, Activities: []int{1, 2, 1}, LocalActivities: []int{2, 0, 3}, Timers: []int{1, 1, 0}}
	sendUpdates(t, env, s.Updates, "x")
	env.ExecuteWorkflow("Baseline", s)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if calls != 4 || local != 5 {
		t.Fatalf("%d activities and %d local activities, want 4 and 5", calls, local)
	}
}

// The baseline of the latency phase: each update runs one activity (the
// step's Commit of a housecall event), however many updates are sent.
func TestBaselineOfAnEvent(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(Baseline, workflow.RegisterOptions{Name: "Baseline"})
	calls := 0
	env.RegisterActivityWithOptions(func(ctx context.Context) error { calls++; return nil }, activity.RegisterOptions{Name: "BaselineNoop"})
	const n = 5
	sendUpdates(t, env, n, "delayed")
	env.ExecuteWorkflow("Baseline", eventShape(n))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if calls != n {
		t.Fatalf("%d activities for %d events, want one each", calls, n)
	}
}

// sendUpdates sends the baseline n updates of type typ, each required to
// complete without error.
func sendUpdates(t *testing.T, env *testsuite.TestWorkflowEnvironment, n int, typ string) {
	for i := range n {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow("event", "u"+string(rune('0'+i)), &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(err error) { t.Errorf("rejected: %v", err) },
				OnComplete: func(_ any, err error) {
					if err != nil {
						t.Errorf("update: %v", err)
					}
				}}, map[string]any{"type": typ})
		}, 1)
	}
}
