// Package s3test gives each test its own bucket on a real S3-compatible
// server (versitygw under `make test`), so tests run in parallel without
// seeing each other's objects. There is no fake.
//
// The server comes from VIGIL_TEST_S3_ENDPOINT ("host:port"),
// VIGIL_TEST_S3_ACCESS_KEY and VIGIL_TEST_S3_SECRET_KEY; `make test` starts
// versitygw and sets them. When VIGIL_TEST_S3_ENDPOINT is unset the test is
// skipped, so a focused `go test ./api/...` works without a server, unless
// VIGIL_TEST_STRICT is set (as `make test` does): then it fails.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// Config returns the test server's settings with a fresh bucket name, or
// skips (fails under VIGIL_TEST_STRICT) when no server is configured.
func Config(t testing.TB) objectstore.Config {
	t.Helper()
	endpoint := os.Getenv("VIGIL_TEST_S3_ENDPOINT")
	if endpoint == "" {
		const msg = "VIGIL_TEST_S3_ENDPOINT is unset: run `make test`, or " +
			"`eval \"$(scripts/versitygw.sh)\"` and set VIGIL_TEST_S3_*"
		if os.Getenv("VIGIL_TEST_STRICT") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	host, portText, err := net.SplitHostPort(endpoint)
	if err != nil {
		t.Fatalf("VIGIL_TEST_S3_ENDPOINT %q must be host:port: %v", endpoint, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatalf("VIGIL_TEST_S3_ENDPOINT %q: port: %v", endpoint, err)
	}
	var b [6]byte
	rand.Read(b[:])
	return objectstore.Config{
		Endpoint:  host,
		Port:      port,
		AccessKey: os.Getenv("VIGIL_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("VIGIL_TEST_S3_SECRET_KEY"),
		Bucket:    "vigil-test-" + hex.EncodeToString(b[:]),
		Region:    "us-east-1",
	}
}

// New makes a store on a fresh bucket, created now and removed with its
// objects when the test ends. mutate adjusts the settings first.
func New(t testing.TB, mutate ...func(*objectstore.Config)) *objectstore.Store {
	t.Helper()
	cfg := Config(t)
	for _, m := range mutate {
		m(&cfg)
	}
	store, err := objectstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.EnsureBucket(ctx); err != nil {
		t.Fatalf("create test bucket on %s: %v", cfg.Endpoint, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.RemoveBucket(ctx); err != nil {
			t.Errorf("remove test bucket: %v", err)
		}
	})
	return store
}

// Get fetches a URL, a presigned download as a phone would, and returns
// the status and body.
func Get(t testing.TB, rawURL string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}
