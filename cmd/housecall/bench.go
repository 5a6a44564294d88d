package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/housecall/housecall/bench"
	"github.com/housecall/housecall/store/storetest"
)

func newBenchCmd() *cobra.Command {
	def := bench.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure lifecycle throughput, the cost over a bare Temporal baseline, event latency, the web console and memory per open request",
		Long: `Runs everything in this process against the embedded Temporal server and a fresh PostgreSQL
database (dropped afterwards): N service requests through the whole happy path over the HTTP API,
a logic-free baseline workflow of the same shape, event latency at 1 and 32 concurrent requests,
the web console (/centre and /board with 10,000 requests in PostgreSQL, the auditor's page of a
request with a long history, live updates over /live), the memory of a worker process holding
1,500 booked requests (default and small sticky cache), and the wall time of the time-skipping
test suite. --scale N instead books N requests and keeps them open on one worker (100,000: the
scale of a real service department). A console page that does not answer 200 fails the bench (after the other phases). Prints a table; writes JSON to --out.
The PostgreSQL server comes from HOUSECALL_TEST_DATABASE_URL (default: the local postgres database).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := def
			cfg.Requests, _ = cmd.Flags().GetInt("requests")
			cfg.Concurrency, _ = cmd.Flags().GetInt("concurrency")
			cfg.Open, _ = cmd.Flags().GetInt("open")
			cfg.OpenConcurrency, _ = cmd.Flags().GetInt("open-concurrency")
			cfg.SmallCache, _ = cmd.Flags().GetInt("small-cache")
			cfg.LatencyEvents, _ = cmd.Flags().GetInt("latency-events")
			cfg.SkipSuite, _ = cmd.Flags().GetBool("skip-suite")
			baseline, _ := cmd.Flags().GetBool("baseline")
			cfg.SkipBaseline = !baseline
			cfg.MemoryPersistence, _ = cmd.Flags().GetString("memory-persistence")
			if cfg.MemoryPersistence != "sqlite" && cfg.MemoryPersistence != "postgres" {
				return fmt.Errorf("--memory-persistence: %q is not sqlite or postgres", cfg.MemoryPersistence)
			}
			cfg.SkipMemory = cfg.Open == 0
			cfg.Scale, _ = cmd.Flags().GetInt("scale")
			if cfg.Scale < 0 {
				return fmt.Errorf("--scale must be positive (or 0: off)")
			}
			console, _ := cmd.Flags().GetBool("console")
			cfg.SkipConsole = !console
			cfg.Console.Requests, _ = cmd.Flags().GetInt("console-requests")
			cfg.Console.Loads, _ = cmd.Flags().GetInt("console-loads")
			cfg.Console.AuditLoads, _ = cmd.Flags().GetInt("console-audit-loads")
			cfg.Console.HistoryEvents, _ = cmd.Flags().GetInt("console-history-events")
			cfg.Console.HistoryLimit, _ = cmd.Flags().GetInt("console-history-limit")
			cfg.Console.Live, _ = cmd.Flags().GetInt("console-live")
			if console && (cfg.Console.Requests < 1 || cfg.Console.Loads < 1 || cfg.Console.AuditLoads < 1 || cfg.Console.Live < 1 ||
				cfg.Console.HistoryLimit < 100 || cfg.Console.HistoryEvents < 1) {
				return fmt.Errorf("--console-requests, --console-loads, --console-audit-loads, --console-live and --console-history-events must be positive, --console-history-limit at least 100")
			}
			p, _ := cmd.Flags().GetString("persistence")
			cfg.Persistence = nil
			for _, name := range strings.Split(p, ",") {
				switch name = strings.TrimSpace(name); name {
				case "":
				case "sqlite", "postgres":
					cfg.Persistence = append(cfg.Persistence, name)
				default:
					return fmt.Errorf("--persistence: %q is not sqlite or postgres", name)
				}
			}
			cfg.AdminDB = storetest.AdminURL()
			if cfg.Requests < 1 || cfg.Concurrency < 1 || cfg.OpenConcurrency < 1 {
				return fmt.Errorf("--requests, --concurrency and --open-concurrency must be positive")
			}
			out, _ := cmd.Flags().GetString("out")
			if prof, _ := cmd.Flags().GetString("cpuprofile"); prof != "" {
				f, err := os.Create(prof)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			// Ctrl-C ends the run early and still writes what it measured
			// (a --scale run takes hours); a second Ctrl-C ends it at once.
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			go func() {
				<-ctx.Done()
				stop()
			}()
			res, err := bench.Run(ctx, cfg, cmd.ErrOrStderr())
			if res != nil {
				res.Table(cmd.OutOrStdout())
				if out != "" {
					if werr := res.Write(out); werr != nil {
						return werr
					}
					fmt.Fprintf(cmd.OutOrStdout(), "\nresults written to %s\n", out)
				}
			}
			return err
		},
	}
	cmd.Flags().Int("requests", def.Requests, "service requests driven through the happy path")
	cmd.Flags().Int("concurrency", def.Concurrency, "lifecycles at once")
	cmd.Flags().Int("open", def.Open, "booked requests kept open for the memory phase (0: skip it)")
	cmd.Flags().Int("open-concurrency", def.OpenConcurrency, "open requests booked at once in the memory phase (and in --scale)")
	cmd.Flags().Int("scale", 0, "scale mode, instead of everything else: book this many requests (e.g. 100000) and keep them open on one worker with --small-cache; the worker's memory and the booking rate every tenth of the way, then the API's lists over them (takes long: ~20 requests/s on 2 cores)")
	cmd.Flags().Int("small-cache", def.SmallCache, "the small sticky workflow cache size")
	cmd.Flags().Int("latency-events", def.LatencyEvents, "events per request at 32 concurrent requests (ten times as many at 1)")
	cmd.Flags().String("persistence", strings.Join(def.Persistence, ","), "embedded server persistences to measure, comma-separated: sqlite, postgres (empty: none)")
	cmd.Flags().String("memory-persistence", def.MemoryPersistence, "embedded server persistence in the memory phase: sqlite or postgres")
	cmd.Flags().Bool("skip-suite", false, "do not time the workflow test suite")
	cmd.Flags().Bool("baseline", true, "drive the baseline and time the latencies (--baseline=false: housecall's lifecycles only, e.g. for a --cpuprofile of housecall alone)")
	cmd.Flags().Bool("console", true, "measure the web console: /centre and /board with --console-requests in PostgreSQL, the auditor's page of a long history, live updates (--console=false: skip)")
	cmd.Flags().Int("console-requests", def.Console.Requests, "requests seeded into PostgreSQL for the console's lists")
	cmd.Flags().Int("console-loads", def.Console.Loads, "loads of each list page (/centre with and without filters, /board)")
	cmd.Flags().Int("console-audit-loads", def.Console.AuditLoads, "loads of the auditor's page of the long request")
	cmd.Flags().Int("console-history-events", def.Console.HistoryEvents, "least history events, over its runs, of the long request")
	cmd.Flags().Int("console-history-limit", def.Console.HistoryLimit, "sop.history_limit in the console phase (the long request continues as new past it)")
	cmd.Flags().Int("console-live", def.Console.Live, "live updates timed, for each way of making one (an API event, a store commit)")
	cmd.Flags().String("out", "bench/results.json", "write the results as JSON here")
	cmd.Flags().String("cpuprofile", "", "write a CPU profile of the whole run (server, worker, API) here")
	return cmd
}

// newBenchWorkerCmd is the worker process the memory phase measures.
func newBenchWorkerCmd() *cobra.Command {
	var o bench.ProbeOptions
	cmd := &cobra.Command{
		Use:    "bench-worker",
		Short:  "The worker process of `housecall bench`'s memory phase",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.CodecKey = os.Getenv(bench.ProbeCodecKeyEnv)
			if err := bench.RunProbe(cmd.Context(), o); err != nil {
				fmt.Fprintln(os.Stderr, "bench-worker:", err)
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Temporal, "temporal", "", "Temporal frontend")
	cmd.Flags().StringVar(&o.Namespace, "namespace", "default", "namespace")
	cmd.Flags().StringVar(&o.Queue, "queue", "", "task queue")
	cmd.Flags().StringVar(&o.DB, "db", "", "database URL")
	cmd.Flags().IntVar(&o.Cache, "cache", 0, "sticky workflow cache size (0: the SDK's default)")
	return cmd
}
