package audit

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// JSONRun is one run's history as GET /v1/requests/{id}/history?runs=all
// answers it (Temporal's own JSON, payloads decrypted).
type JSONRun struct {
	RunID   string          `json:"run_id"`
	History json.RawMessage `json:"history"`
}

// RunReplay is the replay of one run against this build's workflow code.
type RunReplay struct {
	RunID  string `json:"run_id"`
	Events int    `json:"events"`
	// Err is why the run does not replay (nil: it replays).
	Err error `json:"-"`
}

// Verification is `housecall audit verify`: every run of a request replayed
// against the workflow code of this build.
type Verification struct {
	Runs   []RunReplay
	Events int
	Failed int
}

// OK reports whether every run replays.
func (v Verification) OK() bool { return v.Failed == 0 && len(v.Runs) > 0 }

// Verify replays the recorded runs of a request (the CLI's `audit verify`
// and the console's button call this one function). dc and fc are the
// converters of this configuration (codec.Converters): the API answers the
// histories decrypted, and plaintext passes through the codec. An error
// means a history could not be read at all; a run that does not replay is
// counted in Failed with its reason.
func Verify(runs []JSONRun, dc converter.DataConverter, fc converter.FailureConverter) (Verification, error) {
	var v Verification
	for _, run := range runs {
		h, err := client.HistoryFromJSON(bytes.NewReader(run.History), client.HistoryJSONOptions{})
		if err != nil {
			return v, fmt.Errorf("run %s: %w", run.RunID, err)
		}
		r := RunReplay{RunID: run.RunID, Events: len(h.GetEvents())}
		v.Events += r.Events
		if r.Err = Replay(h, dc, fc); r.Err != nil {
			v.Failed++
		}
		v.Runs = append(v.Runs, r)
	}
	return v, nil
}
