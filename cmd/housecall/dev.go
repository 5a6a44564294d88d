package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/config"
	"github.com/housecall/housecall/devserver"
	"github.com/housecall/housecall/sop"
	"github.com/housecall/housecall/store"
	"github.com/housecall/housecall/workflows"
)

const (
	tokensFile   = "tokens.json"
	codecKeyFile = "codec-key"
)

// demoEngineers are put on an empty roster by `housecall dev`, so that a
// first request can be booked at once.
var demoEngineers = []store.Engineer{
	{ID: "E-1", Name: "张伟", Region: "north", Skills: []string{"tiles", "washing-machine"}, TravelMinutes: 30, Active: true},
	{ID: "E-2", Name: "刘洋", Region: "north", Skills: []string{"tiles"}, TravelMinutes: 20, Active: true},
	{ID: "E-3", Name: "陈静", Region: "south", Skills: []string{"washing-machine"}, TravelMinutes: 25, Active: true},
}

func newDevCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "dev",
		Short: "Run everything on one machine: embedded Temporal server and UI, migrations, worker and API",
		Long: `Runs an in-process Temporal server (SQLite file under dev.data_dir, so requests survive a
restart), the Temporal Web UI at dev.ui_addr, the database migrations, the worker and the HTTP
API. API tokens for each role are made once, kept in dev.data_dir/tokens.json and printed.
Ctrl-C (or SIGTERM) stops it cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log, err := newLogger(cfg, "console")
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			return runDev(ctx, cfg, log, cmd.OutOrStdout(), nil)
		},
	}
}

// runDev runs housecall dev until ctx ends. ready, if not nil, is called with
// the configuration in force (real ports) once everything is up.
func runDev(ctx context.Context, cfg *config.Config, log *zap.Logger, out io.Writer, ready func(*config.Config)) error {
	began := time.Now()
	if err := os.MkdirAll(cfg.DevDataDir, 0o700); err != nil {
		return fmt.Errorf("dev.data_dir %s: %w", cfg.DevDataDir, err)
	}
	if len(cfg.Tokens) == 0 {
		toks, err := devTokens(cfg.DevDataDir)
		if err != nil {
			return err
		}
		cfg.Tokens = toks
	} else if err := writeDevTokens(cfg.DevDataDir, cfg.Tokens); err != nil {
		// Tokens set by auth.tokens: kept in tokens.json too, as the banner
		// says, so that the client commands find them.
		return err
	}
	if cfg.Codec == nil {
		if err := useDevCodecKey(cfg); err != nil {
			return err
		}
	}
	if len(cfg.Console.Secret) == 0 {
		sec, err := devSecret(cfg.DevDataDir)
		if err != nil {
			return err
		}
		cfg.Console.Secret = sec
	}

	if err := migrate(ctx, cfg, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }); err != nil {
		return fmt.Errorf("%w\n(is PostgreSQL running? `make setup` installs and starts it)", err)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	seeded, err := seedRoster(ctx, st)
	if err != nil {
		return err
	}

	// The API listens before the UI starts, so the UI can be given the codec
	// endpoint's address.
	ln, err := listen(cfg.HTTPAddr, "http.addr")
	if err != nil {
		return err
	}
	defer ln.Close()
	cfg.HTTPAddr = ln.Addr().String()

	srv, err := devserver.Start(ctx, devserver.Options{
		DataDir:          cfg.DevDataDir,
		FrontendAddr:     cfg.TemporalAddress,
		UIAddr:           cfg.DevUIAddr,
		Namespace:        cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributeTypes(),
		CodecEndpoint:    devCodecEndpoint(cfg),
		Logger:           log.Named("temporal-server"),
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			log.Warn("stop Temporal server", zap.Error(err))
		}
	}()

	cfg.TemporalAddress = srv.FrontendAddr() // the real port when 0 was asked for
	cfg.CodecOrigins = append(cfg.CodecOrigins, uiOrigins(srv.UIURL())...)
	if cfg.Console.TemporalUIURL == "" {
		cfg.Console.TemporalUIURL = srv.UIURL()
	}
	cfg.Console.PublicURL = consolePublicURL(cfg)
	c, err := dialTemporal(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := ensureBackground(ctx, cfg, c, log); err != nil {
		return err
	}

	// The worker and the API run until Ctrl-C, or until one of them fails.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	// One process: the API's /metrics include the worker's.
	workerMetrics := prometheus.NewRegistry()
	go func() { errc <- runWorker(ctx, cfg, c, st, log, workerMetrics) }()
	hs, err := apiServer(ctx, cfg, c, st, log, workerMetrics)
	if err != nil {
		return err
	}
	go func() { errc <- serveHTTP(ctx, hs, ln) }()

	printBanner(out, cfg, srv, seeded, time.Since(began))
	if ready != nil {
		ready(cfg)
	}

	var first error
	for range 2 {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	if first != nil {
		return first
	}
	fmt.Fprintln(out, "housecall dev stopped.")
	return nil
}

func printBanner(out io.Writer, cfg *config.Config, srv *devserver.Server, seeded []store.Engineer, took time.Duration) {
	fmt.Fprintf(out, "\nhousecall dev is up (%s)\n\n", took.Round(time.Millisecond))
	fmt.Fprintf(out, "  Web console   %s/  (sign in with a token below)\n", cfg.Console.PublicURL)
	fmt.Fprintf(out, "  HTTP API      http://%s  (GET /healthz)\n", cfg.HTTPAddr)
	fmt.Fprintf(out, "  Temporal UI   %s/namespaces/%s/workflows\n", srv.UIURL(), cfg.TemporalNamespace)
	fmt.Fprintf(out, "  Temporal      %s  namespace %s, task queue %s\n", srv.FrontendAddr(), cfg.TemporalNamespace, cfg.TaskQueue)
	fmt.Fprintf(out, "  PostgreSQL    %s\n", store.Redact(cfg.DatabaseURL))
	fmt.Fprintf(out, "  Data          %s\n", cfg.DevDataDir)
	fmt.Fprintf(out, "  Encryption    payloads encrypted with key %s; the UI decodes them through http://%s/codec (auditor)\n\n", cfg.Codec.KeyID(), cfg.HTTPAddr)
	fmt.Fprintf(out, "  API tokens (Authorization: Bearer TOKEN; also in %s):\n", filepath.Join(cfg.DevDataDir, tokensFile))
	for _, t := range cfg.Tokens {
		who := string(t.Role)
		if t.Subject != "" {
			who += ":" + t.Subject
		}
		fmt.Fprintf(out, "    %-22s %s\n", who, t.Token)
	}
	if len(seeded) > 0 {
		fmt.Fprintf(out, "\n  Demo roster:")
		for _, e := range seeded {
			fmt.Fprintf(out, " %s (%s)", e.ID, e.Region)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "\n  Try:\n    housecall request create -f examples/request.json\n    housecall request event SR-… triaged -d '{\"category\":\"misuse\"}'\n    housecall request show SR-…\n\n  Ctrl-C stops.\n\n")
}

// devTokens loads the dev tokens from dataDir, making them the first time.
func devTokens(dataDir string) ([]config.Token, error) {
	path := filepath.Join(dataDir, tokensFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var toks []config.Token
		if err := json.Unmarshal(b, &toks); err != nil {
			return nil, fmt.Errorf("%s: %w (delete it to make new tokens)", path, err)
		}
		return toks, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var toks []config.Token
	add := func(role sop.Role, subject string) {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		toks = append(toks, config.Token{Token: "dev-" + string(role) + "-" + hex.EncodeToString(b), Role: role, Subject: subject})
	}
	add(sop.RoleCallCentre, "")
	add(sop.RoleAuditor, "")
	add(sop.RoleAdmin, "")
	for _, e := range demoEngineers {
		add(sop.RoleEngineer, e.ID)
	}
	if err := writeDevTokens(dataDir, toks); err != nil {
		return nil, err
	}
	return toks, nil
}

// useDevCodecKey makes `housecall dev` encrypt its payloads when no
// temporal.codec_keys are configured: with a key made once and kept in
// dev.data_dir/codec-key, so that the histories of earlier runs still decode.
func useDevCodecKey(cfg *config.Config) error {
	c, keys, err := devCodecKey(cfg.DevDataDir, true)
	if err != nil {
		return err
	}
	cfg.Codec, cfg.CodecKeys = c, keys
	return nil
}

// devCodecKey reads the dev key in dataDir; with create, it makes it the
// first time; without, a missing file is (nil, nil, nil).
func devCodecKey(dataDir string, create bool) (*codec.Codec, []codec.Key, error) {
	path := filepath.Join(dataDir, codecKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, nil, nil
		}
		k, err := codec.NewKey("dev-")
		if err != nil {
			return nil, nil, err
		}
		b = []byte(k.String() + "\n")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, nil, fmt.Errorf("write %s: %w", path, err)
		}
	} else if err != nil {
		return nil, nil, err
	}
	keys, err := codec.ParseKeys(strings.TrimSpace(string(b)))
	if err == nil && len(keys) == 0 {
		err = errors.New("no key")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w (it holds KEYID=BASE64; histories written with it cannot be read without it)", path, err)
	}
	c, err := codec.New(keys, "")
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, keys, nil
}

// devCodecEndpoint is the codec endpoint the dev UI calls from the browser:
// the API's /codec with the auditor's dev token in the path (the UI cannot
// send an Authorization header of its own). Empty without an auditor token.
func devCodecEndpoint(cfg *config.Config) string {
	for _, t := range cfg.Tokens {
		if t.Role == sop.RoleAuditor {
			return "http://" + browserAddr(cfg.HTTPAddr) + "/codec/t/" + t.Token
		}
	}
	return ""
}

// browserAddr is addr as a browser on this machine reaches it.
func browserAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// uiOrigins are the origins a browser shows the UI at uiURL under.
func uiOrigins(uiURL string) []string {
	if uiURL == "" {
		return nil
	}
	out := []string{uiURL}
	if rest, ok := strings.CutPrefix(uiURL, "http://127.0.0.1:"); ok {
		out = append(out, "http://localhost:"+rest)
	}
	return out
}

// writeDevTokens keeps the tokens in force in dataDir/tokens.json (0600).
func writeDevTokens(dataDir string, toks []config.Token) error {
	path := filepath.Join(dataDir, tokensFile)
	b, _ := json.MarshalIndent(toks, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// seedRoster puts the demo engineers on an empty roster.
func seedRoster(ctx context.Context, st *store.Store) ([]store.Engineer, error) {
	es, err := st.ListEngineers(ctx, "")
	if err != nil || len(es) > 0 {
		return nil, err
	}
	for _, e := range demoEngineers {
		if _, err := st.UpsertEngineer(ctx, e); err != nil {
			return nil, err
		}
	}
	return demoEngineers, nil
}

// clientToken finds the token for client commands: client.token, else the
// dev token of the role in client.as.
func clientToken(cfg *config.Config) (string, error) {
	if cfg.ClientToken != "" {
		return cfg.ClientToken, nil
	}
	path := filepath.Join(cfg.DevDataDir, tokensFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("client.token is not set (HOUSECALL_CLIENT_TOKEN or --client.token) and there are no dev tokens at %s", path)
	}
	var toks []config.Token
	if err := json.Unmarshal(b, &toks); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	role, subject, _ := strings.Cut(cfg.ClientAs, ":")
	for _, t := range toks {
		if string(t.Role) == role && t.Subject == subject {
			return t.Token, nil
		}
	}
	return "", fmt.Errorf("client.as %q: no such dev token in %s", cfg.ClientAs, path)
}

// consoleSecretFile keeps the dev console's signing key, so that sessions
// and customer links outlive a restart of housecall dev.
const consoleSecretFile = "console-secret"

// devSecret reads the dev console secret in dataDir, making it the first time.
func devSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, consoleSecretFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(b)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	sec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(sec) < 32 {
		return nil, fmt.Errorf("%s: not base64 of 32 bytes; delete it to make a new one (sessions and customer links end)", path)
	}
	return sec, nil
}

// consolePublicURL is the console's address as printed: the configured
// console.public_url, else the address the API really listens on.
func consolePublicURL(cfg *config.Config) string {
	if u := cfg.Console.PublicURL; u != "" {
		return u
	}
	return "http://" + cfg.HTTPAddr
}
