package api

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/api/betterauth"
)

func TestSignUpSignInGetSessionSignOut(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("Ann@Example.com")
	if u.Email != "ann@example.com" {
		t.Fatalf("email stored as %q, want it lower-cased", u.Email)
	}

	resp := e.do("POST", "/api/auth/sign-in/email",
		map[string]any{"email": "ANN@example.com", "password": "password123"})
	if got := resp.Header.Get("set-auth-token"); got == "" {
		t.Fatal("sign-in sent no set-auth-token header")
	}
	cookie := cookieOf(t, resp)
	in := decodeAs[signInResponse](t, resp, http.StatusOK)
	if in.User.ID != u.ID || in.Token == "" || in.Token == u.Token {
		t.Fatalf("sign-in answered %+v", in)
	}

	got := decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil, "Cookie", cookie),
		http.StatusOK)
	if got.User.ID != u.ID || got.Session.Token != in.Token || got.Session.UserID != u.ID {
		t.Fatalf("get-session answered %+v", got)
	}

	resp = e.do("POST", "/api/auth/sign-out", nil, "Cookie", cookie, "Origin", "http://vigil.test")
	out := decodeAs[map[string]bool](t, resp, http.StatusOK)
	if !out["success"] {
		t.Fatalf("sign-out answered %v", out)
	}
	expectClearedCookies(t, resp)
	expectNoSession(t, e.do("GET", "/api/auth/get-session", nil, "Cookie", cookie))

	// The first session, from sign-up, is still live.
	decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil, u.bearer()...), http.StatusOK)
}

func expectNoSession(t *testing.T, resp *http.Response) {
	t.Helper()
	if v := decodeAs[*sessionResponse](t, resp, http.StatusOK); v != nil {
		t.Fatalf("got session %+v, want null", v)
	}
}

func TestSessionCookieIsBetterAuths(t *testing.T) {
	e := newTestEnv(t)
	resp := e.do("POST", "/api/auth/sign-up/email",
		map[string]string{"name": "Bo", "email": "bo@example.com", "password": "password123"})
	out := decodeAs[signUpResponse](t, resp, http.StatusOK)
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name != betterauth.SessionCookie {
			continue
		}
		found = true
		if c.Value != betterauth.SignedValue(out.Token, testSecret) {
			t.Errorf("cookie value %q is not the signed token", c.Value)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Errorf("cookie attributes %+v", c)
		}
		if c.MaxAge < int((7*24*time.Hour).Seconds())-5 {
			t.Errorf("max-age %d, want about 7 days", c.MaxAge)
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
}

func TestSessionCookieMaxAgeIsTheWholeLifetime(t *testing.T) {
	// A clock that stands still: whatever the request takes, Better Auth
	// would answer Max-Age=604800 for a fresh week-long session.
	frozen := time.Now()
	e := newTestEnv(t, func(o *Options) { o.Now = func() time.Time { return frozen } })
	resp := e.do("POST", "/api/auth/sign-up/email",
		map[string]string{"name": "Max", "email": "max@example.com", "password": "password123"})
	for _, c := range resp.Cookies() {
		if c.Name == betterauth.SessionCookie {
			if c.MaxAge != 604800 {
				t.Fatalf("Max-Age %d, want 604800", c.MaxAge)
			}
			return
		}
	}
	t.Fatalf("no session cookie in %v", resp.Header.Values("Set-Cookie"))
}

func TestSecureBaseURLUsesSecurePrefixedCookie(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.BaseURL.Scheme = "https" })
	resp := e.do("POST", "/api/auth/sign-up/email",
		map[string]string{"name": "Cy", "email": "cy@example.com", "password": "password123"})
	for _, c := range resp.Cookies() {
		if c.Name == "__Secure-"+betterauth.SessionCookie && c.Secure {
			return
		}
	}
	t.Fatalf("no Secure __Secure- cookie in %v", resp.Header.Values("Set-Cookie"))
}

func TestSignInRejectsBadCredentialsAlike(t *testing.T) {
	e := newTestEnv(t)
	e.signUp("dee@example.com")
	for name, body := range map[string]map[string]string{
		"wrong password": {"email": "dee@example.com", "password": "password124"},
		"unknown email":  {"email": "nobody@example.com", "password": "password123"},
	} {
		t.Run(name, func(t *testing.T) {
			expectError(t, e.do("POST", "/api/auth/sign-in/email", body),
				http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
		})
	}
}

func TestSignUpValidationAnswersBetterAuthsCodes(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		name string
		body any
		code string
	}{
		{"short password", map[string]string{"name": "A", "email": "a@x.io", "password": "1234567"}, "PASSWORD_TOO_SHORT"},
		{"long password", map[string]string{"name": "A", "email": "a@x.io", "password": strings.Repeat("p", 129)}, "PASSWORD_TOO_LONG"},
		// Better Auth's schema refuses these with VALIDATION_ERROR before it
		// looks at password length.
		{"bad email", map[string]string{"name": "A", "email": "not-an-email", "password": "password123"}, "VALIDATION_ERROR"},
		{"display-name email", map[string]string{"name": "A", "email": "A <a@x.io>", "password": "password123"}, "VALIDATION_ERROR"},
		{"no email", map[string]string{"name": "A", "password": "password123"}, "VALIDATION_ERROR"},
		{"bad email, short password", map[string]string{"name": "A", "email": "x", "password": "1"}, "VALIDATION_ERROR"},
		{"no name", map[string]string{"email": "a@x.io", "password": "password123"}, "VALIDATION_ERROR"},
		{"huge name", map[string]string{"name": strings.Repeat("n", 201), "email": "a@x.io", "password": "password123"}, "VALIDATION_ERROR"},
		{"empty password", map[string]string{"name": "A", "email": "a@x.io", "password": ""}, "VALIDATION_ERROR"},
		{"no password", map[string]string{"name": "A", "email": "a@x.io"}, "VALIDATION_ERROR"},
		{"wrong type", `{"name":"A","email":"a@x.io","password":12345678}`, "VALIDATION_ERROR"},
		{"broken json", `{"name":`, "VALIDATION_ERROR"},
		{"array body", `[]`, "VALIDATION_ERROR"},
		{"empty body", ``, "VALIDATION_ERROR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := expectError(t, e.do("POST", "/api/auth/sign-up/email", tc.body),
				http.StatusBadRequest, tc.code)
			if tc.name == "wrong type" && !strings.Contains(body.Message, "password") {
				t.Fatalf("message %q does not name the field", body.Message)
			}
		})
	}
}

func TestDuplicateEmailInAnotherCaseIsRefused(t *testing.T) {
	e := newTestEnv(t)
	e.signUp("eve@example.com")
	resp := e.do("POST", "/api/auth/sign-up/email",
		map[string]string{"name": "Eve", "email": "EVE@Example.COM", "password": "password123"})
	// Better Auth 1.7's code for a taken email.
	expectError(t, resp, http.StatusUnprocessableEntity, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
}

func TestConcurrentSignUpsWithOneEmailCreateOneUser(t *testing.T) {
	e := newTestEnv(t)
	const n = 10
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "fay@example.com"
			if i%2 == 1 {
				email = "FAY@example.com"
			}
			resp := e.do("POST", "/api/auth/sign-up/email",
				map[string]string{"name": "Fay", "email": email, "password": "password123"})
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusUnprocessableEntity] != n-1 {
		t.Fatalf("statuses %v, want one 200 and %d 422", count, n-1)
	}
	var users int
	if err := e.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM "user" WHERE lower(email) = 'fay@example.com'`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 1 {
		t.Fatalf("%d users stored", users)
	}
}

func TestTamperedCookieIsNoSession(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("gus@example.com")
	name, value, _ := strings.Cut(u.Cookie, "=")
	// Change the first character to another one; "A" alone would leave a
	// token that starts with "A" (one in 62) unchanged.
	other := "A"
	if value[0] == 'A' {
		other = "B"
	}
	for label, v := range map[string]string{
		"other token":      other + value[1:],
		"no signature":     u.Token,
		"other secret":     betterauth.SignedValue(u.Token, testSecret+"x"),
		"garbage":          "%%%.",
		"signature as tok": "." + value,
	} {
		t.Run(label, func(t *testing.T) {
			expectNoSession(t, e.do("GET", "/api/auth/get-session", nil, "Cookie", name+"="+v))
		})
	}
}

func TestExpiredSessionIsGoneAndDeleted(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("hal@example.com")
	e.advance(7*24*time.Hour + time.Minute)
	expectNoSession(t, e.do("GET", "/api/auth/get-session", nil, "Cookie", u.Cookie))
	var n int
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM "session"`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d sessions left after expiry", n)
	}
}

func TestSessionSlidesForwardAfterUpdateAge(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("ivy@example.com")
	first := decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil, "Cookie", u.Cookie),
		http.StatusOK)

	e.advance(2 * 24 * time.Hour)
	resp := e.do("GET", "/api/auth/get-session", nil, "Cookie", u.Cookie)
	if len(resp.Cookies()) == 0 {
		t.Fatal("refresh did not re-issue the cookie")
	}
	later := decodeAs[sessionResponse](t, resp, http.StatusOK)
	if d := later.Session.ExpiresAt.Sub(first.Session.ExpiresAt); d < 47*time.Hour {
		t.Fatalf("expiry moved by %v, want about 2 days", d)
	}

	// Six more days from the first sign-in would have expired it unrefreshed.
	e.advance(6 * 24 * time.Hour)
	decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil, "Cookie", u.Cookie),
		http.StatusOK)
}

func TestSignInWithoutRememberMeLastsADayAndDoesNotSlide(t *testing.T) {
	e := newTestEnv(t)
	e.signUp("jo@example.com")
	resp := e.do("POST", "/api/auth/sign-in/email",
		map[string]any{"email": "jo@example.com", "password": "password123", "rememberMe": false})
	var cookies []string
	for _, c := range resp.Cookies() {
		if c.MaxAge != 0 || !c.Expires.IsZero() {
			t.Errorf("cookie %s is persistent; want a browser-session cookie", c.Name)
		}
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	in := decodeAs[signInResponse](t, resp, http.StatusOK)
	jar := strings.Join(cookies, "; ")
	s := decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil, "Cookie", jar), http.StatusOK)
	if d := time.Until(s.Session.ExpiresAt); d > 25*time.Hour {
		t.Fatalf("session %s lasts %v, want a day", in.Token, d)
	}
	e.advance(23 * time.Hour)
	decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil, "Cookie", jar), http.StatusOK)
	e.advance(2 * time.Hour)
	expectNoSession(t, e.do("GET", "/api/auth/get-session", nil, "Cookie", jar))
}

func TestBearerSessionToken(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("kim@example.com")
	signed := betterauth.SignedValue(u.Token, testSecret)
	for label, header := range map[string]string{
		"raw token":      "Bearer " + u.Token,
		"signed token":   "Bearer " + signed,
		"lower-case":     "bearer " + u.Token,
		"set-auth-token": "Bearer " + signed,
	} {
		t.Run(label, func(t *testing.T) {
			s := decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil,
				"Authorization", header), http.StatusOK)
			if s.User.ID != u.ID {
				t.Fatalf("user %s", s.User.ID)
			}
		})
	}
	expectNoSession(t, e.do("GET", "/api/auth/get-session", nil, "Authorization", "Bearer nope"))
	expectNoSession(t, e.do("GET", "/api/auth/get-session", nil,
		"Authorization", "Bearer "+betterauth.SignedValue(u.Token, "wrong-secret")))

	// A bearer request needs no Origin: no browser attaches it by itself.
	decodeAs[map[string]bool](t, e.do("POST", "/api/auth/sign-out", nil, u.bearer()...), http.StatusOK)
	expectNoSession(t, e.do("GET", "/api/auth/get-session", nil, u.bearer()...))
}

func TestCookieRequestsThatChangeStateNeedATrustedOrigin(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"untrusted origin", []string{"Origin", "http://evil.test"}, http.StatusForbidden, "INVALID_ORIGIN"},
		{"untrusted referer", []string{"Referer", "http://evil.test/page"}, http.StatusForbidden, "INVALID_ORIGIN"},
		{"no origin", nil, http.StatusForbidden, "MISSING_ORIGIN"},
		{"base url origin", []string{"Origin", "http://vigil.test"}, http.StatusOK, ""},
		{"trusted origin", []string{"Origin", "http://app.test"}, http.StatusOK, ""},
		{"same host", []string{"Origin", "http://example.com"}, http.StatusOK, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := e.signUp(strings.ReplaceAll(tc.name, " ", "-") + "@example.com")
			// httptest.NewRequest sends Host: example.com.
			resp := e.do("POST", "/api/auth/sign-out", nil, append([]string{"Cookie", u.Cookie}, tc.headers...)...)
			if tc.code != "" {
				expectError(t, resp, tc.status, tc.code)
				decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil, "Cookie", u.Cookie),
					http.StatusOK)
				return
			}
			decodeAs[map[string]bool](t, resp, tc.status)
		})
	}
	// Without a cookie an untrusted Origin is refused too: it would be a
	// login CSRF.
	resp := e.do("POST", "/api/auth/sign-in/email",
		map[string]string{"email": "x@example.com", "password": "password123"}, "Origin", "http://evil.test")
	expectError(t, resp, http.StatusForbidden, "INVALID_ORIGIN")
}

func TestSignInIsRateLimitedPerAddress(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.AuthRateLimit = 3 })
	body := map[string]string{"email": "lee@example.com", "password": "password123"}
	for i := range 3 {
		// A forged X-Forwarded-For from an untrusted peer changes nothing.
		resp := e.do("POST", "/api/auth/sign-in/email", body, "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		expectError(t, resp, http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	}
	resp := e.do("POST", "/api/auth/sign-in/email", body, "X-Forwarded-For", "198.51.100.7")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	expectError(t, resp, http.StatusTooManyRequests, "RATE_LIMITED")

	// Sign-up keeps its own budget.
	e.signUp("lee@example.com")
}

func TestRateLimitBelievesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	// app.Test's in-memory connection comes from 0.0.0.0.
	e := newTestEnv(t, func(o *Options) {
		o.AuthRateLimit = 2
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}
	})
	body := map[string]string{"email": "max@example.com", "password": "password123"}
	send := func(xff string) *http.Response {
		return e.do("POST", "/api/auth/sign-in/email", body, "X-Forwarded-For", xff)
	}
	// Each client behind the proxy has its own budget.
	for _, client := range []string{"203.0.113.1", "203.0.113.2"} {
		for range 2 {
			expectError(t, send(client), http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
		}
		expectError(t, send(client), http.StatusTooManyRequests, "RATE_LIMITED")
	}
	// A client that prepends a forged hop is still known by the hop the
	// proxy appended.
	expectError(t, send("198.51.100.9, 203.0.113.1"), http.StatusTooManyRequests, "RATE_LIMITED")
}

func TestOversizedBodyIs413AndTheNextRequestWorks(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.BodyLimit = 1024 })
	base := e.listen()
	big := `{"name":"` + strings.Repeat("x", 4096) + `"}`
	resp, err := http.Post(base+"/api/auth/sign-up/email", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	expectError(t, resp, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")

	resp, err = http.Post(base+"/api/auth/sign-up/email", "application/json",
		strings.NewReader(`{"name":"Ned","email":"ned@example.com","password":"password123"}`))
	if err != nil {
		t.Fatal(err)
	}
	decodeAs[signUpResponse](t, resp, http.StatusOK)
}

func TestUnknownRouteIsContractError(t *testing.T) {
	e := newTestEnv(t)
	expectError(t, e.do("GET", "/no/such/route", nil), http.StatusNotFound, "NOT_FOUND")
}

func TestSignOutWithoutSessionSucceedsAndClearsCookies(t *testing.T) {
	e := newTestEnv(t)
	resp := e.do("POST", "/api/auth/sign-out", nil)
	if out := decodeAs[map[string]bool](t, resp, http.StatusOK); !out["success"] {
		t.Fatalf("sign-out answered %v, want success as Better Auth does", out)
	}
	expectClearedCookies(t, resp)
}

// expectClearedCookies checks that resp deletes every cookie Better Auth
// clears on sign-out, its cookie cache (session_data) included.
func expectClearedCookies(t *testing.T, resp *http.Response) {
	t.Helper()
	cleared := map[string]bool{}
	for _, c := range resp.Cookies() {
		if c.Value == "" && (c.MaxAge < 0 || !c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			cleared[c.Name] = true
		}
	}
	for _, name := range []string{betterauth.SessionCookie, betterauth.SessionDataCookie,
		betterauth.DontRememberCookie} {
		if !cleared[name] {
			t.Errorf("%s not cleared: %v", name, resp.Header.Values("Set-Cookie"))
		}
	}
}

func TestSignInValidationAnswersBetterAuthsCodes(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("val@example.com")
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no email", map[string]string{"password": "password123"}, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"no password", map[string]string{"email": u.Email}, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"null password", `{"email":"val@example.com","password":null}`, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"array body", `[]`, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"malformed email", map[string]string{"email": "nope", "password": "password123"},
			http.StatusBadRequest, "INVALID_EMAIL"},
		{"long password", map[string]string{"email": u.Email, "password": strings.Repeat("p", 129)},
			http.StatusBadRequest, "PASSWORD_TOO_LONG"},
		{"empty password", map[string]string{"email": u.Email, "password": ""},
			http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, e.do("POST", "/api/auth/sign-in/email", tc.body), tc.status, tc.code)
		})
	}
}

func TestTextThatPostgresRefusesIsAClientError(t *testing.T) {
	e := newTestEnv(t)
	// JSON escapes: raw control bytes are already invalid JSON, and the
	// decoder turns invalid UTF-8 into U+FFFD.
	for label, name := range map[string]string{"NUL": `a\u0000b`, "control": `a\u0007b`,
		"zero-width only": `\u200b\u200b`} {
		t.Run(label, func(t *testing.T) {
			body := `{"name":"` + name + `","email":"nul@example.com","password":"password123"}`
			expectError(t, e.do("POST", "/api/auth/sign-up/email", body), http.StatusBadRequest, "VALIDATION_ERROR")
		})
	}
	u := e.signUp("ua@example.com")
	for _, bearer := range []string{"ab\xff\xfecd", "ab\x00cd", strings.Repeat("t", 300)} {
		expectNoSession(t, e.do("GET", "/api/auth/get-session", nil, "Authorization", "Bearer "+bearer))
	}
	resp := e.do("POST", "/api/auth/sign-in/email",
		map[string]string{"email": u.Email, "password": "password123"}, "User-Agent", "x\x00y\xffz")
	in := decodeAs[signInResponse](t, resp, http.StatusOK)
	s := decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil,
		"Authorization", "Bearer "+in.Token), http.StatusOK)
	if s.Session.UserAgent != "xyz" {
		t.Fatalf("stored user agent %q, want the control bytes and bad UTF-8 dropped", s.Session.UserAgent)
	}
}

func TestEmailLimits(t *testing.T) {
	for _, email := range []string{strings.Repeat("a", 65) + "@example.com", "a@[127.0.0.1]", "a@localhost"} {
		if _, ok := normalizeEmail(email); ok {
			t.Errorf("%q accepted", email)
		}
	}
}

func TestAnotherAuthorizationSchemeLeavesTheCookieInForce(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("basic@example.com")
	decodeAs[sessionResponse](t, e.do("GET", "/api/auth/get-session", nil,
		"Cookie", u.Cookie, "Authorization", "Basic dXNlcjpwYXNz"), http.StatusOK)
}

func TestForwardedForOnSeveralLinesIsReadFromTheRight(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.AuthRateLimit = 2
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}
	})
	body := map[string]string{"email": "lines@example.com", "password": "password123"}
	for i := range 3 {
		// The client's own line varies; the proxy's line names it.
		resp := e.do("POST", "/api/auth/sign-in/email", body,
			"X-Forwarded-For", fmt.Sprintf("10.9.9.%d", i), "X-Forwarded-For", "203.0.113.7")
		want := http.StatusUnauthorized
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d", i, resp.StatusCode, want)
		}
	}
}

func TestWildcardAndAppSchemeOrigins(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.TrustedOrigins = []string{"https://*.example.org", "myapp://"}
	})
	for origin, want := range map[string]int{
		"https://cams.example.org":   http.StatusOK,
		"myapp://localhost":          http.StatusOK,
		"https://example.org":        http.StatusForbidden,
		"https://example.com":        http.StatusOK, // the request's own host
		"javascript://example.com":   http.StatusForbidden,
		"http://example.com/x":       http.StatusForbidden,
		"https://evil.example.org.x": http.StatusForbidden,
	} {
		u := e.signUp(fmt.Sprintf("o%d@example.com", len(origin)) + strings.NewReplacer(":", "", "/", "").Replace(origin))
		resp := e.do("POST", "/api/auth/sign-out", nil, "Cookie", u.Cookie, "Origin", origin)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("origin %s: status %d, want %d", origin, resp.StatusCode, want)
		}
	}
}

func TestWrongMethodIs405(t *testing.T) {
	e := newTestEnv(t)
	expectError(t, e.do("PUT", "/api/auth/sign-in/email", nil), http.StatusMethodNotAllowed,
		"METHOD_NOT_ALLOWED")
}
