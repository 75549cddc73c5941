package main

import (
	"context"
	"errors"
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
