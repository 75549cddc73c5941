package api

import (
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/public"
)

func TestSimulatorFilesAreServedWithTheirTypesAndRevalidated(t *testing.T) {
	e := newTestEnv(t)
	entries, err := fs.ReadDir(public.FS, "sim")
	if err != nil {
		t.Fatal(err)
	}
	// The page and its modules; a listing that found nothing proves nothing.
	for _, must := range []string{"mobile-sim.html", "main.js", "sim.css"} {
		if _, err := fs.Stat(public.FS, "sim/"+must); err != nil {
			t.Fatalf("public/sim lacks %s: %v", must, err)
		}
	}
	wantType := map[string]string{".html": "text/html", ".js": "text/javascript", ".css": "text/css"}

	for _, entry := range entries {
		name := entry.Name()
		t.Run(name, func(t *testing.T) {
			want, err := fs.ReadFile(public.FS, "sim/"+name)
			if err != nil {
				t.Fatal(err)
			}
			resp := e.do("GET", "/sim/"+name, nil)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != string(want) {
				t.Fatalf("status %d, %d bytes; want 200 with the %d embedded", resp.StatusCode, len(body), len(want))
			}
			ext := name[strings.LastIndex(name, "."):]
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType[ext]) || wantType[ext] == "" {
				t.Errorf("Content-Type %q for %s", ct, name)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", cc)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if (ext == ".html") != strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy %q on %s", csp, name)
			}

			etag := resp.Header.Get("ETag")
			if !strings.HasPrefix(etag, `"`) {
				t.Fatalf("ETag %q, want a strong one", etag)
			}
			again := e.do("GET", "/sim/"+name, nil, "If-None-Match", `"other", W/`+etag)
			again.Body.Close()
			if again.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation with the ETag: status %d, want 304", again.StatusCode)
			}
			stale := e.do("GET", "/sim/"+name, nil, "If-None-Match", `"other"`)
			stale.Body.Close()
			if stale.StatusCode != http.StatusOK {
				t.Errorf("revalidation with another ETag: status %d, want 200", stale.StatusCode)
			}
		})
	}
}

func TestSimulatorRefusesUnknownFilesAndRedirectsItsFolder(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/sim/nope.js", "/sim/..%2fadmin.html", "/sim/sim", "/sim/a/main.js"} {
		expectError(t, e.do("GET", path, nil), http.StatusNotFound, "NOT_FOUND")
	}
	for path, want := range map[string]string{"/sim": "sim/mobile-sim.html", "/sim/": "mobile-sim.html"} {
		resp := e.do("GET", path, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Errorf("GET %s: status %d, Location %q; want 302 to %s",
				path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	// No session is needed, and a signed-in browser's cookie changes nothing.
	u := e.signUp("sim@example.com")
	resp := e.do("GET", "/sim/mobile-sim.html", nil, "Cookie", u.Cookie)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with a session cookie: status %d", resp.StatusCode)
	}
}

// If-None-Match comes from clients: any header is answered without a
// panic, the file's own tag anywhere in a list matches, and a list
// without it or "*" does not.
func FuzzETagMatches(f *testing.F) {
	for _, seed := range []string{``, `*`, `"a", W/"b"`, `W/`, `,,`, `"x`, ` "a" ,"b"`} {
		f.Add(seed)
	}
	const etag = `"tag-of-the-file"`
	f.Fuzz(func(t *testing.T, header string) {
		got := etagMatches(header, etag)
		if !etagMatches(header+", "+etag, etag) || !etagMatches(etag+","+header, etag) {
			t.Fatalf("the file's tag next to %q does not match", header)
		}
		if !strings.Contains(header, "*") && !strings.Contains(header, etag) && got {
			t.Fatalf("%q matches without the file's tag or *", header)
		}
	})
}
