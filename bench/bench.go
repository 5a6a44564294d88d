package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Config sizes a bench run.
type Config struct {
	Requests    int `json:"requests"`      // lifecycles driven through the happy path
	Concurrency int `json:"concurrency"`   // lifecycles at once
	Open        int `json:"open_requests"` // booked requests kept open for the memory phase
	// OpenConcurrency is how many of them are booked at once. 16 books
	// fastest on 2 cores: with more, the server's task queues back up into
	// SQLite and booking slows down (21/s at 64, 35/s at 16).
	OpenConcurrency int      `json:"open_concurrency"`
	SmallCache      int      `json:"small_cache"`    // the small sticky cache size
	LatencyEvents   int      `json:"latency_events"` // events per request in the latency phase
	Persistence     []string `json:"persistence"`    // "sqlite", "postgres"
	// MemoryPersistence is the embedded server's persistence in the memory
	// phase (the worker's memory does not depend on it; booking speed does).
	MemoryPersistence string `json:"memory_persistence"`
	AdminDB           string `json:"-"`
	SkipSuite         bool   `json:"skip_suite"`
	SkipMemory        bool   `json:"skip_memory"`
	// SkipBaseline drives housecall's lifecycles only, no baseline and no
	// latencies (for a profile of housecall alone, --cpuprofile).
	SkipBaseline bool `json:"skip_baseline,omitempty"`
	// Scale, when > 0, runs only the scale mode (scale.go): this many
	// booked requests on one worker with the small cache.
	Scale int `json:"scale,omitempty"`
	// SkipConsole skips the web console's phase (console.go).
	SkipConsole bool          `json:"skip_console"`
	Console     ConsoleConfig `json:"console"`
}

// DefaultConfig are the sizes of `make bench`.
func DefaultConfig() Config {
	return Config{Requests: 300, Concurrency: 32, Open: 1500, OpenConcurrency: 16, SmallCache: 100, LatencyEvents: 20, Persistence: []string{"sqlite", "postgres"}, MemoryPersistence: "sqlite",
		Console: DefaultConsoleConfig()}
}

// Results is what bench/results.json holds.
type Results struct {
	GoVersion string         `json:"go_version"`
	OS        string         `json:"os"`
	Arch      string         `json:"arch"`
	CPUs      int            `json:"cpus"`
	Host      string         `json:"host"`
	Started   time.Time      `json:"started"`
	Seconds   float64        `json:"seconds"`
	Config    Config         `json:"config"`
	Runs      []Persistence  `json:"runs"`
	Memory    []MemoryResult `json:"memory,omitempty"`
	Scale     *ScaleResult   `json:"scale,omitempty"`
	// PhaseSeconds is the wall time of each phase (the default run's
	// budget is 10 minutes).
	PhaseSeconds map[string]float64 `json:"phase_seconds,omitempty"`
	Suite        *SuiteResult       `json:"time_skipping_suite,omitempty"`
	// Console is the web console's phase (issue 11).
	Console *ConsoleResult `json:"console,omitempty"`
}

// Persistence is the results with one persistence of the embedded server.
type Persistence struct {
	Persistence string          `json:"persistence"`
	Shape       shape           `json:"lifecycle_shape"`
	Housecall   LifecycleResult `json:"housecall"`
	Baseline    LifecycleResult `json:"baseline"`
	// BaselineShape is one baseline lifecycle's history, read as Shape is.
	BaselineShape *shape `json:"baseline_shape,omitempty"`
	// Ratio is housecall's time over the baseline's for the same lifecycles.
	Ratio   float64         `json:"housecall_over_baseline"`
	Latency []LatencyResult `json:"event_latency"`
	// BaselineLatency is the same measure for the baseline in the same run
	// (an update running one activity, through the Temporal client), at the
	// same concurrencies; LatencyRatio is housecall's p99 over the
	// baseline's at each (target ≤ 1.3).
	BaselineLatency []LatencyResult `json:"baseline_event_latency,omitempty"`
	LatencyRatio    []LatencyRatio  `json:"p99_latency_over_baseline,omitempty"`
	Error           string          `json:"error,omitempty"`
}

// LatencyRatio is housecall's p99 event latency over the baseline's at one
// concurrency.
type LatencyRatio struct {
	Concurrency int     `json:"concurrency"`
	P99Ratio    float64 `json:"p99_ratio"`
	Met         bool    `json:"met"`
}

// TargetLatencyRatio is issue 12's target for LatencyRatio.
const TargetLatencyRatio = 1.3

// lifecycleRounds is how many turns housecall and the baseline take at
// driving their lifecycles (fewer when there are too few lifecycles for
// every round to run Concurrency at once).
const lifecycleRounds = 5

// SuiteResult is the wall time of the time-skipping workflow tests.
type SuiteResult struct {
	Command string  `json:"command"`
	Seconds float64 `json:"seconds"`
	Tests   int     `json:"tests"`
	Error   string  `json:"error,omitempty"`
}

// Run runs the bench, printing progress to progress.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Results, error) {
	say := func(format string, a ...any) { fmt.Fprintf(progress, format+"\n", a...) }
	host, _ := os.Hostname()
	res := &Results{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Host: host, Started: time.Now(), Config: cfg}
	began := time.Now()
	// Every run gets hours of its own far ahead, so bookings never collide.
	hour := 0
	slot := func() time.Time {
		hour++
		return time.Now().UTC().Truncate(time.Hour).Add(time.Duration(48+hour) * time.Hour)
	}
	if cfg.Scale > 0 {
		say("== scale: %d booked requests open at once on one worker with a sticky cache of %d (%s), %d booked at once",
			cfg.Scale, cfg.SmallCache, cfg.MemoryPersistence, cfg.OpenConcurrency)
		r, err := runScale(ctx, cfg, say)
		res.Scale = r
		res.Seconds = time.Since(began).Seconds()
		return res, err
	}
	res.PhaseSeconds = map[string]float64{}
	timed := func(phase string, since time.Time) { res.PhaseSeconds[phase] = time.Since(since).Seconds() }
	for _, p := range cfg.Persistence {
		say("== persistence %s", p)
		t := time.Now()
		r, err := runPersistence(ctx, cfg, p, slot, say)
		timed(p, t)
		if err != nil {
			say("   %s failed: %v", p, err)
			r.Error = err.Error()
		}
		res.Runs = append(res.Runs, r)
	}
	var consoleErr error
	if !cfg.SkipConsole {
		say("== web console (%d requests in PostgreSQL, a long history, live updates)", cfg.Console.Requests)
		t := time.Now()
		c, err := runConsole(ctx, cfg, slot, say)
		timed("console", t)
		res.Console = c
		if err != nil {
			// The other phases still run; the bench fails at the end.
			say("   console failed: %v", err)
			consoleErr = fmt.Errorf("console: %w", err)
		}
	}
	if !cfg.SkipMemory {
		say("== memory per open request (%d booked requests, worker in its own process)", cfg.Open)
		t := time.Now()
		m, err := runMemory(ctx, cfg, slot, say)
		timed("memory", t)
		if err != nil {
			return res, fmt.Errorf("memory: %w", err)
		}
		res.Memory = m
	}
	if !cfg.SkipSuite {
		say("== time-skipping workflow test suite")
		t := time.Now()
		res.Suite = runSuite(ctx)
		timed("suite", t)
	}
	res.Seconds = time.Since(began).Seconds()
	return res, consoleErr
}

func runPersistence(ctx context.Context, cfg Config, p string, slot func() time.Time, say func(string, ...any)) (Persistence, error) {
	out := Persistence{Persistence: p}
	e, err := startEnv(ctx, envOptions{persistence: p, adminDB: cfg.AdminDB, inProcess: true, queue: "housecall-bench"})
	if err != nil {
		return out, err
	}
	defer e.close()

	// One lifecycle first, to read its shape from the history (and warm up).
	first := fmt.Sprintf("BENCH-%s-SHAPE", p)
	if _, err := e.happyPath(ctx, first, slot()); err != nil {
		return out, err
	}
	if out.Shape, err = e.measureShape(ctx, first); err != nil {
		return out, err
	}
	say("   one lifecycle: %d updates, %d activities, %d local activities, %d timers, %d history events",
		out.Shape.Updates, out.Shape.total(out.Shape.Activities), out.Shape.total(out.Shape.LocalActivities), out.Shape.total(out.Shape.Timers), out.Shape.Events)

	slots := make([]time.Time, cfg.Requests)
	for i := range slots {
		slots[i] = slot()
	}
	// Housecall and the baseline take turns, a round each, so that a
	// machine that speeds up or slows down during the run (the SQLite file
	// growing, another process) weighs on both alike: the ratio compares
	// the same minutes.
	rounds := max(1, min(lifecycleRounds, cfg.Requests/cfg.Concurrency))
	say("   housecall: %d lifecycles, %d at once, through the HTTP API; baseline: as many of a logic-free workflow of the same shape, through the Temporal client; in %d alternating rounds",
		cfg.Requests, cfg.Concurrency, rounds)
	var (
		steps             atomic.Int64
		hcTook, baseTook  time.Duration
		hcFailed, bFailed int
	)
	for r := range rounds {
		lo, hi := r*cfg.Requests/rounds, (r+1)*cfg.Requests/rounds
		hc, failed, err := runConcurrently(ctx, hi-lo, cfg.Concurrency, func(done int) { say("     housecall %d/%d", lo+done, cfg.Requests) },
			func(ctx context.Context, i int) error {
				v, err := e.happyPath(ctx, fmt.Sprintf("BENCH-%s-%d", p, lo+i), slots[lo+i])
				steps.Add(v.Seq)
				return err
			})
		hcTook, hcFailed = hcTook+hc, hcFailed+failed
		if err != nil {
			out.Housecall = lifecycle(cfg, hcTook, hcFailed, float64(steps.Load()), float64(out.Shape.Events))
			return out, err
		}
		if cfg.SkipBaseline {
			continue
		}
		base, failed, err := runConcurrently(ctx, hi-lo, cfg.Concurrency, func(done int) { say("     baseline %d/%d", lo+done, cfg.Requests) },
			func(ctx context.Context, i int) error {
				return e.baselineLifecycle(ctx, fmt.Sprintf("BASELINE-%s-%d", p, lo+i), out.Shape)
			})
		baseTook, bFailed = baseTook+base, bFailed+failed
		if err != nil {
			return out, err
		}
		say("     round %d of %d: housecall %.1f s, baseline %.1f s (%.2f)", r+1, rounds, hc.Seconds(), base.Seconds(), hc.Seconds()/base.Seconds())
	}
	out.Housecall = lifecycle(cfg, hcTook, hcFailed, float64(steps.Load()), float64(out.Shape.Events))
	say("   housecall: %.1f lifecycles/s (%.1f s)", out.Housecall.LifecyclesPerSec, hcTook.Seconds())
	if cfg.SkipBaseline {
		return out, nil
	}
	if bs, err := e.measureShape(ctx, fmt.Sprintf("BASELINE-%s-0", p)); err == nil {
		out.BaselineShape = &bs
		say("   one baseline lifecycle: %d history events, %d bytes (housecall: %d events, %d bytes, %d search-attribute upserts)",
			bs.Events, bs.Bytes, out.Shape.Events, out.Shape.Bytes, out.Shape.Upserts)
	}
	out.Baseline = lifecycle(cfg, baseTook, bFailed, 0, 0)
	if out.Baseline.Seconds > 0 {
		out.Ratio = out.Housecall.Seconds / out.Baseline.Seconds
	}
	say("   baseline: %.1f lifecycles/s (%.1f s); housecall/baseline = %.2f", out.Baseline.LifecyclesPerSec, baseTook.Seconds(), out.Ratio)

	for _, c := range []int{1, 32} {
		n := cfg.LatencyEvents
		if c == 1 {
			n = cfg.LatencyEvents * 10
		}
		say("   event latency at %d concurrent request(s), %d events each", c, n)
		l, err := e.latency(ctx, fmt.Sprintf("LAT-%s-%d", p, c), c, n, func(int) time.Time { return slot() })
		if err != nil {
			return out, err
		}
		say("     p50 %.1f ms, p95 %.1f ms, p99 %.1f ms", l.P50, l.P95, l.P99)
		out.Latency = append(out.Latency, l)
		say("   baseline event latency at %d concurrent request(s), %d events each", c, n)
		b, err := e.baselineLatency(ctx, fmt.Sprintf("LAT-BASELINE-%s-%d", p, c), c, n)
		if err != nil {
			return out, err
		}
		r := LatencyRatio{Concurrency: c}
		if b.P99 > 0 {
			r.P99Ratio = l.P99 / b.P99
			r.Met = r.P99Ratio <= TargetLatencyRatio
		}
		say("     p50 %.1f ms, p95 %.1f ms, p99 %.1f ms; housecall's p99 is %.2f× the baseline's", b.P50, b.P95, b.P99, r.P99Ratio)
		out.BaselineLatency = append(out.BaselineLatency, b)
		out.LatencyRatio = append(out.LatencyRatio, r)
	}
	return out, nil
}

func lifecycle(cfg Config, took time.Duration, failed int, steps, events float64) LifecycleResult {
	s := took.Seconds()
	r := LifecycleResult{Requests: cfg.Requests, Concurrency: cfg.Concurrency, Seconds: s, Failures: failed}
	if s > 0 {
		r.LifecyclesPerSec = float64(cfg.Requests-failed) / s
		r.StepsPerSec = steps / s
		r.HistoryEventsPerSec = events * float64(cfg.Requests) / s
	}
	return r
}

// runMemory keeps cfg.Open requests booked and waiting on their timers and
// measures a worker process holding them: with the SDK's default sticky
// cache, and with a small one after every request went through it.
func runMemory(ctx context.Context, cfg Config, slot func() time.Time, say func(string, ...any)) ([]MemoryResult, error) {
	e, err := startEnv(ctx, envOptions{persistence: cfg.MemoryPersistence, adminDB: cfg.AdminDB, queue: "housecall-mem"})
	if err != nil {
		return nil, err
	}
	defer e.close()
	o := ProbeOptions{Temporal: e.srv.FrontendAddr(), Namespace: e.srv.Namespace(), Queue: e.queue, DB: e.dbURL, CodecKey: e.key.String()}
	var out []MemoryResult

	p, err := startProbe(o)
	if err != nil {
		return nil, err
	}
	before, err := p.stats(ctx)
	if err != nil {
		return nil, err
	}
	slots := make([]time.Time, cfg.Open)
	for i := range slots {
		slots[i] = slot()
	}
	say("   booking %d requests (default sticky cache)", cfg.Open)
	took, _, err := runConcurrently(ctx, cfg.Open, cfg.OpenConcurrency, func(done int) { say("     %d/%d", done, cfg.Open) },
		func(ctx context.Context, i int) error { return e.openRequest(ctx, fmt.Sprintf("OPEN-%d", i), slots[i]) })
	if err != nil {
		_ = p.stop()
		return nil, err
	}
	say("     booked in %.0f s (%.0f requests/s)", took.Seconds(), float64(cfg.Open)/took.Seconds())
	after, err := p.stats(ctx)
	if err != nil {
		return nil, err
	}
	out = append(out, MemoryResult{Cache: 10000, Open: cfg.Open, Before: before, After: after,
		RSSPerRequestKB: perRequest(before.RSS, after.RSS, cfg.Open), HeapPerRequestKB: perRequest(before.HeapAlloc, after.HeapAlloc, cfg.Open)})
	say("     %.1f KB heap, %.1f KB RSS per open request", out[0].HeapPerRequestKB, out[0].RSSPerRequestKB)
	if err := p.stop(); err != nil {
		return nil, err
	}

	o.Cache = cfg.SmallCache
	if p, err = startProbe(o); err != nil {
		return nil, err
	}
	defer func() { _ = p.stop() }()
	if before, err = p.stats(ctx); err != nil {
		return nil, err
	}
	// Enough requests through it that the small cache is full many times over.
	touch := min(cfg.Open, 20*cfg.SmallCache)
	say("   %d open requests through a worker with a sticky cache of %d", touch, cfg.SmallCache)
	if _, _, err := runConcurrently(ctx, touch, cfg.OpenConcurrency, func(done int) { say("     %d/%d", done, touch) },
		func(ctx context.Context, i int) error {
			_, err := e.update(ctx, fmt.Sprintf("OPEN-%d", i*cfg.Open/touch), map[string]any{"type": "customer_unreachable"})
			return err
		}); err != nil {
		return nil, err
	}
	if after, err = p.stats(ctx); err != nil {
		return nil, err
	}
	m := MemoryResult{Cache: cfg.SmallCache, Open: cfg.Open, Before: before, After: after,
		RSSPerRequestKB: perRequest(before.RSS, after.RSS, cfg.Open), HeapPerRequestKB: perRequest(before.HeapAlloc, after.HeapAlloc, cfg.Open)}
	say("     %.2f KB heap, %.2f KB RSS per open request", m.HeapPerRequestKB, m.RSSPerRequestKB)
	return append(out, m), nil
}

// runSuite times the workflow package's tests (time-skipping, replay).
func runSuite(ctx context.Context) *SuiteResult {
	r := &SuiteResult{Command: "go test -count=1 -v ./workflows/"}
	root, err := moduleRoot()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-v", "./workflows/")
	cmd.Dir = root
	start := time.Now()
	b, err := cmd.CombinedOutput()
	r.Seconds = time.Since(start).Seconds()
	r.Tests = strings.Count(string(b), "--- PASS")
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (run from the repository)", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the housecall module")
	}
	return filepath.Dir(mod), nil
}

// Write saves the results as JSON.
func (r *Results) Write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Table prints the results for people, beside the targets.
func (r *Results) Table(w io.Writer) {
	fmt.Fprintf(w, "\nhousecall bench — %s, %s/%s, %d CPUs, %s (%.0f s)\n\n", r.GoVersion, r.OS, r.Arch, r.CPUs, r.Started.Format(time.RFC3339), r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "persistence\tlifecycles/s\tsteps/s\thistory ev/s\tbaseline lc/s\thousecall/baseline (≤1.3)\tp50/p95/p99 ms @1 (baseline)\tp50/p95/p99 ms @32 (baseline)\tp99 / baseline's @1, @32 (≤1.3)")
	for _, p := range r.Runs {
		lat := func(c int) string {
			out := "-"
			for _, l := range p.Latency {
				if l.Concurrency == c {
					out = fmt.Sprintf("%.1f/%.1f/%.1f", l.P50, l.P95, l.P99)
				}
			}
			for _, l := range p.BaselineLatency {
				if l.Concurrency == c {
					out += fmt.Sprintf(" (%.1f/%.1f/%.1f)", l.P50, l.P95, l.P99)
				}
			}
			return out
		}
		ratios := "-"
		if len(p.LatencyRatio) > 0 {
			var rs []string
			for _, x := range p.LatencyRatio {
				rs = append(rs, fmt.Sprintf("%.2f", x.P99Ratio))
			}
			ratios = strings.Join(rs, ", ")
		}
		if p.Error != "" {
			fmt.Fprintf(tw, "%s\tfailed: %s\n", p.Persistence, p.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.0f\t%.0f\t%.1f\t%.2f\t%s\t%s\t%s\n", p.Persistence, p.Housecall.LifecyclesPerSec, p.Housecall.StepsPerSec,
			p.Housecall.HistoryEventsPerSec, p.Baseline.LifecyclesPerSec, p.Ratio, lat(1), lat(32), ratios)
	}
	_ = tw.Flush()
	if len(r.Memory) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "sticky cache\topen requests\tworker heap KB/request (≤20 small)\tworker RSS KB/request\tworker RSS MB after")
		for _, m := range r.Memory {
			fmt.Fprintf(tw, "%d\t%d\t%.2f\t%.2f\t%.0f\n", m.Cache, m.Open, m.HeapPerRequestKB, m.RSSPerRequestKB, float64(m.After.RSS)/(1<<20))
		}
		_ = tw.Flush()
	}
	if r.Console != nil {
		r.Console.Table(w)
	}
	if sc := r.Scale; sc != nil {
		fmt.Fprintf(w, "\nscale (%s): %d of %d requests booked in %.0f s (%.1f/s, %d at once); one worker, sticky cache %d: %.2f KB heap, %.2f KB RSS per open request, RSS %.0f MB after\n",
			sc.Persistence, sc.Booked, sc.Open, sc.Seconds, sc.PerSec, sc.Concurrency, sc.Cache, sc.HeapPerRequestKB, sc.RSSPerRequestKB, float64(sc.After.RSS)/(1<<20))
		for _, l := range sc.Lists {
			fmt.Fprintf(w, "  %-18s p50 %.1f ms, p99 %.1f ms (≤ %.0f)\n", l.Name, l.P50, l.P99, l.TargetP99)
		}
	}
	if s := r.Suite; s != nil {
		fmt.Fprintf(w, "\ntime-skipping suite: %d tests in %.1f s (%s)%s\n", s.Tests, s.Seconds, s.Command, map[bool]string{true: " — " + s.Error, false: ""}[s.Error != ""])
	}
}
