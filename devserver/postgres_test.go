package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
)

// testPostgresEnv names the URL of a PostgreSQL server (any database, a user
// allowed to create databases) for TestPostgres; "off" skips it.
const testPostgresEnv = "DEVSERVER_TEST_POSTGRES_URL"

const defaultTestPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// testPostgresURL returns the URL of a fresh database housecall_devpg_<random>
// on the test PostgreSQL server; it and its visibility database are dropped
// at cleanup.
func testPostgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv(testPostgresEnv)
	if base == "off" {
		t.Skipf("%s=off", testPostgresEnv)
	}
	if base == "" {
		base = defaultTestPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL for this test (%s, or set %s; \"off\" skips): %v", base, testPostgresEnv, err)
	}
	_ = admin.Close(ctx)

	var b [6]byte
	_, _ = rand.Read(b[:])
	db := "housecall_devpg_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test databases: %v", err)
			return
		}
		defer admin.Close(ctx)
		for _, name := range []string{db, db + visibilityDBSuffix} {
			if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	return u.String()
}

// queryPostgres runs a one-row, one-column query in database db of rawURL.
func queryPostgres(t *testing.T, rawURL, db, query string, args []any, dest any) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatalf("connect to %s: %v", db, err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, query, args...).Scan(dest); err != nil {
		t.Fatalf("%s in %s: %v", query, db, err)
	}
}

func TestPostgresSurvivesRestart(t *testing.T) {
	pgURL := testPostgresURL(t)
	db := strings.TrimPrefix(mustParseURL(t, pgURL).Path, "/")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	logs := newTestLogs(t)
	const retention = 48 * time.Hour
	opts := Options{
		PostgresURL:      pgURL,
		FrontendAddr:     "127.0.0.1:0",
		Namespace:        "housecall-pg",
		Retention:        retention,
		SearchAttributes: map[string]enums.IndexedValueType{requestIDAttr: enums.INDEXED_VALUE_TYPE_KEYWORD},
		Logger:           logs.zap(),
	}

	s1 := startServer(t, ctx, opts)

	// Both schemas are at the versions of the server's embedded schema files.
	var ver string
	queryPostgres(t, pgURL, db, "SELECT curr_version FROM schema_version", nil, &ver)
	if ver != pgschema.Version {
		t.Errorf("schema version of %s = %q, want %q", db, ver, pgschema.Version)
	}
	queryPostgres(t, pgURL, db+visibilityDBSuffix, "SELECT curr_version FROM schema_version", nil, &ver)
	if ver != pgschema.VisibilityVersion {
		t.Errorf("schema version of %s%s = %q, want %q", db, visibilityDBSuffix, ver, pgschema.VisibilityVersion)
	}

	// A second server on the same database is refused while the first runs.
	if s, err := Start(ctx, Options{PostgresURL: pgURL, FrontendAddr: "127.0.0.1:0"}); err == nil {
		_ = s.Stop()
		t.Fatal("second Start on a database in use succeeded")
	} else if !strings.Contains(err.Error(), "in use by another housecall dev server") {
		t.Fatalf("second Start on a database in use: unexpected error %v", err)
	}

	c1 := dial(t, s1, logs)
	w1 := startWorker(t, c1)

	// A workflow with the search attribute and an update runs to completion.
	doneID := completeRequestWorkflow(t, ctx, c1, "request-pg-done", "r-pg", 3)
	query := requestIDAttr + ` = "r-pg" AND ExecutionStatus = "Completed"`
	waitForList(t, ctx, c1, query, doneID)

	// Another one is left waiting for its signal across the restart.
	running, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "request-pg-running", TaskQueue: taskQueue}, requestWF)
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	waitForWorkflowTask(t, ctx, c1, running.GetID())
	w1.Stop()
	c1.Close()
	if err := s1.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// The state is in PostgreSQL, not in some SQLite file.
	var n int
	queryPostgres(t, pgURL, db+visibilityDBSuffix,
		"SELECT count(*) FROM executions_visibility WHERE workflow_id = $1 AND search_attributes::text LIKE '%\"r-pg\"%'", []any{doneID}, &n)
	if n != 1 {
		t.Errorf("executions_visibility rows for %s with search attribute value r-pg: %d, want 1", doneID, n)
	}
	queryPostgres(t, pgURL, db, "SELECT count(*) FROM executions", nil, &n)
	if n < 2 {
		t.Errorf("executions rows: %d, want at least 2", n)
	}

	// Restart on the same databases, now also asking for a new search attribute.
	opts.SearchAttributes = restartAttributes()
	s2 := startServer(t, ctx, opts)
	c2 := dial(t, s2, logs)

	waitForList(t, ctx, c2, query, doneID)
	var out string
	if err := c2.GetWorkflow(ctx, doneID, "").Get(ctx, &out); err != nil || out != "ok/3" {
		t.Fatalf("completed workflow after restart: result %q, %v; want ok/3", out, err)
	}
	signalToCompletion(t, ctx, c2, running.GetID(), running.GetRunID())

	checkRestartedNamespace(t, ctx, c2, s2.Namespace(), retention)
}

// waitForList waits until the visibility query finds exactly the workflow id.
// completeRequestWorkflow runs requestWF under id with the custom search
// attribute set to attr: one update adding add, then the done signal, and
// checks its result. It returns the workflow id.
func completeRequestWorkflow(t *testing.T, ctx context.Context, c client.Client, id, attr string, add int) string {
	t.Helper()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(requestIDAttr).ValueSet(attr)),
	}, requestWF)
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   run.GetID(),
		UpdateName:   addUpdate,
		Args:         []any{add},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		t.Fatalf("UpdateWorkflow: %v", err)
	}
	var total int
	if err := h.Get(ctx, &total); err != nil || total != add {
		t.Fatalf("update result = %d, %v; want %d", total, err, add)
	}
	if err := c.SignalWorkflow(ctx, run.GetID(), "", doneSignal, "ok"); err != nil {
		t.Fatalf("SignalWorkflow: %v", err)
	}
	var out string
	if want := fmt.Sprintf("ok/%d", add); run.Get(ctx, &out) != nil || out != want {
		t.Fatalf("workflow result = %q; want %s", out, want)
	}
	return run.GetID()
}

func waitForList(t *testing.T, ctx context.Context, c client.Client, query, id string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("ListWorkflow %q: %v", query, err)
		}
		ex := resp.GetExecutions()
		if len(ex) == 1 && ex[0].GetExecution().GetWorkflowId() == id {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ListWorkflow %q found %d executions, want %s", query, len(ex), id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mustParseURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPostgresURLAndOptions(t *testing.T) {
	pt, err := parsePostgresURL("postgres://bob:s%40cret@db.example:6543/hc?application_name=hc")
	if err != nil {
		t.Fatal(err)
	}
	main := pt.sqlConfig(pt.db, 3)
	if main.ConnectAddr != "db.example:6543" || main.User != "bob" || main.Password != "s@cret" ||
		main.DatabaseName != "hc" || pt.visDB != "hc_visibility" || main.PluginName != "postgres12_pgx" ||
		main.ConnectAttributes["sslmode"] != "disable" || main.ConnectAttributes["application_name"] != "hc" {
		t.Fatalf("parsed config: %+v, visibility db %q", main, pt.visDB)
	}
	if pt, err := parsePostgresURL("postgresql://127.0.0.1/hc?sslmode=require"); err != nil || pt.addr != "127.0.0.1:5432" || pt.attrs["sslmode"] != "require" {
		t.Fatalf("default port, sslmode: %+v, %v", pt, err)
	}
	for raw, want := range map[string]string{
		"mysql://u@h/db":                            "scheme must be postgres://",
		"postgres://u@h":                            "missing database name",
		"postgres://u@h/a/b":                        "database name \"a/b\"",
		"postgres://u@h/x;drop":                     "database name",
		"postgres://u@h:99999/db":                   "invalid port",
		"postgres://u:pw@h:x/db":                    "invalid port",
		"postgres://u@/db":                          "missing host",
		"postgres://u:pw@h/db?a=1&a=2":              "parameter \"a\" given 2 times",
		"postgres://u@h/" + strings.Repeat("d", 53): "at most 52 characters",
	} {
		_, err := parsePostgresURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsePostgresURL(%q): error %v, want %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("parsePostgresURL(%q): error shows the password: %v", raw, err)
		}
	}
	o := Options{Ephemeral: true, PostgresURL: "postgres://u@h/db"}
	if err := o.normalize(); err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Errorf("Ephemeral with PostgresURL: %v", err)
	}
	o = Options{PostgresURL: "postgres://u@h/db"}
	if err := o.normalize(); err != nil {
		t.Errorf("PostgresURL without DataDir: %v", err)
	}

	// Nothing listens on port 1: a clear connection error, quickly.
	began := time.Now()
	_, err = Start(context.Background(), Options{PostgresURL: "postgres://u@127.0.0.1:1/db", FrontendAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL postgres://u@127.0.0.1:1/db") || !strings.Contains(err.Error(), "connect") {
		t.Errorf("unreachable PostgreSQL: %v", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("unreachable PostgreSQL took %v", d)
	}
}
