package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestAdminIsOffWithoutCredentials(t *testing.T) {
	for _, creds := range [][2]string{{"", ""}, {"admin", ""}, {"", "secret"}} {
		e := newTestEnv(t, func(o *Options) { o.AdminUsername, o.AdminPassword = creds[0], creds[1] })
		for _, path := range []string{"/admin", "/admin/objects"} {
			expectError(t, e.do("GET", path, nil, "Authorization", basicAuth(":", "")),
				http.StatusNotFound, "ADMIN_DISABLED")
		}
	}
}

func TestAdminBasicAuth(t *testing.T) {
	e, _ := newStorageEnv(t)
	cases := []struct {
		name   string
		header string
		status int
	}{
		{"none", "", 401},
		{"wrong password", basicAuth(testAdminUser, "pass:with"), 401},
		{"password prefix", basicAuth(testAdminUser, testAdminPass+":"), 401},
		{"user in other case", basicAuth("Admin", testAdminPass), 401},
		{"extra colon after user", basicAuth(testAdminUser+":", testAdminPass), 401},
		{"not base64", "Basic !!!", 401},
		{"bearer", "Bearer " + testAdminPass, 401},
		{"right", basicAuth(testAdminUser, testAdminPass), 200},
		{"scheme in lower case",
			"basic " + strings.TrimPrefix(basicAuth(testAdminUser, testAdminPass), "Basic "), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do("GET", "/admin", nil, "Authorization", tc.header)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 401 {
				if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
					t.Fatalf("401 without a Basic challenge: %v", resp.Header)
				}
				expectError(t, resp, 401, "UNAUTHORIZED")
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("dashboard content type %q", ct)
			}
		})
	}
}

func TestAdminFailuresAreRateLimited(t *testing.T) {
	e, _ := newStorageEnv(t)
	right := basicAuth(testAdminUser, testAdminPass)
	// A signed-in admin's own mistakes do not count.
	for range adminFailureLimit + 1 {
		expectError(t, e.do("DELETE", "/admin/object?objectKey=missing", nil, "Authorization", right),
			404, "OBJECT_NOT_FOUND")
	}
	for range adminFailureLimit {
		expectError(t, e.do("GET", "/admin", nil, "Authorization", basicAuth("admin", "guess")),
			401, "UNAUTHORIZED")
	}
	expectError(t, e.do("GET", "/admin", nil, "Authorization", right), 429, "RATE_LIMITED")
}

func TestAdminUploadListDownloadDelete(t *testing.T) {
	e, _ := newStorageEnv(t)
	admin := []string{"Authorization", basicAuth(testAdminUser, testAdminPass)}
	u := e.signUp("alice@example.com")
	userUpload := e.uploadURL(u, map[string]any{"fileName": "u.mp4", "deviceId": e.addDevice(u)})
	if status := putObject(t, userUpload.UploadURL, userUpload.Headers, []byte("user")); status != 200 {
		t.Fatalf("user PUT: status %d", status)
	}

	up := decodeAs[uploadURLResponse](t, e.do("POST", "/admin/upload-url",
		map[string]any{"fileName": "../doorbell ü+=.webm", "prefix": "tests"}, admin...), 200)
	if !strings.HasPrefix(up.ObjectKey, "admin/tests/") ||
		!strings.HasSuffix(up.ObjectKey, "/doorbell ü+=.webm") ||
		up.Headers["Content-Type"] != "video/webm" {
		t.Fatalf("admin upload %+v", up)
	}
	body := []byte(strings.Repeat("frame", 1000))
	if status := putObject(t, up.UploadURL, up.Headers, body); status != 200 {
		t.Fatalf("admin PUT: status %d", status)
	}

	list := decodeAs[adminListResponse](t, e.do("GET", "/admin/objects", nil, admin...), 200)
	keys := map[string]string{}
	for _, o := range list.Objects {
		if o.DownloadURL != nil {
			keys[o.ObjectKey] = *o.DownloadURL
		}
	}
	if len(keys) != 2 || keys[up.ObjectKey] == "" || keys[userUpload.ObjectKey] == "" {
		t.Fatalf("admin list %+v, want the admin's and the user's object", list.Objects)
	}
	status, got := s3test.Get(t, keys[up.ObjectKey])
	if status != 200 || sha256.Sum256(got) != sha256.Sum256(body) {
		t.Fatalf("download: status %d, %d bytes", status, len(got))
	}
	only := decodeAs[adminListResponse](t, e.do("GET", "/admin/objects?prefix=admin/", nil, admin...), 200)
	if len(only.Objects) != 1 || only.Objects[0].ObjectKey != up.ObjectKey {
		t.Fatalf("list under admin/: %+v", only.Objects)
	}

	for _, key := range []string{up.ObjectKey, userUpload.ObjectKey} {
		q := "?objectKey=" + url.QueryEscape(key)
		decodeAs[map[string]any](t, e.do("DELETE", "/admin/object"+q, nil, admin...), 200)
		expectError(t, e.do("DELETE", "/admin/object"+q, nil, admin...), 404, "OBJECT_NOT_FOUND")
	}
	var rows int
	e.pool.QueryRow(t.Context(), `SELECT count(*) FROM videos WHERE status <> 'deleted'`).Scan(&rows)
	if rows != 0 {
		t.Fatalf("%d videos not marked deleted after the admin deleted their objects", rows)
	}
	expectError(t, e.do("DELETE", "/admin/object?objectKey=a/../b", nil, admin...),
		400, "INVALID_OBJECT_KEY")
	expectError(t, e.do("GET", "/admin/objects?prefix=../", nil, admin...), 400, "INVALID_PREFIX")
}

// A browser's first request to /admin carries no credentials and is
// answered with the challenge; such requests are not failed sign-ins.
func TestAdminChallengesAreNotCountedAsFailures(t *testing.T) {
	e, _ := newStorageEnv(t)
	for range 3 * adminFailureLimit {
		expectError(t, e.do("GET", "/admin", nil), 401, "UNAUTHORIZED")
	}
	if resp := e.do("GET", "/admin", nil, "Authorization",
		basicAuth(testAdminUser, testAdminPass)); resp.StatusCode != 200 {
		t.Fatalf("admin after %d challenges: status %d, want 200", 3*adminFailureLimit, resp.StatusCode)
	}
}
