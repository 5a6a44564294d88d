package housecalltest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/housecall/housecall/audit"
	"github.com/housecall/housecall/codec"
)

// RecordEnv, when set to 1, makes Record write the histories it does not
// have yet under workflows/testdata/histories, where the replay test finds
// them. Recorded histories are never overwritten: they are what running
// requests of older versions look like ("overwrite" re-records them all).
const RecordEnv = "HOUSECALL_RECORD_HISTORIES"

// Generation names the shape of the histories the code writes now. Record
// saves name.Generation.json beside the histories of earlier generations, so
// that each shape running requests may have stays in the replay test. Change
// it when a versioned change alters the history (workflows/versions.go):
// complete-rules are the requests begun with rulesComplete (stepsComplete);
// start-attributes the requests started with their search attributes, which
// upsert none (stepsStartAttributes).
const Generation = "start-attributes"

// HistoriesDir is where recorded histories live.
func HistoriesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "workflows", "testdata", "histories")
}

// Record saves the history of request id as name.Generation.json when recording is on
// (HOUSECALL_RECORD_HISTORIES=1): representative requests whose histories
// must keep replaying against the code (make test replays them).
func (e *Env) Record(id, name string) {
	e.T.Helper()
	mode := os.Getenv(RecordEnv)
	if mode != "1" && mode != "overwrite" {
		return
	}
	path := filepath.Join(HistoriesDir(), name+"."+Generation+".json")
	if _, err := os.Stat(path); err == nil && mode != "overwrite" {
		return
	}
	h, err := audit.History(context.Background(), e.Temporal, id, "")
	if err != nil {
		e.T.Fatalf("record %s: %v", id, err)
	}
	// Recorded in clear, as histories from before encryption are: the
	// replay tests read them without the test's random key.
	if h, err = codec.DecodeHistory(context.Background(), e.Codec, h); err != nil {
		e.T.Fatalf("record %s: %v", id, err)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	if err != nil {
		e.T.Fatal(err)
	}
	if err := os.MkdirAll(HistoriesDir(), 0o755); err != nil {
		e.T.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		e.T.Fatal(err)
	}
}
