// Package pgtest gives each test its own freshly migrated Postgres
// database, so tests run in parallel against a real server without seeing
// each other's rows.
//
// It connects with VIGIL_TEST_DATABASE_URL (default: the machine's Postgres
// on 127.0.0.1:5432), creates a database per test and drops it afterwards.
// `make test` starts a Postgres and sets the variable; there is no fake.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/persistence"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the connection string tests use to create databases.
func AdminURL() string {
	if u := os.Getenv("VIGIL_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultURL
}

// New creates an empty database, migrates it and returns a pool on it with
// its connection string. Both are dropped when the test ends.
func New(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	pool, dbURL := NewUnmigrated(t)
	m, err := persistence.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return pool, dbURL
}

// NewUnmigrated is New without the migrations.
func NewUnmigrated(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("connect to test Postgres (set VIGIL_TEST_DATABASE_URL or run `make test`): %v", err)
	}
	defer admin.Close(ctx)

	var b [6]byte
	rand.Read(b[:])
	name := "vigil_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	dbURL := u.String()

	pool, err := persistence.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return pool, dbURL
}
