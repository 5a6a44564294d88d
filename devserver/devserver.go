// Package devserver runs an embedded, single-process Temporal server (frontend,
// history, matching and worker services) on SQLite, optionally with the Temporal
// Web UI, for `housecall dev`, tests and benchmarks.
//
// File mode keeps all state in DataDir/temporal.db (SQLite, WAL journal) and
// the visibility records in DataDir/temporal-visibility.db beside it, so
// workflows survive a restart; Ephemeral mode keeps everything in memory.
// With Options.PostgresURL the server persists to PostgreSQL instead (see
// postgres.go), e.g. to compare both in a benchmark.
//
// The server runs all services in this process with static membership (no
// ringpop) and one history shard; the SQLite plugin uses a single connection
// per database, which serializes its writes but avoids SQLITE_BUSY errors
// (several connections made a 500-workflow load both slower and
// error-prone). The visibility records have a database of their own, so
// their writes do not queue behind the history's (issue 12).
//
// Caveats inherited from the Temporal server, relevant when a process starts
// more than one server (tests):
//   - The SQLite plugin keeps its database connections open for the life of the
//     process, even after Stop. A file-mode restart on the same DataDir reuses
//     that connection (which is fine); each Ephemeral server leaves its
//     in-memory database behind until the process exits.
//   - A few SDK workers the server runs internally (system workflows) are not
//     stopped by Stop: about a hundred goroutines keep retrying their polls
//     against the stopped frontend address (their logs are dropped unless
//     Debug). A later server on the same fixed FrontendAddr in the same
//     process would receive those polls.
//   - Stop takes about a second: the frontend drains requests for at least 1s.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Defaults applied by Start when the corresponding Options field is zero.
const (
	DefaultFrontendAddr = "127.0.0.1:7233"
	DefaultNamespace    = "default"
	DefaultRetention    = 30 * 24 * time.Hour
	// DBFileName is the SQLite database file created inside Options.DataDir.
	DBFileName = "temporal.db"
	// VisibilityFileName is the SQLite database of the visibility records,
	// beside DBFileName.
	VisibilityFileName = "temporal-visibility.db"
)

// Options configures Start.
type Options struct {
	DataDir   string // SQLite database file DataDir/temporal.db (created with schema if absent); ignored when Ephemeral or PostgresURL
	Ephemeral bool   // in-memory SQLite (tests, benchmarks)
	// PostgresURL, when set, persists to PostgreSQL instead of SQLite:
	// "postgres://user[:password]@host[:port]/dbname[?sslmode=...]" (other
	// query parameters are passed to the connection). The server uses dbname
	// and dbname_visibility, creating them if missing and setting up or
	// updating their schemas at every start. Not with Ephemeral.
	PostgresURL  string
	FrontendAddr string // host:port the frontend gRPC listens on, e.g. "127.0.0.1:7233"; "127.0.0.1:0" = pick a free port; "" = DefaultFrontendAddr
	UIAddr       string // host:port of the Temporal Web UI; "" = no UI; port 0 = pick a free one
	Namespace    string // registered at start (idempotently), default "default"
	// Retention is the retention of a newly created namespace, default 30 days
	// (auditors read closed histories). An existing namespace is left alone.
	Retention time.Duration
	// SearchAttributes are custom search attributes registered on the namespace
	// (idempotent across restarts; attributes added to an existing database are
	// registered at start). Registering a name that already exists with a
	// different type is an error.
	SearchAttributes map[string]enums.IndexedValueType
	// CodecEndpoint is the remote payload codec the UI decodes payloads
	// with (Temporal's codec server protocol: the browser POSTs to
	// CodecEndpoint+"/decode"); "" = none, encrypted payloads show as such.
	CodecEndpoint string
	Logger        *zap.Logger // server logs go here (at warn level and above unless Debug); nil = no logs
	Debug         bool
}

// Server is a running embedded Temporal server. Create it with Start.
type Server struct {
	opts         Options
	frontendAddr string // dialable host:port
	httpAddr     string // frontend HTTP API, dialable host:port
	uiURL        string

	temporal temporal.Server
	ui       *uiserver.Server
	uiDone   chan struct{}
	conn     *grpc.ClientConn
	unlock   func()
	phase    *atomic.Int32 // phaseStarting, phaseRunning, phaseStopping

	stopOnce sync.Once
	stopErr  error
}

// FrontendAddr returns the host:port clients dial to reach the frontend
// (the real port when Options.FrontendAddr asked for port 0).
func (s *Server) FrontendAddr() string { return s.frontendAddr }

// HTTPAddr returns the host:port of the frontend's HTTP API (and Nexus
// endpoints). It listens on the frontend's IP, on a free port picked at start.
func (s *Server) HTTPAddr() string { return s.httpAddr }

// UIURL returns "http://host:port" of the Web UI, or "" when it is not running.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace returns the namespace registered at start.
func (s *Server) Namespace() string { return s.opts.Namespace }

// Start starts the server and returns once the frontend answers (the namespace
// is described successfully, its search attributes registered) and the UI, if
// any, accepts connections. ctx bounds the wait for readiness.
func Start(ctx context.Context, o Options) (_ *Server, retErr error) {
	began := time.Now()
	if err := o.normalize(); err != nil {
		return nil, err
	}
	s := &Server{opts: o, phase: new(atomic.Int32)}
	defer func() {
		if retErr != nil {
			_ = s.Stop()
		}
	}()

	// Ports first: the cheapest and most common failure.
	fe, err := resolveListenAddr("frontend", o.FrontendAddr)
	if err != nil {
		return nil, err
	}
	var uiAddr *listenAddr
	if o.UIAddr != "" {
		if uiAddr, err = resolveListenAddr("UI", o.UIAddr); err != nil {
			return nil, err
		}
		if uiAddr.requested != 0 && uiAddr.port == fe.port {
			return nil, fmt.Errorf("UI address %s and frontend address %s use the same port", o.UIAddr, o.FrontendAddr)
		}
	}
	s.frontendAddr = fe.dialAddr()

	// Storage.
	var persistence config.Persistence
	if o.PostgresURL != "" {
		pg, err := preparePostgres(ctx, o)
		if err != nil {
			return nil, err
		}
		s.unlock = pg.unlock
		persistence = pg.persistence
	} else {
		var dbPath string
		if !o.Ephemeral {
			if dbPath, s.unlock, err = prepareDataDir(o.DataDir); err != nil {
				return nil, err
			}
		}
		if persistence, err = prepareDatabases(dbPath, o); err != nil {
			return nil, err
		}
	}

	// Server.
	internalPorts, err := freePorts(loopback, numInternalPorts)
	if err != nil {
		return nil, err
	}
	httpPort, err := freePorts(fe.bindIP, 1)
	if err != nil {
		return nil, err
	}
	feHTTP := &listenAddr{bindIP: fe.bindIP, port: httpPort[0]}
	s.httpAddr = feHTTP.dialAddr()
	cfg := buildConfig(fe, feHTTP, persistence, internalPorts)
	serverOpts, err := s.serverOptions(cfg, fe)
	if err != nil {
		return nil, err
	}
	if err := s.startTemporal(serverOpts); err != nil {
		if isAddrInUse(err) && strings.Contains(err.Error(), net.JoinHostPort(fe.bindIP, strconv.Itoa(fe.port))) {
			return nil, fmt.Errorf("frontend address %s is in use: another Temporal server or housecall dev is running? (%w)", o.FrontendAddr, err)
		}
		return nil, err
	}

	// Readiness: the frontend answers for our namespace.
	s.conn, err = grpc.NewClient(s.frontendAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial frontend %s: %w", s.frontendAddr, err)
	}
	if err := s.waitForNamespace(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureSearchAttributes(ctx); err != nil {
		return nil, err
	}

	// UI last, once there is something to show.
	if uiAddr != nil {
		if err := s.startUI(ctx, uiAddr); err != nil {
			return nil, err
		}
	}
	if o.Logger != nil && o.Debug {
		o.Logger.Debug("temporal dev server started",
			zap.String("frontend", s.frontendAddr), zap.String("ui", s.uiURL),
			zap.String("namespace", o.Namespace), zap.Duration("took", time.Since(began)))
	}
	return s, nil
}

func (o *Options) normalize() error {
	if o.FrontendAddr == "" {
		o.FrontendAddr = DefaultFrontendAddr
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Retention < 0 {
		return fmt.Errorf("retention %v is negative", o.Retention)
	}
	if o.PostgresURL != "" {
		if o.Ephemeral {
			return errors.New("options Ephemeral and PostgresURL exclude each other")
		}
	} else if !o.Ephemeral && o.DataDir == "" {
		return errors.New("data dir is required unless Ephemeral or PostgresURL is set")
	}
	for name, typ := range o.SearchAttributes {
		if name == "" {
			return errors.New("search attribute with an empty name")
		}
		if typ == enums.INDEXED_VALUE_TYPE_UNSPECIFIED || enums.IndexedValueType_name[int32(typ)] == "" {
			return fmt.Errorf("search attribute %q: invalid type %v", name, typ)
		}
	}
	return nil
}

func (s *Server) serverOptions(cfg *config.Config, fe *listenAddr) ([]temporal.ServerOption, error) {
	logger := newServerLogger(s.opts.Logger, s.opts.Debug, s.phase)
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("temporal authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("temporal claim mapper: %w", err)
	}
	return []temporal.ServerOption{
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(staticHosts(cfg, fe)),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	}, nil
}

// startTemporal creates and starts the server. While it runs, a Fatal log from
// the server (which would otherwise exit the process, e.g. on a port taken
// between our check and the server's bind) panics instead, and the panic is
// turned into an error here.
func (s *Server) startTemporal(opts []temporal.ServerOption) (err error) {
	defer func() {
		if err != nil && s.temporal != nil {
			// Best effort: release whatever part of the server did start.
			s.phase.Store(phaseStopping)
			func() {
				var ignored error
				defer recoverServerPanic("stopping", &ignored)
				_ = s.temporal.Stop()
			}()
			s.temporal = nil
		}
	}()
	defer recoverServerPanic("starting", &err)
	srv, err := temporal.NewServer(opts...)
	if err != nil {
		return fmt.Errorf("create temporal server: %w", err)
	}
	s.temporal = srv
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start temporal server: %w", err)
	}
	s.phase.Store(phaseRunning)
	return nil
}

func (s *Server) waitForNamespace(ctx context.Context) error {
	wf := workflowservice.NewWorkflowServiceClient(s.conn)
	deadline := time.Now().Add(30 * time.Second)
	var lastErr error
	for {
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := wf.DescribeNamespace(callCtx, &workflowservice.DescribeNamespaceRequest{Namespace: s.opts.Namespace})
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return fmt.Errorf("frontend %s did not answer for namespace %q: %w (last error: %v)", s.frontendAddr, s.opts.Namespace, ctx.Err(), lastErr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("frontend %s did not answer for namespace %q within 30s: %w", s.frontendAddr, s.opts.Namespace, lastErr)
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ensureSearchAttributes registers Options.SearchAttributes that the namespace
// does not have yet (a database created by an earlier run with fewer attributes).
func (s *Server) ensureSearchAttributes(ctx context.Context) error {
	if len(s.opts.SearchAttributes) == 0 {
		return nil
	}
	op := operatorservice.NewOperatorServiceClient(s.conn)
	ns := s.opts.Namespace
	list, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %q: %w", ns, err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, want := range s.opts.SearchAttributes {
		if _, ok := list.GetSystemAttributes()[name]; ok {
			return fmt.Errorf("search attribute %q: name is reserved by a Temporal system search attribute", name)
		}
		if got, ok := list.GetCustomAttributes()[name]; ok {
			if got != want {
				return fmt.Errorf("search attribute %q is already registered on namespace %q as %v, not %v (use another name, or delete the data dir)", name, ns, got, want)
			}
			continue
		}
		missing[name] = want
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: ns, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register search attributes %v on namespace %q: %w", keys(missing), ns, err)
	}
	return nil
}

// Stop stops the UI, then the server. It is safe to call more than once; later
// calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.ui != nil {
			s.ui.Stop()
			select {
			case <-s.uiDone:
			case <-time.After(5 * time.Second):
				errs = append(errs, errors.New("UI server did not stop within 5s"))
			}
		}
		if s.conn != nil {
			_ = s.conn.Close()
		}
		if s.temporal != nil {
			s.phase.Store(phaseStopping)
			if err := s.stopTemporal(); err != nil {
				errs = append(errs, fmt.Errorf("stop temporal server: %w", err))
			}
		}
		if s.unlock != nil {
			s.unlock()
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

func (s *Server) stopTemporal() (err error) {
	defer recoverServerPanic("stopping", &err)
	return s.temporal.Stop()
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// listenAddr is a resolved host:port to listen on.
type listenAddr struct {
	bindIP    string // IP to bind ("0.0.0.0" / "::" = all interfaces)
	port      int    // resolved port
	requested int    // port asked for; 0 = any free port
}

// dialAddr is the address a local client uses to reach the listener.
func (a *listenAddr) dialAddr() string {
	host := a.bindIP
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(a.port))
}
