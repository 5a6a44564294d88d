package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Verify (the CLI's `audit verify` and the console's button) replays a
// recorded history, and names the run a changed history does not replay.
func TestVerifyRecordedAndChangedHistories(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "workflows", "testdata", "histories", "consultation-resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify([]JSONRun{{RunID: "r1", History: raw}}, nil, nil)
	if err != nil || !v.OK() || len(v.Runs) != 1 || v.Runs[0].Events == 0 || v.Events != v.Runs[0].Events {
		t.Fatalf("recorded history: %+v %v", v, err)
	}
	// The same history with its Commit steps renamed no longer matches the
	// workflow's commands: it does not replay, and says which run.
	changed := strings.ReplaceAll(string(raw), `"Commit"`, `"Kommit"`)
	if changed == string(raw) {
		t.Fatal("the history has no Commit activity to change")
	}
	v, err = Verify([]JSONRun{{RunID: "r1", History: raw}, {RunID: "r2", History: []byte(changed)}}, nil, nil)
	if err != nil || v.OK() || v.Failed != 1 || v.Runs[0].Err != nil || v.Runs[1].Err == nil {
		t.Fatalf("changed history: %+v %v", v, err)
	}
	if _, err := Verify([]JSONRun{{RunID: "bad", History: []byte("{")}}, nil, nil); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("unreadable history: %v", err)
	}
	if (Verification{}).OK() {
		t.Fatal("no runs verified counts as replaying")
	}
}
