// Package storetest gives each test a fresh, migrated PostgreSQL database of
// its own on the real server, and drops it afterwards.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/housecall/housecall/store"
)

// AdminURL is the server tests create their databases on; override with
// HOUSECALL_TEST_DATABASE_URL. `make test` starts PostgreSQL first.
func AdminURL() string {
	if u := os.Getenv("HOUSECALL_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// New creates a migrated database for t and returns its store and URL.
func New(t testing.TB) (*store.Store, string) {
	t.Helper()
	return NewOn(t, AdminURL())
}

// NewOn is New on the server of adminURL (a throwaway Cluster's).
func NewOn(t testing.TB, adminURL string) (*store.Store, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url, drop, err := CreateOn(ctx, adminURL, "housecall_test_")
	if err != nil {
		t.Fatalf("test database: %v (is PostgreSQL running? `make setup` starts it)", err)
	}
	t.Cleanup(drop)
	if _, err := store.Migrate(ctx, url, nil); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st, url
}

// Create makes an empty database with a random name and returns its URL and
// a function that drops it.
func Create(ctx context.Context) (url string, drop func(), err error) {
	return CreateOn(ctx, AdminURL(), "housecall_test_")
}

// CreateOn makes an empty database named prefix + random on the server of
// adminURL. drop removes it, and its "_visibility" twin if the embedded
// Temporal server made one beside it.
func CreateOn(ctx context.Context, adminURL, prefix string) (url string, drop func(), err error) {
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", nil, fmt.Errorf("connect %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	userinfo := cfg.User
	if cfg.Password != "" {
		userinfo += ":" + cfg.Password
	}
	url = fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", userinfo, cfg.Host, cfg.Port, name)
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		for _, n := range []string{name, name + "_visibility"} {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
		}
	}
	return url, drop, nil
}
