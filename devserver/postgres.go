package devserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	schematool "go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// PostgreSQL persistence (Options.PostgresURL).
//
// The server uses the "postgres12_pgx" SQL plugin for two databases: the one
// named in the URL (executions, history, task queues, namespaces) and
// "<name>_visibility" (advanced SQL visibility, custom search attributes).
// Both are created if missing (the user needs CREATEDB for that, or create
// them beforehand) and their schemas are set up and updated at every start the
// way temporal-sql-tool does (setup-schema -v 0.0, then update-schema with the
// schema files embedded in the server module), so a newer server version
// migrates an existing database.
//
// NumHistoryShards is 1, as with SQLite, so a benchmark compares persistence
// alone. The shard count is stored in the database on first start and can
// never change for it.
//
// The server's plugin builds its DSN with url.QueryEscape(password), so a
// password containing a space does not work.
//
// A session-level advisory lock on the main database, held for the life of
// the Server, refuses a second housecall dev server on the same database (a
// plain Temporal server does not take it).
const (
	postgresStore            = "postgres-default"
	postgresVisibilityStore  = "postgres-visibility"
	visibilityDBSuffix       = "_visibility"
	postgresMaintenanceDB    = "postgres" // connected to for CREATE DATABASE
	postgresSchema           = "postgresql/v12/temporal"
	postgresVisibilitySchema = "postgresql/v12/visibility"
	// Connection pools are per service (frontend, history, matching, worker):
	// together at most about 4*postgresMaxConns + 3*postgresVisibilityMaxConns
	// connections (about 20 when idle); PostgreSQL allows 100 by default.
	postgresMaxConns           = 10
	postgresVisibilityMaxConns = 4
	postgresConnectTimeout     = 30 * time.Second
	// advisoryLockKey is pg_try_advisory_lock's key ("hcdevsrv").
	advisoryLockKey int64 = 0x6863646576737276
)

// PostgreSQL database names: letters, digits, '_' and '-' (the server's plugin
// puts the name in DSNs and SQL unescaped), at most 63 bytes with the suffix.
var pgDBName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// pgTarget is a parsed Options.PostgresURL.
type pgTarget struct {
	u        *url.URL          // as given; shown with u.Redacted()
	addr     string            // host:port
	user     string            // may be empty (libpq defaults apply)
	password string            // may be empty
	attrs    map[string]string // query parameters, sslmode=disable unless given
	db       string
	visDB    string
}

func parsePostgresURL(raw string) (*pgTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL and its password
		}
		return nil, fmt.Errorf("PostgreSQL URL: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("PostgreSQL URL %s: "+format, append([]any{u.Redacted()}, args...)...)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, bad("scheme must be postgres://")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, bad("missing host")
	}
	if port == "" {
		port = "5432"
	} else if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return nil, bad("invalid port %q", port)
	}
	t := &pgTarget{u: u, addr: net.JoinHostPort(host, port), attrs: map[string]string{}}
	if u.User != nil {
		t.user = u.User.Username()
		t.password, _ = u.User.Password()
	}
	t.db = u.Path
	if len(t.db) > 0 && t.db[0] == '/' {
		t.db = t.db[1:]
	}
	if t.db == "" {
		return nil, bad("missing database name (postgres://user@host:port/dbname)")
	}
	if !pgDBName.MatchString(t.db) || len(t.db)+len(visibilityDBSuffix) > 63 {
		return nil, bad("database name %q: use letters, digits, '_' and '-', at most %d characters", t.db, 63-len(visibilityDBSuffix))
	}
	t.visDB = t.db + visibilityDBSuffix
	for k, vs := range u.Query() {
		if len(vs) != 1 {
			return nil, bad("parameter %q given %d times", k, len(vs))
		}
		t.attrs[k] = vs[0]
	}
	if t.attrs["sslmode"] == "" {
		t.attrs["sslmode"] = "disable" // the plugin's default too
	}
	return t, nil
}

// sqlConfig is the server's persistence config for database db.
func (t *pgTarget) sqlConfig(db string, maxConns int) *config.SQL {
	attrs := make(map[string]string, len(t.attrs))
	for k, v := range t.attrs {
		attrs[k] = v
	}
	return &config.SQL{
		PluginName:        postgresql.PluginNamePGX,
		ConnectAddr:       t.addr,
		ConnectProtocol:   "tcp",
		User:              t.user,
		Password:          t.password,
		DatabaseName:      db,
		ConnectAttributes: attrs,
		MaxConns:          maxConns,
		MaxIdleConns:      maxConns,
		MaxConnLifetime:   time.Hour,
	}
}

// connect opens a plain pgx connection to database db (for the checks the
// server's plugin cannot report well: its pool logs connect errors and then
// only says "database unavailable").
func (t *pgTarget) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	u := &url.URL{Scheme: "postgres", Host: t.addr, Path: "/" + db}
	if t.user != "" || t.password != "" {
		u.User = url.UserPassword(t.user, t.password)
	}
	q := url.Values{}
	for k, v := range t.attrs {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// pgStore is the prepared PostgreSQL persistence.
type pgStore struct {
	persistence config.Persistence
	lock        *pgx.Conn // holds the advisory lock
}

func (p *pgStore) unlock() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.lock.Close(ctx) // ending the session releases the lock
}

// preparePostgres creates the databases if needed, takes the advisory lock,
// sets up or updates both schemas and creates the namespace unless it exists.
func preparePostgres(ctx context.Context, o Options) (_ *pgStore, err error) {
	t, err := parsePostgresURL(o.PostgresURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, postgresConnectTimeout)
	defer cancel()
	where := "PostgreSQL " + t.u.Redacted()

	for _, db := range []string{t.db, t.visDB} {
		if err := t.ensureDatabase(ctx, db); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}

	lock, err := t.connect(ctx, t.db)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	defer func() {
		if err != nil {
			_ = lock.Close(context.Background())
		}
	}()
	var locked bool
	if err := lock.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", advisoryLockKey).Scan(&locked); err != nil {
		return nil, fmt.Errorf("%s: take advisory lock: %w", where, err)
	}
	if !locked {
		return nil, fmt.Errorf("database %s on %s is in use by another housecall dev server (advisory lock %d is held)", t.db, t.addr, advisoryLockKey)
	}

	logger := newServerLogger(o.Logger, o.Debug, new(atomic.Int32))
	main := t.sqlConfig(t.db, postgresMaxConns)
	vis := t.sqlConfig(t.visDB, postgresVisibilityMaxConns)
	if err := setupSQLSchema(main, postgresSchema, logger); err != nil {
		return nil, fmt.Errorf("%s: database %s: %w", where, t.db, err)
	}
	if err := setupSQLSchema(vis, postgresVisibilitySchema, logger); err != nil {
		return nil, fmt.Errorf("%s: database %s: %w", where, t.visDB, err)
	}
	if err := createNamespace(main, o, where+", database "+t.db); err != nil {
		return nil, err
	}
	return &pgStore{
		persistence: config.Persistence{
			DefaultStore:     postgresStore,
			VisibilityStore:  postgresVisibilityStore,
			NumHistoryShards: 1,
			DataStores: map[string]config.DataStore{
				postgresStore:           {SQL: main},
				postgresVisibilityStore: {SQL: vis},
			},
		},
		lock: lock,
	}, nil
}

// ensureDatabase creates database db unless it exists.
func (t *pgTarget) ensureDatabase(ctx context.Context, db string) error {
	conn, err := t.connect(ctx, db)
	if err == nil {
		return conn.Close(ctx)
	}
	if !isPgCode(err, "3D000") { // invalid_catalog_name: no such database
		return err
	}
	admin, err := t.connect(ctx, postgresMaintenanceDB)
	if err != nil {
		return fmt.Errorf("database %s does not exist, and connecting to database %s to create it failed: %w", db, postgresMaintenanceDB, err)
	}
	defer func() { _ = admin.Close(ctx) }()
	// The name is validated by parsePostgresURL.
	if _, err := admin.Exec(ctx, `CREATE DATABASE "`+db+`"`); err != nil && !isPgCode(err, "42P04") { // duplicate_database: lost a race
		return fmt.Errorf("create database %s: %w", db, err)
	}
	return nil
}

func isPgCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// setupSQLSchema does what "temporal-sql-tool setup-schema -v 0.0" followed by
// "update-schema --schema-name name" do: create the version tables, then apply
// every embedded versioned schema change newer than the database's version.
// Both steps are no-ops on an up-to-date database.
func setupSQLSchema(cfg *config.SQL, name string, logger log.Logger) (err error) {
	defer recoverServerPanic("setting up the schema", &err) // the tasks log Fatal on bad versions
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if err := schematool.NewSetupSchemaTask(conn, &schematool.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
		return fmt.Errorf("set up schema version tables: %w", err)
	}
	if err := schematool.NewUpdateSchemaTask(conn, &schematool.UpdateConfig{SchemaName: name}, logger).Run(); err != nil {
		return fmt.Errorf("update schema %s: %w", name, err)
	}
	return nil
}
