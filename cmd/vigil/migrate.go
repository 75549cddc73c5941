package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/vigil-oss/vigil/cmd/vigil/config"
	"github.com/vigil-oss/vigil/persistence"
)

func migrate(ctx context.Context, args []string) error {
	if len(args) == 2 && args[0] == "create" {
		path, err := createMigration("migrations", args[1], time.Now())
		if err == nil {
			fmt.Println("created", path)
		}
		return err
	}
	if len(args) != 1 {
		return errUsage
	}
	cfg, err := config.Load(".env")
	if err != nil {
		return err
	}
	pool, err := persistence.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := persistence.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()

	switch args[0] {
	case "up":
		applied, err := m.Up(ctx)
		for _, v := range applied {
			fmt.Printf("applied %05d\n", v)
		}
		if err == nil && len(applied) == 0 {
			fmt.Println("schema is up to date")
		}
		return err
	case "down":
		v, err := m.Down(ctx)
		if err == nil {
			fmt.Printf("rolled back %05d\n", v)
		}
		return err
	case "status":
		return m.PrintStatus(ctx, os.Stdout)
	}
	return errUsage
}

var migrationName = regexp.MustCompile(`^[a-z0-9_]{1,60}$`)

// createMigration writes the next numbered migration into dir, the source
// tree's migrations folder: migrations are embedded at build time, so a new
// one takes effect once the binary is rebuilt.
func createMigration(dir, name string, now time.Time) (string, error) {
	if !migrationName.MatchString(name) {
		return "", fmt.Errorf("migration name %q: use lower-case letters, digits and _", name)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("no %s folder here: run `vigil migrate create` from the repository root", dir)
	}
	existing, err := filepath.Glob(filepath.Join(dir, "[0-9][0-9][0-9][0-9][0-9]_*.sql"))
	if err != nil {
		return "", err
	}
	next := 1
	for _, f := range existing {
		var n int
		base := filepath.Base(f)
		if base[6:] == name+".sql" {
			return "", fmt.Errorf("migration %s already exists", base)
		}
		if _, err := fmt.Sscanf(base, "%05d_", &n); err == nil && n >= next {
			next = n + 1
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("%05d_%s.sql", next, name))
	body := fmt.Sprintf("-- %s, created %s.\n\n-- +goose Up\n\n-- +goose Down\n",
		name, now.UTC().Format(time.DateOnly))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("create migration: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(body); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}
