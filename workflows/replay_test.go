package workflows

import (
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Recorded histories of representative requests (workflows/testdata/histories,
// recorded from the integration tests with HOUSECALL_RECORD_HISTORIES=1) must
// replay against the current code: a change to a rule that would break
// running requests fails here. Guard such changes with workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("%d recorded histories, want the representative set", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(ServiceRequest, workflow.RegisterOptions{Name: WorkflowName})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("%s no longer replays: %v", f, err)
			}
		})
	}
}

// The replay test can fail: a workflow that decides differently under the
// same name does not replay a recorded history.
func TestReplayDetectsAChangedWorkflow(t *testing.T) {
	files, _ := filepath.Glob("testdata/histories/*.json")
	if len(files) == 0 {
		t.Skip("no recorded histories")
	}
	changed := func(ctx workflow.Context, in Input) (View, error) {
		// Skips the first Commit step: a different command sequence.
		return View{}, workflow.Sleep(ctx, 1)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: WorkflowName})
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, files[0]); err == nil {
		t.Fatal("a changed workflow replayed the recorded history")
	}
}
