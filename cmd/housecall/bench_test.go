package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/housecall/housecall/bench"
	"github.com/housecall/housecall/store/storetest"
)

// TestMain lets the test binary be housecall itself for the subcommands a
// test runs as processes of their own: `bench` and the `bench-worker` it
// starts (os.Executable, which under go test is this binary).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "bench" || os.Args[1] == "bench-worker") {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A --scale run takes hours; Ctrl-C ends it early and still writes what it
// measured: the requests booked, a checkpoint with the worker's memory, the
// worker read after the interrupt, and why it stopped. The worker process
// is gone afterwards.
func TestBenchScaleInterruptedWritesWhatItMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded server and books requests")
	}
	out := filepath.Join(t.TempDir(), "scale.json")
	cmd := exec.Command(os.Args[0], "bench", "--scale", "2000", "--out", out)
	cmd.Env = append(os.Environ(), "HOUSECALL_TEST_DATABASE_URL="+storetest.AdminURL())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(stderr)
	var log []string
	for lines.Scan() {
		log = append(log, lines.Text())
		if strings.Contains(lines.Text(), "200/2000 booked") {
			break
		}
	}
	if len(log) == 0 || !strings.Contains(log[len(log)-1], "200/2000 booked") {
		t.Fatalf("no first checkpoint:\n%s", strings.Join(log, "\n"))
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() {
		for lines.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("bench did not end after the interrupt")
	}

	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no results written: %v", err)
	}
	var res bench.Results
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	sc := res.Scale
	if sc == nil {
		t.Fatalf("no scale result: %s", b)
	}
	if sc.Booked < 200 || sc.Booked >= 2000 {
		t.Fatalf("booked %d, want the first tenth and not all", sc.Booked)
	}
	if !strings.Contains(sc.Error, "interrupted after") {
		t.Fatalf("error %q does not say it was interrupted", sc.Error)
	}
	if len(sc.Checkpoints) < 2 || sc.Checkpoints[len(sc.Checkpoints)-1].Booked != sc.Booked {
		t.Fatalf("checkpoints %+v: want the first tenth and one at the interrupt", sc.Checkpoints)
	}
	if sc.After.RSS == 0 || sc.After.Goroutines == 0 {
		t.Fatalf("the worker was not read after the interrupt: %+v", sc.MemoryResult)
	}
	if sc.Lists != nil {
		t.Fatalf("lists timed over an interrupted run: %+v", sc.Lists)
	}
	// The worker process stopped with the bench.
	if out, _ := exec.Command("pgrep", "-f", "bench-worker --temporal").Output(); len(out) > 0 {
		for _, pid := range strings.Fields(string(out)) {
			if b, _ := os.ReadFile("/proc/" + pid + "/cmdline"); strings.HasPrefix(string(b), os.Args[0]) {
				t.Fatalf("worker process %s still running", pid)
			}
		}
	}
}
