package devserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	// clusterName is stored in the database's cluster metadata: keep it stable.
	clusterName = "active"
	storeName   = "sqlite-default"
	// visibilityStoreName is the SQLite database of the visibility records
	// (search attributes, the Temporal UI's lists), apart from the history
	// store: the plugin gives each database one connection, so visibility
	// writes no longer wait behind history writes (issue 12, make bench).
	visibilityStoreName = "sqlite-visibility"
	loopback            = "127.0.0.1"
)

// prepareDataDir makes sure dir exists and is writable, takes the data dir lock
// and returns the absolute path of the database file.
func prepareDataDir(dir string) (dbPath string, unlock func(), err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if strings.ContainsAny(abs, "?#%") {
		// The SQLite plugin builds a "file:<path>?<params>" URI without escaping.
		return "", nil, fmt.Errorf("data dir %s: path must not contain '?', '#' or '%%'", abs)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return "", nil, fmt.Errorf("data dir %s: not a directory", abs)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", nil, dataDirErr(abs, "cannot create directory", err)
	}
	// SQLite needs to create the -wal and -shm files next to the database.
	probe, err := os.CreateTemp(abs, ".housecall-probe-*")
	if err != nil {
		return "", nil, dataDirErr(abs, "not writable", err)
	}
	_ = probe.Close()
	_ = os.Remove(probe.Name())

	dbPath = filepath.Join(abs, DBFileName)
	if f, err := os.OpenFile(dbPath, os.O_RDWR, 0); err == nil {
		_ = f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", nil, dataDirErr(abs, "cannot open "+DBFileName+" for writing", err)
	}

	lockPath := filepath.Join(abs, "temporal.lock")
	unlock, err = lockFile(lockPath)
	if err != nil {
		if errors.Is(err, errLocked) {
			return "", nil, fmt.Errorf("data dir %s is in use by another housecall dev or Temporal server (lock %s is held)", abs, lockPath)
		}
		return "", nil, dataDirErr(abs, "cannot lock "+lockPath, err)
	}
	return dbPath, unlock, nil
}

// dataDirErr formats "data dir DIR: WHAT: CAUSE", keeping the cause wrapped.
func dataDirErr(dir, what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("data dir %s: %s: %w", dir, what, err)
}

// prepareDatabases returns the SQLite persistence config: the history store
// in dbPath and, apart from it, the visibility store (VisibilityFileName
// beside it). A data dir made before the visibility store was separate keeps
// its visibility records in its one database (they would otherwise be lost
// to the Temporal UI).
func prepareDatabases(dbPath string, o Options) (config.Persistence, error) {
	var visPath string
	if dbPath != "" {
		visPath = filepath.Join(filepath.Dir(dbPath), VisibilityFileName)
		if fi, err := os.Stat(dbPath); err == nil && fi.Size() > 0 {
			if _, err := os.Stat(visPath); errors.Is(err, fs.ErrNotExist) {
				main, err := prepareDatabase(dbPath, o, true)
				if err != nil {
					return config.Persistence{}, err
				}
				return sqlitePersistence(main, nil), nil
			}
		}
	}
	main, err := prepareDatabase(dbPath, o, true)
	if err != nil {
		return config.Persistence{}, err
	}
	vis, err := prepareDatabase(visPath, o, false)
	if err != nil {
		return config.Persistence{}, err
	}
	return sqlitePersistence(main, vis), nil
}

// prepareDatabase returns the config of one SQLite database, creating the
// schema in a new database file, and, with namespace, creates the namespace
// unless it already exists.
func prepareDatabase(dbPath string, o Options, namespace bool) (*config.SQL, error) {
	cfg := &config.SQL{PluginName: sqliteplugin.PluginName}
	where := "in-memory database"
	if o.Ephemeral {
		// The plugin keys its (never closed) connections by DSN: use a unique name.
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.DatabaseName = "housecall-dev-" + hex.EncodeToString(b[:])
		cfg.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
	} else {
		where = "database " + dbPath
		cfg.DatabaseName = dbPath
		// Every attribute other than SQLite URI parameters (mode, cache, ...) is
		// applied by the plugin as "PRAGMA key=value" on each connection.
		cfg.ConnectAttributes = map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "10000",
		}
		fi, err := os.Stat(dbPath)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Size() == 0) {
			if err := sqliteschema.SetupSchema(cfg); err != nil {
				return nil, fmt.Errorf("%s: create Temporal schema: %w (delete the file to start over)", where, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}

	if !namespace {
		return cfg, nil
	}
	if err := createNamespace(cfg, o, where); err != nil {
		return nil, err
	}
	return cfg, nil
}

// createNamespace creates o.Namespace with o.Retention and o.SearchAttributes
// in the database of cfg unless it exists (an existing namespace, and its
// retention, is left alone). The helper is the SQLite schema package's, but it
// works through the generic SQL plugin interface, so with any SQL plugin; the
// search attributes are mapped to the predefined custom search attribute
// columns that every SQL visibility schema has. where names the database in
// errors.
func createNamespace(cfg *config.SQL, o Options, where string) error {
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, o.Namespace, false, o.SearchAttributes)
	if err != nil {
		return fmt.Errorf("namespace %q: %w", o.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(o.Retention)
	if err := sqliteschema.CreateNamespaces(cfg, ns); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// sqlitePersistence is the persistence config of the SQLite databases: the
// history store, and the visibility store apart (vis nil: in the history
// store), one history shard.
func sqlitePersistence(sql, vis *config.SQL) config.Persistence {
	p := config.Persistence{
		DefaultStore:     storeName,
		VisibilityStore:  storeName,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{storeName: {SQL: sql}},
	}
	if vis != nil {
		p.VisibilityStore = visibilityStoreName
		p.DataStores[visibilityStoreName] = config.DataStore{SQL: vis}
	}
	return p
}

// Indexes into the ports slice handed to buildConfig.
const (
	portHistory = iota
	portMatching
	portWorker
	portFrontendMembership
	portHistoryMembership
	portMatchingMembership
	portWorkerMembership
	numInternalPorts
)

func buildConfig(fe, feHTTP *listenAddr, persistence config.Persistence, ports []int) *config.Config {
	frontend := fe.dialAddr()
	var c config.Config
	c.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: loopback}
	c.Persistence = persistence
	c.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend, HTTPAddress: feHTTP.dialAddr()},
		},
	}
	c.DCRedirectionPolicy.Policy = "noop"
	internal := func(grpcPort, membershipPort int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: membershipPort, BindOnIP: loopback}}
	}
	c.Services = map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{
			GRPCPort:       fe.port,
			MembershipPort: ports[portFrontendMembership],
			BindOnIP:       fe.bindIP,
			HTTPPort:       feHTTP.port,
		}},
		string(primitives.HistoryService):  internal(ports[portHistory], ports[portHistoryMembership]),
		string(primitives.MatchingService): internal(ports[portMatching], ports[portMatchingMembership]),
		string(primitives.WorkerService):   internal(ports[portWorker], ports[portWorkerMembership]),
	}
	c.Archival.History.State = "disabled"
	c.Archival.Visibility.State = "disabled"
	c.NamespaceDefaults.Archival.History.State = "disabled"
	c.NamespaceDefaults.Archival.Visibility.State = "disabled"
	c.PublicClient.HostPort = frontend
	return &c
}

// staticHosts replaces ringpop membership: every service runs in this process
// at a known address, so there is no gossip to join (faster startup).
func staticHosts(c *config.Config, fe *listenAddr) map[primitives.ServiceName]static.Hosts {
	local := func(svc primitives.ServiceName) static.Hosts {
		return static.SingleLocalHost(loopback + ":" + strconv.Itoa(c.Services[string(svc)].RPC.GRPCPort))
	}
	return map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(fe.dialAddr()),
		primitives.HistoryService:  local(primitives.HistoryService),
		primitives.MatchingService: local(primitives.MatchingService),
		primitives.WorkerService:   local(primitives.WorkerService),
	}
}

// dynamicConfig returns the server's dynamic config. Keys are referenced through
// their typed settings so a key removed from the server fails the build.
func dynamicConfig() dynamicconfig.StaticClient {
	const generous = 20000
	return dynamicconfig.StaticClient{
		// Updates: both default to true in v1.32; pinned so a default change cannot break the SOP workflows.
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		// Steps are activity tasks (workflows stepsRecorded): handed to the
		// worker with the answer to the workflow task that scheduled them.
		dynamicconfig.EnableActivityEagerExecution.Key(): true,
		// Search attributes added at start are visible immediately.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// Rate limits: defaults (frontend 2400 rps, matching 1200 rps, visibility 10 rps
		// per namespace) are tight for a ~500-workflow benchmark on one host and for the UI.
		dynamicconfig.FrontendRPS.Key():                                         generous,
		dynamicconfig.FrontendMaxNamespaceRPSPerInstance.Key():                  generous,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key():        1000,
		dynamicconfig.FrontendMaxNamespaceVisibilityBurstRatioPerInstance.Key(): 2,
		dynamicconfig.FrontendPersistenceMaxQPS.Key():                           generous,
		dynamicconfig.MatchingRPS.Key():                                         generous,
		dynamicconfig.MatchingPersistenceMaxQPS.Key():                           generous,
		dynamicconfig.HistoryRPS.Key():                                          generous,
	}
}
