package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api"
	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// A hash made by the real better-auth library (api/betterauth/testdata).
const betterAuthHash = "f7f63d0cc0d8882a8f5b4d1907b9dcc7:6885eb488d4a77a0911a17c176a07f6d51c49f8284c2b7fc2dd5f03d7ada77d2daeba310a319aaf0bb7f47f57a73e01ec6be6136056b6be858da44e0b5dcaeb2"

func TestBackfillLetsLegacyUsersSignIn(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.New(t)
	legacyBcrypt, _ := bcrypt.GenerateFromPassword([]byte("legacy-pass-1"), bcrypt.MinCost)
	for _, row := range [][2]string{
		{"old-bcrypt@example.com", string(legacyBcrypt)},
		{"old-scrypt@example.com", betterAuthHash},
		{"broken@example.com", "md5:0123"},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO "user" (id, name, email, "passwordHash")
			VALUES (gen_random_uuid()::text, 'Old', $1, $2)`, row[0], row[1]); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	acc := persistence.NewAccounts(pool)

	res, err := runBackfill(ctx, log, acc)
	if err != nil {
		t.Fatal(err)
	}
	if res != (backfillResult{created: 2, skipped: 1}) {
		t.Fatalf("first run %+v", res)
	}
	res, err = runBackfill(ctx, log, acc)
	if err != nil {
		t.Fatal(err)
	}
	if res != (backfillResult{skipped: 1}) {
		t.Fatalf("second run %+v, want only the unreadable hash left", res)
	}

	base, _ := url.Parse("http://vigil.test")
	devices := persistence.NewDevices(pool)
	commands, events := persistence.NewCommands(pool), persistence.NewEvents(pool)
	system := actors.New(actors.Config{Store: devices, Commands: commands, Events: events,
		Logger: log})
	defer system.Shutdown()
	srv, err := api.New(api.Options{Logger: log, Accounts: acc, Hasher: betterauth.NewHasher(0),
		Devices: devices, Actors: system, Commands: commands, Events: events,
		Secret: strings.Repeat("s", 32), BaseURL: base, AuthRateLimit: 100,
		AuthRateWindow: time.Minute, SessionLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(email, password string) int {
		req := httptest.NewRequest("POST", "/api/auth/sign-in/email", strings.NewReader(
			`{"email":"`+email+`","password":"`+password+`"}`))
		resp, err := srv.App().Test(req, 30_000)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := signIn("old-scrypt@example.com", "12345678"); s != http.StatusOK {
		t.Fatalf("Better Auth hash sign-in: %d", s)
	}
	if s := signIn("old-bcrypt@example.com", "legacy-pass-1"); s != http.StatusOK {
		t.Fatalf("bcrypt sign-in: %d", s)
	}
	var upgraded string
	pool.QueryRow(ctx, `SELECT a.password FROM account a JOIN "user" u ON u.id = a."userId"
		WHERE u.email = 'old-bcrypt@example.com'`).Scan(&upgraded)
	if betterauth.NeedsRehash(upgraded) || !betterauth.IsKnownFormat(upgraded) {
		t.Fatalf("bcrypt hash not upgraded to scrypt: %q", upgraded)
	}
	if s := signIn("old-bcrypt@example.com", "legacy-pass-1"); s != http.StatusOK {
		t.Fatalf("sign-in after upgrade: %d", s)
	}
	if s := signIn("broken@example.com", "anything1"); s != http.StatusUnauthorized {
		t.Fatalf("user without a credential account: %d", s)
	}
}

func TestCreateMigrationNumbersAfterTheNewest(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	if _, err := createMigration(dir, "first_step", now); err != nil {
		t.Fatal(err)
	}
	if _, err := createMigration(dir, "second_step", now); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"00001_first_step.sql", "00002_second_step.sql"} {
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "-- +goose Up") || !strings.Contains(string(body), "-- +goose Down") {
			t.Fatalf("%s lacks goose markers:\n%s", name, body)
		}
	}
	if _, err := createMigration(dir, "Bad Name", now); err == nil {
		t.Fatal("accepted a name with spaces")
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestCreateMigrationRefusesRepeatsAndMissingFolder(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	if _, err := createMigration(dir, "add_things", now); err != nil {
		t.Fatal(err)
	}
	if _, err := createMigration(dir, "add_things", now); err == nil {
		t.Fatal("created a second add_things")
	}
	if _, err := createMigration(filepath.Join(dir, "missing"), "x", now); err == nil ||
		!strings.Contains(err.Error(), "repository root") {
		t.Fatalf("missing folder: %v", err)
	}
}
