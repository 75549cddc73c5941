package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// undocumentedPrefixes are routes the document leaves out on purpose.
var undocumentedPrefixes = []string{
	// Swagger UI's own files (index.html, scripts, styles) under /docs/;
	// GET /docs, the way in, is documented.
	docsPrefix,
}

// fiberParam is a path parameter in Fiber's syntax.
var fiberParam = regexp.MustCompile(`:(\w+)`)

// routeKey names a route as "METHOD /path/{param}". A trailing slash is
// dropped: the app does not route strictly, so /videos and /videos/ are
// one route, which Fiber lists as its group's "/videos/".
func routeKey(method, path string) string {
	path = fiberParam.ReplaceAllString(path, "{$1}")
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	return strings.ToUpper(method) + " " + path
}

// servedDocument fetches /openapi.json through the app and loads it.
func servedDocument(t *testing.T, e *testEnv) (*openapi3.T, *http.Response) {
	t.Helper()
	resp := e.do("GET", "/openapi.json", nil)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json: status %d, body %.200s", resp.StatusCode, raw)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load /openapi.json: %v", err)
	}
	return doc, resp
}

// servedRoutes is every route the Fiber app has, as routeKey names it,
// less HEAD twins of GET routes (Fiber adds them) and undocumentedPrefixes.
func servedRoutes(e *testEnv) map[string]bool {
	routes := e.srv.App().GetRoutes(true)
	gets := make(map[string]bool)
	for _, r := range routes {
		if r.Method == http.MethodGet {
			gets[r.Path] = true
		}
	}
	served := make(map[string]bool)
	for _, r := range routes {
		if r.Method == http.MethodHead && gets[r.Path] {
			continue
		}
		if hasAnyPrefix(r.Path, undocumentedPrefixes) {
			continue
		}
		served[routeKey(r.Method, r.Path)] = true
	}
	return served
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func TestOpenAPIDocumentsEveryRouteAndNoOther(t *testing.T) {
	e := newTestEnv(t)
	doc, _ := servedDocument(t, e)

	documented := make(map[string]bool)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[routeKey(method, path)] = true
		}
	}
	served := servedRoutes(e)
	// Routes every build has; guards against a walk that finds nothing.
	for _, must := range []string{"GET /ws", "POST /whip/streams/{streamSessionId}",
		"GET /openapi.json", "GET /docs", "DELETE /videos", "GET /admin"} {
		if !served[must] {
			t.Errorf("the router has no %s; the walk is broken", must)
		}
	}

	var missing, stale []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("routes the document lacks (annotate them, then make swagger):\n  %s",
			strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("documented routes the router does not have:\n  %s", strings.Join(stale, "\n  "))
	}
}

func TestOpenAPIDocumentIsValidOpenAPI3WithoutHost(t *testing.T) {
	e := newTestEnv(t)
	doc, resp := servedDocument(t, e)

	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI 3 document: %v", err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("servers %v, want only the relative \"/\"", doc.Servers)
	}

	want := map[string]struct{ typ, in, name, scheme string }{
		"sessionCookie": {"apiKey", "cookie", "better-auth.session_token", ""},
		"sessionBearer": {"apiKey", "header", "Authorization", ""},
		"deviceBearer":  {"apiKey", "header", "Authorization", ""},
		"adminBasic":    {"http", "", "", "basic"},
	}
	for name, w := range want {
		ref := doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			t.Errorf("security scheme %s is missing", name)
			continue
		}
		got := ref.Value
		if got.Type != w.typ || got.In != w.in || got.Name != w.name || got.Scheme != w.scheme {
			t.Errorf("security scheme %s = %s in %q name %q scheme %q, want %+v",
				name, got.Type, got.In, got.Name, got.Scheme, w)
		}
	}
}

func TestOpenAPIDocumentNamesSecurityAndErrorsOfRoutes(t *testing.T) {
	e := newTestEnv(t)
	doc, _ := servedDocument(t, e)

	cases := []struct {
		method, path string
		schemes      []string
		errorStatus  string
	}{
		{"GET", "/devices", []string{"sessionCookie", "sessionBearer"}, "401"},
		{"POST", "/commands", []string{"sessionCookie", "sessionBearer", "deviceBearer"}, "400"},
		{"POST", "/events/motion/start", []string{"deviceBearer"}, "401"},
		{"POST", "/whip/streams/{streamSessionId}", []string{"deviceBearer"}, "415"},
		{"DELETE", "/admin/object", []string{"adminBasic"}, "404"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			item := doc.Paths.Find(tc.path)
			if item == nil || item.GetOperation(tc.method) == nil {
				t.Fatalf("not documented")
			}
			op := item.GetOperation(tc.method)
			var got []string
			for _, req := range *op.Security {
				for name := range req {
					got = append(got, name)
				}
			}
			want := append([]string(nil), tc.schemes...)
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("security %v, want any of %v", got, tc.schemes)
			}
			resp := op.Responses.Value(tc.errorStatus)
			if resp == nil || resp.Value == nil {
				t.Fatalf("no %s answer documented", tc.errorStatus)
			}
			media := resp.Value.Content.Get("application/json")
			if media == nil || media.Schema == nil || !strings.HasSuffix(media.Schema.Ref, "errorBody") {
				t.Errorf("%s answer is not the JSON error body: %+v", tc.errorStatus, resp.Value.Content)
			}
		})
	}
}

func TestDocsServesSwaggerUIOnTheDocument(t *testing.T) {
	e := newTestEnv(t)

	// fiber-swagger takes its prefix from its first request; a nested
	// path first must not move it off /docs/.
	resp := e.do("GET", docsPrefix+"a/swagger-ui.css", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET %sa/swagger-ui.css: status %d, want 404", docsPrefix, resp.StatusCode)
	}

	resp = e.do("GET", "/docs", nil)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc != "docs/index.html" {
		t.Fatalf("GET /docs: status %d Location %q, want 302 to docs/index.html", resp.StatusCode, loc)
	}
	// Resolved as a browser resolves it against the page it came from.
	ref, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	page := e.opts.BaseURL.JoinPath("docs").ResolveReference(ref)
	if page.Path != docsPrefix+"index.html" {
		t.Fatalf("Location resolves to %s", page.Path)
	}

	resp = e.do("GET", page.Path, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", page.Path, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s: Content-Type %q, want text/html", page.Path, ct)
	}
	if !strings.Contains(string(body), `url: "..\/openapi.json"`) &&
		!strings.Contains(string(body), `url: "../openapi.json"`) {
		t.Errorf("Swagger UI is not pointed at ../openapi.json:\n%.2000s", body)
	}

	// The page's script and style load relative to it, from the same prefix.
	for _, asset := range []string{"swagger-ui-bundle.js", "swagger-ui.css"} {
		resp := e.do("GET", docsPrefix+asset, nil)
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n == 0 {
			t.Errorf("GET %s%s: status %d, %d bytes", docsPrefix, asset, resp.StatusCode, n)
		}
	}
}

// timeField names the schema properties that hold times: the contract
// calls them somethingAt, and storage's listing says lastModified.
var timeField = regexp.MustCompile(`^[a-z]\w*At$|^lastModified$`)

func TestOpenAPIDocumentMarksTimesAsDateTime(t *testing.T) {
	e := newTestEnv(t)
	doc, _ := servedDocument(t, e)

	found := 0
	for name, ref := range doc.Components.Schemas {
		for prop, s := range ref.Value.Properties {
			if !timeField.MatchString(prop) {
				continue
			}
			found++
			if !s.Value.Type.Is("string") || s.Value.Format != "date-time" {
				t.Errorf("%s.%s is %v format %q; want a string of format date-time "+
					"(a format:\"date-time\" tag, then make swagger)", name, prop, s.Value.Type, s.Value.Format)
			}
		}
	}
	// wire.Command alone has five; fewer means the walk found nothing.
	if found < 20 {
		t.Fatalf("only %d time properties in the document; the walk is broken", found)
	}
}
