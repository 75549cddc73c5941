package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/persistence"
)

func TestHealthAndReadiness(t *testing.T) {
	e := newTestEnv(t)
	if got := decodeAs[map[string]string](t, e.do("GET", "/healthz", nil), http.StatusOK); got["status"] != "ok" {
		t.Fatalf("healthz %v", got)
	}
	ready := decodeAs[readyResponse](t, e.do("GET", "/readyz", nil), http.StatusOK)
	if ready.Checks["database"] != "ok" {
		t.Fatalf("readyz %+v", ready)
	}
}

func TestDatabaseDownIs503NotA500(t *testing.T) {
	// Nothing listens on port 1: every query fails to connect.
	dead, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/x?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	e := newTestEnv(t, func(o *Options) {
		o.Accounts = persistence.NewAccounts(dead)
		o.Checks = []Check{{Name: "database", Check: dead.Ping}}
	})
	ready := decodeAs[readyResponse](t, e.do("GET", "/readyz", nil), http.StatusServiceUnavailable)
	if ready.Code != "NOT_READY" || ready.Checks["database"] != "down" {
		t.Fatalf("readyz %+v", ready)
	}
	resp := e.do("POST", "/api/auth/sign-in/email",
		map[string]string{"email": "a@example.com", "password": "password123"})
	expectError(t, resp, http.StatusServiceUnavailable, "DATABASE_UNAVAILABLE")
}
