package storetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a throwaway PostgreSQL server of a test's own (initdb and
// pg_ctl on a free port), which the test may stop and start again to play
// a database outage.
type Cluster struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	// asPostgres runs the server as the postgres OS user (initdb refuses root).
	asPostgres bool
}

// NewCluster initialises and starts a cluster for t; it is stopped and
// removed when t ends. The test is skipped where PostgreSQL's server
// binaries are not installed.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := os.Getenv("HOUSECALL_PG_BIN")
	if bin == "" {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
		if len(matches) == 0 {
			t.Skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin); set HOUSECALL_PG_BIN")
		}
		bin = filepath.Dir(matches[len(matches)-1])
	}
	root, err := os.MkdirTemp("", "housecall-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, bin: bin, dir: filepath.Join(root, "data"), port: freePort(t), asPostgres: os.Geteuid() == 0}
	t.Cleanup(func() {
		_ = c.pgctl("stop", "-m", "immediate")
		_ = os.RemoveAll(root)
	})
	if err := os.Mkdir(c.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if c.asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		_ = os.Chmod(root, 0o755)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.Start()
	return c
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	if c.asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	cmd.Dir = "/"
	return cmd.CombinedOutput()
}

func (c *Cluster) pgctl(args ...string) error {
	out, err := c.run(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.dir, "-w", "-t", "60"}, args...)...)
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %w\n%s", args, err, out)
	}
	return nil
}

// AdminURL is the cluster's postgres database.
func (c *Cluster) AdminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server (again) and waits until it takes connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=200", c.port)
	if err := c.pgctl("start", "-o", opts, "-l", filepath.Join(c.dir, "server.log")); err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.AdminURL())
		if err == nil {
			conn.Close(ctx)
			return
		}
		if ctx.Err() != nil {
			c.t.Fatalf("cluster on port %d did not start: %v", c.port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server at once (connections cut, as in a crash).
func (c *Cluster) Stop() {
	c.t.Helper()
	if err := c.pgctl("stop", "-m", "immediate"); err != nil {
		c.t.Fatal(err)
	}
}
