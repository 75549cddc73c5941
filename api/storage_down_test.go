package api

import (
	"net/http"
	"testing"

	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

func TestStorageDownAnswers503(t *testing.T) {
	cfg := s3test.Config(t)
	cfg.Port = closedPort(t)
	down, err := objectstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) {
		o.Storage = down
		o.AdminUsername, o.AdminPassword = testAdminUser, testAdminPass
		o.Checks = []Check{{Name: "storage", Check: down.EnsureBucket}}
	})
	u := e.signUp("alice@example.com")
	device := e.addDevice(u)
	admin := []string{"Authorization", basicAuth(testAdminUser, testAdminPass)}

	expectError(t, e.do("POST", "/videos/upload-url",
		map[string]any{"fileName": "a.mp4", "deviceId": device}, u.bearer()...),
		503, "STORAGE_UNAVAILABLE")
	expectError(t, e.do("GET", "/videos", nil, u.bearer()...), 503, "STORAGE_UNAVAILABLE")
	key := "users/" + u.ID + "/devices/" + device + "/x/a.mp4"
	expectError(t, e.do("GET", "/videos/download-url?objectKey="+key, nil, u.bearer()...),
		503, "STORAGE_UNAVAILABLE")
	expectError(t, e.do("DELETE", "/videos?objectKey="+key, nil, u.bearer()...),
		503, "STORAGE_UNAVAILABLE")
	expectError(t, e.do("GET", "/admin/objects", nil, admin...), 503, "STORAGE_UNAVAILABLE")
	expectError(t, e.do("POST", "/admin/upload-url", map[string]any{"fileName": "a.mp4"}, admin...),
		503, "STORAGE_UNAVAILABLE")

	ready := decodeAs[readyResponse](t, e.do("GET", "/readyz", nil), http.StatusServiceUnavailable)
	if ready.Checks["storage"] != "down" {
		t.Fatalf("readyz %+v, want storage down", ready)
	}
}

func TestStorageNotConfiguredAnswers503(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.AdminUsername, o.AdminPassword = testAdminUser, testAdminPass
	})
	u := e.signUp("alice@example.com")
	admin := []string{"Authorization", basicAuth(testAdminUser, testAdminPass)}

	expectError(t, e.do("GET", "/videos", nil, u.bearer()...), 503, "STORAGE_NOT_CONFIGURED")
	expectError(t, e.do("POST", "/videos/upload-url", map[string]any{}, u.bearer()...),
		503, "STORAGE_NOT_CONFIGURED")
	expectError(t, e.do("GET", "/admin/objects", nil, admin...), 503, "STORAGE_NOT_CONFIGURED")
	if resp := e.do("GET", "/admin", nil, admin...); resp.StatusCode != 200 {
		t.Fatalf("dashboard without storage: status %d, want the page", resp.StatusCode)
	}
	expectError(t, e.do("GET", "/videos", nil), 401, "UNAUTHORIZED")
}

func TestStorageUpAgainIsReady(t *testing.T) {
	e, _ := newStorageEnv(t)
	ready := decodeAs[readyResponse](t, e.do("GET", "/readyz", nil), http.StatusOK)
	if ready.Checks["storage"] != "ok" {
		t.Fatalf("readyz %+v, want storage ok", ready)
	}
}
