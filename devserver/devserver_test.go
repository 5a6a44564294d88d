package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const (
	taskQueue      = "devserver-test"
	requestWF      = "TestRequest"
	doneSignal     = "done"
	addUpdate      = "add"
	requestIDAttr  = "HousecallRequestID"
	techniciansAtt = "HousecallTechnicians"
)

// requestWorkflow accepts "add" updates and completes with the running total
// plus the value of the "done" signal.
func requestWorkflow(ctx workflow.Context) (string, error) {
	total := 0
	if err := workflow.SetUpdateHandler(ctx, addUpdate, func(ctx workflow.Context, n int) (int, error) {
		total += n
		return total, nil
	}); err != nil {
		return "", err
	}
	var v string
	workflow.GetSignalChannel(ctx, doneSignal).Receive(ctx, &v)
	return fmt.Sprintf("%s/%d", v, total), nil
}

// testLogs collects server and SDK logs; they are printed only if the test fails
// (logging through t after the test ends would panic, and the server's
// background goroutines may still log while stopping).
type testLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func newTestLogs(t *testing.T) *testLogs {
	l := &testLogs{}
	t.Cleanup(func() {
		if t.Failed() {
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Logf("logs:\n%s", l.buf.String())
		}
	})
	return l
}

func (l *testLogs) zap() *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(l), zapcore.DebugLevel))
}

func (l *testLogs) sdk() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

func startServer(t *testing.T, ctx context.Context, o Options) *Server {
	t.Helper()
	began := time.Now()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %v (frontend %s, UI %q)", time.Since(began).Round(time.Millisecond), s.FrontendAddr(), s.UIURL())
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func dial(t *testing.T, s *Server, logs *testLogs) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.FrontendAddr(), Namespace: s.Namespace(), Logger: logs.sdk()})
	if err != nil {
		t.Fatalf("dial %s: %v", s.FrontendAddr(), err)
	}
	t.Cleanup(c.Close)
	return c
}

func startWorker(t *testing.T, c client.Client) worker.Worker {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(requestWorkflow, workflow.RegisterOptions{Name: requestWF})
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)
	return w
}

func customSearchAttributes(t *testing.T, ctx context.Context, c client.Client, ns string) map[string]enums.IndexedValueType {
	t.Helper()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	return resp.GetCustomAttributes()
}

func TestEphemeralRunsWorkflowAndServesUI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logs := newTestLogs(t)
	s := startServer(t, ctx, Options{
		Ephemeral:        true,
		FrontendAddr:     "127.0.0.1:0",
		UIAddr:           "127.0.0.1:0",
		Namespace:        "housecall-test",
		SearchAttributes: map[string]enums.IndexedValueType{requestIDAttr: enums.INDEXED_VALUE_TYPE_KEYWORD},
		Logger:           logs.zap(),
	})
	if strings.HasSuffix(s.FrontendAddr(), ":0") || !strings.HasPrefix(s.UIURL(), "http://127.0.0.1:") || strings.HasSuffix(s.UIURL(), ":0") {
		t.Fatalf("addresses not resolved: frontend %q, UI %q", s.FrontendAddr(), s.UIURL())
	}
	if s.Namespace() != "housecall-test" {
		t.Fatalf("Namespace() = %q", s.Namespace())
	}
	c := dial(t, s, logs)
	startWorker(t, c)

	// Search attribute registered on the namespace.
	if got := customSearchAttributes(t, ctx, c, s.Namespace())[requestIDAttr]; got != enums.INDEXED_VALUE_TYPE_KEYWORD {
		t.Fatalf("custom search attribute %s has type %v, want Keyword", requestIDAttr, got)
	}

	// A workflow with that search attribute runs to completion; an update works;
	// visibility answers a query on the custom search attribute.
	id := completeRequestWorkflow(t, ctx, c, "request-1", "r-1", 2)
	waitForList(t, ctx, c, requestIDAttr+` = "r-1" AND ExecutionStatus = "Completed"`, id)

	// The Web UI serves its HTML.
	resp, err := http.Get(s.UIURL())
	if err != nil {
		t.Fatalf("GET %s: %v", s.UIURL(), err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(strings.ToLower(string(body)), "<html") {
		t.Fatalf("GET %s: status %d, content type %q, body %.200q", s.UIURL(), resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	// The frontend HTTP API answers too.
	nsURL := "http://" + s.HTTPAddr() + "/api/v1/namespaces/" + s.Namespace()
	resp, err = http.Get(nsURL)
	if err != nil {
		t.Fatalf("GET %s: %v", nsURL, err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"housecall-test"`) {
		t.Fatalf("GET %s: status %d, body %.200q", nsURL, resp.StatusCode, body)
	}

	// Stop is idempotent and closes both listeners.
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	for _, addr := range []string{s.FrontendAddr(), s.HTTPAddr(), strings.TrimPrefix(s.UIURL(), "http://")} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = conn.Close()
			t.Errorf("%s still accepts connections after Stop", addr)
		}
	}
}

func TestFileModeSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	logs := newTestLogs(t)
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet: Start creates it
	opts := Options{
		DataDir:          dir,
		FrontendAddr:     "127.0.0.1:0",
		Namespace:        "housecall-file",
		SearchAttributes: map[string]enums.IndexedValueType{requestIDAttr: enums.INDEXED_VALUE_TYPE_KEYWORD},
		Logger:           logs.zap(),
	}

	s1 := startServer(t, ctx, opts)
	if _, err := os.Stat(filepath.Join(dir, DBFileName+"-wal")); err != nil {
		t.Errorf("WAL journal not in use: %v", err)
	}
	// Visibility records live in a database of their own (one connection
	// each: visibility writes do not queue behind history writes).
	if _, err := os.Stat(filepath.Join(dir, VisibilityFileName)); err != nil {
		t.Errorf("no separate visibility database: %v", err)
	}

	// A second server on the same data dir is refused while the first runs.
	if s, err := Start(ctx, Options{DataDir: dir, FrontendAddr: "127.0.0.1:0"}); err == nil {
		_ = s.Stop()
		t.Fatal("second Start on a data dir in use succeeded")
	} else if !strings.Contains(err.Error(), "is in use by another") {
		t.Fatalf("second Start on a data dir in use: unexpected error %v", err)
	}

	c1 := dial(t, s1, logs)
	w1 := startWorker(t, c1)
	run, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "request-restart", TaskQueue: taskQueue}, requestWF)
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	waitForWorkflowTask(t, ctx, c1, run.GetID())
	w1.Stop()
	c1.Close()
	if err := s1.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// Restart on the same dir and namespace, now also asking for a new search attribute.
	opts.SearchAttributes = restartAttributes()
	s2 := startServer(t, ctx, opts)
	c2 := dial(t, s2, logs)
	// The visibility records written before the restart are still listed.
	if resp, err := c2.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: s2.Namespace(), Query: "WorkflowId = 'request-restart'"}); err != nil || len(resp.GetExecutions()) != 1 {
		t.Fatalf("visibility after restart: %v, %d executions", err, len(resp.GetExecutions()))
	}
	signalToCompletion(t, ctx, c2, run.GetID(), run.GetRunID())

	checkRestartedNamespace(t, ctx, c2, s2.Namespace(), DefaultRetention)

	// A conflicting type for an existing search attribute is a clear error.
	if err := s2.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	opts.SearchAttributes = map[string]enums.IndexedValueType{requestIDAttr: enums.INDEXED_VALUE_TYPE_INT}
	if s, err := Start(ctx, opts); err == nil {
		_ = s.Stop()
		t.Fatal("Start with a conflicting search attribute type succeeded")
	} else if !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("conflicting search attribute: unexpected error %v", err)
	}
}

// TestFileModeSurvivesProcessRestart starts the workflow in a child process
// (whose exit closes every SQLite connection), then resumes it in this one.
func TestFileModeSurvivesProcessRestart(t *testing.T) {
	if dir := os.Getenv("DEVSERVER_TEST_CHILD_DIR"); dir != "" {
		childStartWorkflow(t, dir)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFileModeSurvivesProcessRestart$", "-test.v")
	cmd.Env = append(os.Environ(), "DEVSERVER_TEST_CHILD_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}

	logs := newTestLogs(t)
	s := startServer(t, ctx, Options{DataDir: dir, FrontendAddr: "127.0.0.1:0", Logger: logs.zap()})
	c := dial(t, s, logs)
	signalToCompletion(t, ctx, c, "request-process", "")
}

func childStartWorkflow(t *testing.T, dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logs := newTestLogs(t)
	s := startServer(t, ctx, Options{DataDir: dir, FrontendAddr: "127.0.0.1:0", Logger: logs.zap()})
	c := dial(t, s, logs)
	w := startWorker(t, c)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "request-process", TaskQueue: taskQueue}, requestWF)
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	waitForWorkflowTask(t, ctx, c, run.GetID())
	w.Stop()
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// waitForWorkflowTask waits until the workflow's first task completed, i.e. the
// workflow is really blocked on the signal rather than merely scheduled.
func waitForWorkflowTask(t *testing.T, ctx context.Context, c client.Client, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		iter := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				t.Fatalf("history of %s: %v", id, err)
			}
			if ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s: no workflow task completed within 30s", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signalToCompletion checks the workflow is still running, then signals it and
// waits for its result with a fresh worker.
func signalToCompletion(t *testing.T, ctx context.Context, c client.Client, id, runID string) {
	t.Helper()
	desc, err := c.DescribeWorkflowExecution(ctx, id, runID)
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution %s after restart: %v", id, err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("workflow %s after restart: status %v, want Running", id, st)
	}
	startWorker(t, c)
	if err := c.SignalWorkflow(ctx, id, runID, doneSignal, "resumed"); err != nil {
		t.Fatalf("SignalWorkflow: %v", err)
	}
	var out string
	if err := c.GetWorkflow(ctx, id, runID).Get(ctx, &out); err != nil || out != "resumed/0" {
		t.Fatalf("workflow result = %q, %v; want resumed/0", out, err)
	}
}

func TestBusyAddressesAndBadDataDir(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().String()

	_, err = Start(ctx, Options{Ephemeral: true, FrontendAddr: busy})
	want := "frontend address " + busy + " is in use: another Temporal server or housecall dev is running?"
	if err == nil || err.Error() != want {
		t.Fatalf("busy frontend port: got error %v, want %q", err, want)
	}

	_, err = Start(ctx, Options{Ephemeral: true, FrontendAddr: "127.0.0.1:0", UIAddr: busy})
	if err == nil || !strings.Contains(err.Error(), "UI address "+busy+" is in use") {
		t.Fatalf("busy UI port: got error %v", err)
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Start(ctx, Options{DataDir: file, FrontendAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "data dir "+file+": not a directory") {
		t.Fatalf("data dir is a file: got error %v", err)
	}
	_, err = Start(ctx, Options{DataDir: filepath.Join(file, "sub"), FrontendAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "data dir "+filepath.Join(file, "sub")+": cannot create directory") {
		t.Fatalf("data dir under a file: got error %v", err)
	}

	_, err = Start(ctx, Options{FrontendAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "data dir is required") {
		t.Fatalf("no data dir: got error %v", err)
	}
	_, err = Start(ctx, Options{Ephemeral: true, FrontendAddr: "example.com:7233"})
	if err == nil || !strings.Contains(err.Error(), "host must be an IP address") {
		t.Fatalf("host name: got error %v", err)
	}
}

// TestServerFatalWhileStartingIsAnError takes an internal service's port after
// it was picked: the server logs Fatal, which must not exit the process.
func TestServerFatalWhileStartingIsAnError(t *testing.T) {
	logs := newTestLogs(t)
	busy, err := net.Listen("tcp", loopback+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	o := Options{Ephemeral: true, FrontendAddr: "127.0.0.1:0", Logger: logs.zap()}
	if err := o.normalize(); err != nil {
		t.Fatal(err)
	}
	fe, err := resolveListenAddr("frontend", o.FrontendAddr)
	if err != nil {
		t.Fatal(err)
	}
	persistence, err := prepareDatabases("", o)
	if err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(loopback, numInternalPorts+1)
	if err != nil {
		t.Fatal(err)
	}
	ports[portHistory] = busyPort
	cfg := buildConfig(fe, &listenAddr{bindIP: loopback, port: ports[numInternalPorts]}, persistence, ports[:numInternalPorts])
	s := &Server{opts: o, phase: new(atomic.Int32)}
	opts, err := s.serverOptions(cfg, fe)
	if err != nil {
		t.Fatal(err)
	}
	err = s.startTemporal(opts)
	if err == nil {
		_ = s.Stop()
		t.Fatal("server started with its history port taken")
	}
	t.Logf("error: %v", err)
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), fmt.Sprint(busyPort)) {
		t.Fatalf("error does not name the busy port %d: %v", busyPort, err)
	}
}

// restartAttributes are the search attributes a restarted server is asked
// for: the first one again and a new one.
func restartAttributes() map[string]enums.IndexedValueType {
	return map[string]enums.IndexedValueType{
		requestIDAttr:  enums.INDEXED_VALUE_TYPE_KEYWORD,
		techniciansAtt: enums.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	}
}

// checkRestartedNamespace checks that a restarted server kept the namespace's
// retention and registered restartAttributes.
func checkRestartedNamespace(t *testing.T, ctx context.Context, c client.Client, namespace string, retention time.Duration) {
	t.Helper()
	attrs := customSearchAttributes(t, ctx, c, namespace)
	if attrs[requestIDAttr] != enums.INDEXED_VALUE_TYPE_KEYWORD || attrs[techniciansAtt] != enums.INDEXED_VALUE_TYPE_KEYWORD_LIST {
		t.Fatalf("search attributes after restart: %v", attrs)
	}
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		t.Fatalf("DescribeNamespace: %v", err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != retention {
		t.Fatalf("namespace retention = %v, want %v", got, retention)
	}
}

// A data dir made before the visibility store was separate keeps its
// visibility records where they are (in its one database); a new one gets
// the two databases.
func TestVisibilityStoreLayout(t *testing.T) {
	o := Options{DataDir: t.TempDir(), FrontendAddr: "127.0.0.1:0", Namespace: "layout", Logger: newTestLogs(t).zap()}
	if err := o.normalize(); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), DBFileName)
	if _, err := prepareDatabase(old, o, true); err != nil { // the layout before
		t.Fatal(err)
	}
	p, err := prepareDatabases(old, o)
	if err != nil {
		t.Fatal(err)
	}
	if p.VisibilityStore != storeName || len(p.DataStores) != 1 {
		t.Fatalf("an existing single database was split: visibility store %q, %d stores", p.VisibilityStore, len(p.DataStores))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(old), VisibilityFileName)); err == nil {
		t.Fatal("a visibility database was made beside an existing single database")
	}

	fresh := filepath.Join(t.TempDir(), DBFileName)
	if p, err = prepareDatabases(fresh, o); err != nil {
		t.Fatal(err)
	}
	if p.VisibilityStore != visibilityStoreName || p.DataStores[visibilityStoreName].SQL.DatabaseName != filepath.Join(filepath.Dir(fresh), VisibilityFileName) {
		t.Fatalf("a new data dir: %+v", p)
	}
}
