package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/housecall/housecall/activities"
	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/console"
	"github.com/housecall/housecall/internal/logging"
	"github.com/housecall/housecall/internal/temporalclient"
	"github.com/housecall/housecall/notify"
	"github.com/housecall/housecall/starter"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/worker"
)

func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	return config.Load(cmd.Flags())
}

func newLogger(cfg *config.Config, defaultFormat string) (*zap.Logger, error) {
	format := cfg.LogFormat
	if format == "" {
		format = defaultFormat
	}
	return logging.New(cfg.LogLevel, format)
}

// signalContext is cancelled by Ctrl-C or SIGTERM.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// dialTemporal connects to Temporal with TLS, API key and payload
// encryption as configured (temporalclient.Options).
func dialTemporal(ctx context.Context, cfg *config.Config, log *zap.Logger) (client.Client, error) {
	return temporalclient.Dial(ctx, cfg, log)
}

// notifier picks the webhook gateway when configured, else the log.
func notifier(cfg *config.Config, log *zap.Logger) notify.Notifier {
	if cfg.WebhookURL != "" {
		return &notify.WebhookNotifier{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret}
	}
	return &notify.LogNotifier{Log: log.Named("notify")}
}

// customerLinks makes the customer's signed link (/c/{token}, valid
// console.customer_link_ttl from sending) that notifications to the
// customer carry; nil without console.secret (a link signed by a random
// secret would never open).
func customerLinks(cfg *config.Config, log *zap.Logger) func(notify.Notification) string {
	if len(cfg.Console.Secret) == 0 {
		log.Info("console.secret is not set: notifications to customers carry no link to their request")
		return nil
	}
	return console.CustomerLinks(consolePublicURL(cfg), cfg.Console.Secret, cfg.Console.CustomerLinkTTL, nil)
}

// runWorker runs the Temporal worker and the notifications dispatcher until
// ctx ends.
// Its metrics (steps waiting for the database) go to reg, served on
// worker.metrics_addr when set.
func runWorker(ctx context.Context, cfg *config.Config, c client.Client, st *store.Store, log *zap.Logger, reg *prometheus.Registry) error {
	acts := &activities.Activities{Store: st, Temporal: c, Log: log.Named("activity"), Metrics: activities.NewMetrics(reg)}
	if cfg.WorkerMetricsAddr != "" {
		ln, err := listen(cfg.WorkerMetricsAddr, "worker.metrics_addr")
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		go func() { _ = serveHTTP(ctx, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln) }()
	}
	w := worker.New(c, cfg.TaskQueue, acts, sdkworker.Options{})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", cfg.TaskQueue, err)
	}
	defer w.Stop()
	d := &notify.Dispatcher{Store: st, Notifier: notifier(cfg, log), Log: log.Named("notify"), MaxAttempts: cfg.NotifyMaxAttempts,
		Link: customerLinks(cfg, log)}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	log.Info("worker running", zap.String("task_queue", cfg.TaskQueue), zap.String("namespace", cfg.TemporalNamespace))
	select {
	case <-ctx.Done():
		<-errc
		return nil
	case err := <-errc:
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("notifications dispatcher: %w", err)
	}
}

// apiServer makes the HTTP server of the API and the web console; the
// console's live updates run until ctx ends.
// extra (may be nil) adds metrics of the same process to /metrics.
func apiServer(ctx context.Context, cfg *config.Config, c client.Client, st *store.Store, log *zap.Logger, extra prometheus.Gatherer) (*http.Server, error) {
	srv := &starter.Server{
		Metrics:    extra,
		Temporal:   c,
		Store:      st,
		TaskQueue:  cfg.TaskQueue,
		Policy:     cfg.PolicyAt,
		Tokens:     cfg.Tokens,
		Log:        log.Named("api"),
		Encryption: starter.Encryption{Codec: cfg.Codec, Origins: cfg.CodecOrigins},
	}
	api := srv.Handler()
	public := cfg.Console.PublicURL
	if public == "" {
		public = "http://" + cfg.HTTPAddr
	}
	con, err := console.New(console.Options{
		API:           srv,
		Store:         st,
		Secret:        cfg.Console.Secret,
		PublicURL:     public,
		LinkTTL:       cfg.Console.CustomerLinkTTL,
		TemporalUIURL: cfg.Console.TemporalUIURL,
		Namespace:     cfg.TemporalNamespace,
		Policy:        cfg.PolicyAt,
		Log:           log.Named("console"),
	})
	if err != nil {
		return nil, err
	}
	con.Start(ctx)
	return &http.Server{Addr: cfg.HTTPAddr, Handler: console.Mount(api, con), ReadHeaderTimeout: 10 * time.Second}, nil
}

// listen opens the API's address, naming the key when it cannot.
func listen(addr, key string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", key, addr, err)
	}
	return ln, nil
}

// serveHTTP serves until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, hs *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return err
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	return store.Open(ctx, cfg.DatabaseURL)
}

// service is what the worker and the API both run on: the configuration, a
// logger, a context Ctrl-C/SIGTERM cancels, the database and Temporal.
type service struct {
	cfg *config.Config
	log *zap.Logger
	ctx context.Context
	st  *store.Store
	c   client.Client
}

// runService connects everything a production process needs, runs body,
// and closes it all in reverse order.
func runService(cmd *cobra.Command, check func(*config.Config) error, body func(s service) error) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(cfg); err != nil {
			return err
		}
	}
	log, err := newLogger(cfg, "json")
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := dialTemporal(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()
	return body(service{cfg: cfg, log: log, ctx: ctx, st: st, c: c})
}

func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run the Temporal worker (workflows, activities, notifications) against temporal.address",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runService(cmd, nil, func(s service) error {
				if err := ensureBackground(s.ctx, s.cfg, s.c, s.log); err != nil {
					return err
				}
				return runWorker(s.ctx, s.cfg, s.c, s.st, s.log, prometheus.NewRegistry())
			})
		},
	}
}

func newAPICmd() *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Run the HTTP API (starts workflows, sends events, answers queries)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			needTokens := func(cfg *config.Config) error {
				if len(cfg.Tokens) == 0 {
					return errors.New("auth.tokens: no API tokens configured (HOUSECALL_AUTH_TOKENS=TOKEN=ROLE[:SUBJECT],…); only `housecall dev` makes its own")
				}
				return nil
			}
			return runService(cmd, needTokens, func(s service) error {
				// Requests are started with search attributes (region, kind):
				// the API registers them too, so it never depends on a worker
				// having started first (idempotent).
				if err := worker.Setup(s.ctx, s.c, s.cfg.TemporalNamespace); err != nil {
					return err
				}
				ln, err := listen(s.cfg.HTTPAddr, "http.addr")
				if err != nil {
					return err
				}
				s.log.Info("API listening", zap.String("addr", ln.Addr().String()))
				hs, err := apiServer(s.ctx, s.cfg, s.c, s.st, s.log, nil)
				if err != nil {
					return err
				}
				return serveHTTP(s.ctx, hs, ln)
			})
		},
	}
}

func newMigrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create the database if needed and apply its migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			return migrate(cmd.Context(), cfg, func(format string, args ...any) {
				fmt.Fprintf(cmd.OutOrStdout(), format+"\n", args...)
			})
		},
	}
}

func migrate(ctx context.Context, cfg *config.Config, say func(string, ...any)) error {
	created, err := store.EnsureDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if created {
		say("created database %s", store.Redact(cfg.DatabaseURL))
	}
	v, err := store.Migrate(ctx, cfg.DatabaseURL, func(seq int32, name string) { say("applying migration %d: %s", seq, name) })
	if err != nil {
		return err
	}
	say("database schema at version %d", v)
	return nil
}
