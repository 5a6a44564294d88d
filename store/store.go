// Package store keeps housecall's business records in PostgreSQL (pgx/v5):
// requests, engineers and their calendars, the SOP timeline, the log of
// events received, service records and the notifications outbox. Schema
// changes are versioned migrations (tern) embedded in the binary.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL database of housecall.
type Store struct {
	Pool *pgxpool.Pool

	// deadlocks counts the booking transactions PostgreSQL broke as
	// deadlocks (see BookingDeadlocks).
	deadlocks atomic.Int64
}

// BookingDeadlocks is how many booking transactions PostgreSQL broke as
// deadlocks since Open (each tried again, up to five times in all).
// Bookings of one engineer take a lock on the engineer first, so it stays 0;
// the tests hold it to that. PostgreSQL's own log records each one too.
func (s *Store) BookingDeadlocks() int64 { return s.deadlocks.Load() }

// Open connects to the database at url and checks it answers.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database.url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", redact(url), err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database %s does not answer: %w", redact(url), err)
	}
	return &Store{Pool: pool}, nil
}

// Close releases the connections.
func (s *Store) Close() { s.Pool.Close() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

// EnsureDatabase creates the database named in url if it does not exist,
// connecting to the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, dbURL string) (created bool, err error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return false, fmt.Errorf("database.url: %w", err)
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return false, nil
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return false, fmt.Errorf("connect to PostgreSQL at %s:%d to create database %q: %w", cfg.Host, cfg.Port, name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return false, fmt.Errorf("look for database %q: %w", name, err)
	}
	if exists {
		return false, nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile
			return false, nil
		}
		return false, fmt.Errorf("create database %q: %w", name, err)
	}
	return true, nil
}

// Migrate applies the pending migrations and returns the schema version.
// Concurrent callers are serialised by tern's advisory lock.
func Migrate(ctx context.Context, dbURL string, progress func(seq int32, name string)) (int32, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, fmt.Errorf("database %s: %w", redact(dbURL), err)
	}
	defer conn.Close(ctx)
	m, err := migrate.NewMigrator(ctx, conn, "housecall_schema_version")
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if err := m.LoadMigrations(mustSub(migrations, "migrations")); err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	if progress != nil {
		m.OnStart = func(seq int32, name, _, _ string) { progress(seq, name) }
	}
	if err := m.Migrate(ctx); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return m.GetCurrentVersion(ctx)
}

// redact hides the password of a database URL for messages.
func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return dbURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return strings.Replace(u.String(), "xxxxx", "***", 1)
}

// Redact hides the password of a database URL for logs and messages.
func Redact(dbURL string) string { return redact(dbURL) }

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

func mustSub(f embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
