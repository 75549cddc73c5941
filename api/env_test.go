package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

const testSecret = "test-secret-0123456789abcdef0123456789"

// testEnv is a Server on its own migrated database, driven in memory
// through Fiber's app.Test.
type testEnv struct {
	t    testing.TB
	srv  *Server
	pool *pgxpool.Pool
	opts Options

	mu     sync.Mutex
	offset time.Duration // added to the server's clock
}

// newTestEnv builds a server; mutate adjusts its options first.
func newTestEnv(t testing.TB, mutate ...func(*Options)) *testEnv {
	return newTestEnvWith(t, nil, mutate...)
}

// newTestEnvWith builds a server whose actor system config change adjusts
// first (to give it an SFU, say).
func newTestEnvWith(t testing.TB, change func(*actors.Config), mutate ...func(*Options)) *testEnv {
	t.Helper()
	pool, _ := pgtest.New(t)
	e := &testEnv{t: t, pool: pool}
	base, _ := url.Parse("http://vigil.test")
	discard := testLogger()
	devices := persistence.NewDevices(pool)
	commands, events := persistence.NewCommands(pool), persistence.NewEvents(pool)
	streams := persistence.NewStreams(pool)
	acfg := actors.Config{Store: devices, Commands: commands, Events: events, Streams: streams,
		Logger: discard, Now: e.now}
	if change != nil {
		change(&acfg)
	}
	system := actors.New(acfg)
	t.Cleanup(system.Shutdown)
	e.opts = Options{
		Logger:          discard,
		Accounts:        persistence.NewAccounts(pool),
		Videos:          persistence.NewVideos(pool),
		Hasher:          betterauth.NewHasher(0),
		Secret:          testSecret,
		BaseURL:         base,
		TrustedOrigins:  []string{"http://app.test"},
		AuthRateLimit:   1000,
		AuthRateWindow:  time.Minute,
		SessionLifetime: 7 * 24 * time.Hour,
		Checks:          []Check{{Name: "database", Check: pool.Ping}},
		Now:             e.now,
		Devices:         devices,
		Actors:          system,
		Commands:        commands,
		Events:          events,
		Streams:         streams,
	}
	for _, m := range mutate {
		m(&e.opts)
	}
	srv, err := New(e.opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
}

func (e *testEnv) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Now().Add(e.offset)
}

// advance moves the server's clock forward.
func (e *testEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.offset += d
	e.mu.Unlock()
}

// do sends a request; body is JSON-encoded unless it is a string or
// []byte. headers come in name, value pairs.
func (e *testEnv) do(method, path string, body any, headers ...string) *http.Response {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := e.srv.App().Test(req, 30_000)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// decodeAs reads a JSON answer into T, failing on a status other than want.
func decodeAs[T any](t testing.TB, resp *http.Response, want int) T {
	t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, want, raw)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// expectError checks that resp is the contract's error with status and code.
func expectError(t *testing.T, resp *http.Response, status int, code string) errorBody {
	t.Helper()
	body := decodeAs[errorBody](t, resp, status)
	if body.Code != code || body.Message == "" {
		t.Fatalf("error %+v, want code %s with a message", body, code)
	}
	return body
}

// cookieOf returns the session cookie a response set, as "name=value".
func cookieOf(t testing.TB, resp *http.Response) string {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == betterauth.SessionCookie && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("no session cookie in %v", resp.Header.Values("Set-Cookie"))
	return ""
}

// user is a signed-up account as tests use it.
type user struct {
	ID     string
	Email  string
	Token  string // session token, for Authorization: Bearer
	Cookie string // "better-auth.session_token=..."
}

// bearer returns the Authorization header pair for u's session.
func (u user) bearer() []string { return []string{"Authorization", "Bearer " + u.Token} }

// signUp creates an account and returns its first session.
func (e *testEnv) signUp(email string) user {
	e.t.Helper()
	resp := e.do("POST", "/api/auth/sign-up/email",
		map[string]string{"name": "Test User", "email": email, "password": "password123"})
	cookie := cookieOf(e.t, resp)
	out := decodeAs[signUpResponse](e.t, resp, http.StatusOK)
	return user{ID: out.User.ID, Email: out.User.Email, Token: out.Token, Cookie: cookie}
}

// listen serves the app on a loopback port for tests that need a real
// connection, and returns its base URL.
func (e *testEnv) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go e.srv.Serve(ln)
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

// testLogger discards logs unless VIGIL_TEST_LOG is set, for debugging.
func testLogger() *slog.Logger {
	if os.Getenv("VIGIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
