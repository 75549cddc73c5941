package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

func TestServeRefusesABehindSchemaUnlessAutoMigrate(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.NewUnmigrated(t)
	log := discardLogger()

	err := ensureSchema(ctx, log, pool, false)
	if !errors.Is(err, persistence.ErrSchemaBehind) {
		t.Fatalf("got %v, want ErrSchemaBehind", err)
	}
	if err := ensureSchema(ctx, log, pool, true); err != nil {
		t.Fatalf("auto-migrate: %v", err)
	}
	if err := ensureSchema(ctx, log, pool, false); err != nil {
		t.Fatalf("after migrating: %v", err)
	}
}

func TestMigrateDownAndUpAgain(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	m, err := persistence.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	v, err := m.Down(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckCurrent(ctx); !errors.Is(err, persistence.ErrSchemaBehind) {
		t.Fatalf("after rolling back %d: %v", v, err)
	}
	applied, err := m.Up(ctx)
	if err != nil || len(applied) != 1 || applied[0] != v {
		t.Fatalf("up again applied %v, %v; want [%d]", applied, err, v)
	}
}

func TestRollingBackTheAccountTablesIsRefused(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	m, err := persistence.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for {
		v, err := m.Down(ctx)
		if err != nil {
			if v != 0 || !strings.Contains(err.Error(), "refusing to drop") {
				t.Fatalf("rollback stopped with %v at %d", err, v)
			}
			break
		}
		if v == 1 {
			t.Fatal("migration 1 was rolled back")
		}
	}
	var users int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM "user"`).Scan(&users); err != nil {
		t.Fatalf("user table gone: %v", err)
	}
}

func TestMigrateDownWithNothingApplied(t *testing.T) {
	pool, _ := pgtest.NewUnmigrated(t)
	m, err := persistence.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Down(context.Background()); !errors.Is(err, persistence.ErrNothingToRollBack) {
		t.Fatalf("got %v", err)
	}
}
