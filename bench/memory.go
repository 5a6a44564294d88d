package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/housecall/housecall/activities"
	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/internal/logging"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/worker"
	"go.uber.org/zap"
)

// ProbeOptions configure the worker process the memory phase measures.
type ProbeOptions struct {
	Temporal  string
	Namespace string
	Queue     string
	DB        string
	Cache     int // sticky workflow cache size; 0 = the SDK's default
	// CodecKey (ID=BASE64) encrypts the payloads as the parent's clients do;
	// it reaches the process in the environment (ProbeCodecKeyEnv), not on
	// its command line.
	CodecKey string
}

// ProbeCodecKeyEnv carries ProbeOptions.CodecKey to the worker process.
const ProbeCodecKeyEnv = "HOUSECALL_BENCH_CODEC_KEY"

// Stats are one process's memory.
type Stats struct {
	RSS        uint64 `json:"rss_bytes"`
	HeapAlloc  uint64 `json:"heap_alloc_bytes"`
	HeapInuse  uint64 `json:"heap_inuse_bytes"`
	Goroutines int    `json:"goroutines"`
}

func readStats() Stats {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := Stats{HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse, Goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			s.RSS = pages * uint64(os.Getpagesize())
		}
	}
	return s
}

// RunProbe is the worker process of the memory phase (`housecall
// bench-worker`): the housecall worker alone, serving its memory at /stats.
// It prints "ready ADDR" once it runs, and stops when stdin closes.
func RunProbe(ctx context.Context, o ProbeOptions) error {
	if o.Cache > 0 {
		sdkworker.SetStickyWorkflowCacheSize(o.Cache)
	}
	st, err := store.Open(ctx, o.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	co := client.Options{HostPort: o.Temporal, Namespace: o.Namespace, Logger: logging.Temporal(zap.NewNop())}
	if o.CodecKey != "" {
		keys, err := codec.ParseKeys(o.CodecKey)
		if err != nil {
			return fmt.Errorf("%s: %w", ProbeCodecKeyEnv, err)
		}
		cd, err := codec.New(keys, "")
		if err != nil {
			return fmt.Errorf("%s: %w", ProbeCodecKeyEnv, err)
		}
		co.DataConverter, co.FailureConverter = codec.Converters(cd)
	}
	c, err := client.DialContext(ctx, co)
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, o.Queue, &activities.Activities{Store: st, Temporal: c, Log: zap.NewNop()}, sdkworker.Options{})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(readStats())
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Printf("ready %s\n", ln.Addr())
	// The parent closes stdin to stop us.
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return nil
}

// probe is a running worker process.
type probe struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	addr  string
}

func startProbe(o ProbeOptions) (*probe, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// Not bound to ctx and in a process group of its own: an interrupted
	// run (Ctrl-C reaches the terminal's whole group) still reads the
	// worker before stopping it. It also stops when our end of its stdin
	// closes, so it never outlives us.
	cmd := exec.Command(self, "bench-worker", "--temporal", o.Temporal, "--namespace", o.Namespace,
		"--queue", o.Queue, "--db", o.DB, "--cache", strconv.Itoa(o.Cache))
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), ProbeCodecKeyEnv+"="+o.CodecKey)
	ownProcessGroup(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the worker process: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("worker process did not start: %q %v", line, err)
	}
	return &probe{cmd: cmd, stdin: stdin, addr: strings.TrimSpace(strings.TrimPrefix(line, "ready "))}, nil
}

func (p *probe) stats(ctx context.Context) (Stats, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+"/stats", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return Stats{}, err
	}
	defer res.Body.Close()
	var s Stats
	return s, json.NewDecoder(res.Body).Decode(&s)
}

func (p *probe) stop() error {
	_ = p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("worker process did not stop; killed")
	}
}

// MemoryResult is the worker's memory per open request.
type MemoryResult struct {
	Cache            int     `json:"sticky_cache"`
	Open             int     `json:"open_requests"`
	Before           Stats   `json:"before"`
	After            Stats   `json:"after"`
	RSSPerRequestKB  float64 `json:"rss_per_request_kb"`
	HeapPerRequestKB float64 `json:"heap_per_request_kb"`
}

func perRequest(before, after uint64, n int) float64 {
	if after < before || n == 0 {
		return 0
	}
	return float64(after-before) / float64(n) / 1024
}
