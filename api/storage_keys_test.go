package api

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

// musicalNote is U+1D160: 4 bytes, but 12 after NFC, which decomposes it
// into three 4-byte characters.
const musicalNote = "\U0001D160"

// rawClient is a minio-go client of the test S3 server, without Vigil's
// checks in the way.
func rawClient(t *testing.T) *minio.Client {
	t.Helper()
	cfg := s3test.Config(t)
	client, err := minio.New(net.JoinHostPort(cfg.Endpoint, strconv.Itoa(cfg.Port)), &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Region: cfg.Region,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// putRaw stores body at key in store's bucket through a URL signed by
// minio-go directly, bypassing Vigil's checks, as an upload URL issued
// before a check existed would. It returns the storage's status.
func putRaw(t *testing.T, store *objectstore.Store, key string, body []byte) int {
	t.Helper()
	headers := http.Header{"Content-Type": []string{"video/mp4"}}
	u, err := rawClient(t).PresignHeader(context.Background(), http.MethodPut, store.Bucket(), key,
		time.Minute, nil, headers)
	if err != nil {
		t.Fatal(err)
	}
	return putObject(t, u.String(), map[string]string{"Content-Type": "video/mp4"}, body)
}

func TestUploadURLChecksLengthsAfterNormalisation(t *testing.T) {
	e, _ := newStorageEnv(t)
	u := e.signUp("alice@example.com")
	device := e.addDevice(u)
	// 21 notes are 84 bytes as sent and 252 after NFC: each segment fits,
	// and three of them are 254 bytes as sent but 758 after NFC.
	seg := strings.Repeat(musicalNote, 21)
	cases := []struct {
		name, fileName, prefix, code string
	}{
		{"prefix grows past 256 bytes", "a.mp4", seg + "/" + seg + "/" + seg, "INVALID_PREFIX"},
		{"file name grows past 255 bytes", strings.Repeat(musicalNote, 22), "", "INVALID_FILE_NAME"},
		{"prefix segment of 256 bytes", "a.mp4", strings.Repeat("a", 256), "INVALID_PREFIX"},
		{"prefix segment of 256 bytes after NFC", "a.mp4", strings.Repeat("b", 4) +
			strings.Repeat(musicalNote, 21), "INVALID_PREFIX"},
		{"file name of 256 bytes", strings.Repeat("a", 252) + ".mp4", "", "INVALID_FILE_NAME"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"fileName": tc.fileName, "deviceId": device, "prefix": tc.prefix}
			got := expectError(t, e.do("POST", "/videos/upload-url", body, u.bearer()...), 400, tc.code)
			field := map[string]string{"INVALID_PREFIX": "prefix", "INVALID_FILE_NAME": "fileName"}
			if !strings.Contains(got.Message, field[tc.code]) {
				t.Fatalf("message %q does not name %s", got.Message, field[tc.code])
			}
		})
	}

	// The longest accepted prefix and name still make a key storage takes.
	up := e.uploadURL(u, map[string]any{"fileName": strings.Repeat("n", 251) + ".mp4",
		"deviceId": device, "prefix": strings.Repeat("p", 255)})
	if status := putObject(t, up.UploadURL, up.Headers, []byte("x")); status != 200 {
		t.Fatalf("PUT of the longest key: status %d", status)
	}
}

// An object whose key is over S3's 1024 bytes (possible before lengths
// were checked after NFC) is listed without a download link, does not fail
// the listing, and can be deleted by the admin and by its owner.
func TestOverlongKeysAreListedAndDeletable(t *testing.T) {
	e, store := newStorageEnv(t)
	admin := []string{"Authorization", basicAuth(testAdminUser, testAdminPass)}
	u := e.signUp("alice@example.com")
	device := e.addDevice(u)
	seg := strings.Repeat("\U0001D15E", 60) // 240 bytes, fits a file system name
	long := func(name string) string {
		return "users/" + u.ID + "/devices/" + device + "/" + seg + "/" + seg + "/" + seg + "/" +
			seg + "/" + name
	}
	for _, key := range []string{long("a.mp4"), long("b.mp4")} {
		if len(key) <= 1024 {
			t.Fatalf("test key is only %d bytes", len(key))
		}
		if status := putRaw(t, store, key, []byte("long")); status != 200 {
			t.Fatalf("raw PUT of a %d byte key: status %d", len(key), status)
		}
		// The row an older Vigil's upload-url wrote for the key.
		_, err := e.pool.Exec(context.Background(), `INSERT INTO videos
			(id, user_id, device_id, bucket, object_key, file_name, content_type)
			VALUES ($1, $2, $3, $4, $5, 'a.mp4', 'video/mp4')`,
			uuid.NewString(), u.ID, device, store.Bucket(), key)
		if err != nil {
			t.Fatal(err)
		}
	}
	ok := e.uploadURL(u, map[string]any{"fileName": "ok.mp4", "deviceId": device})
	if status := putObject(t, ok.UploadURL, ok.Headers, []byte("fine")); status != 200 {
		t.Fatalf("PUT: status %d", status)
	}

	list := decodeAs[map[string]any](t, e.do("GET", "/admin/objects", nil, admin...), 200)
	objects, _ := list["objects"].([]any)
	if len(objects) != 3 {
		t.Fatalf("admin list %v, want all three objects", list)
	}
	for _, raw := range objects {
		o := raw.(map[string]any)
		link, _ := o["downloadUrl"].(string)
		if (o["objectKey"] == ok.ObjectKey) != (link != "") {
			t.Fatalf("object %v: want a download link only for the key storage can sign", o)
		}
	}

	q := func(key string) string { return "?objectKey=" + url.QueryEscape(key) }
	expectError(t, e.do("GET", "/videos/download-url"+q(long("a.mp4")), nil, u.bearer()...),
		400, "INVALID_OBJECT_KEY")
	decodeAs[map[string]any](t, e.do("DELETE", "/admin/object"+q(long("a.mp4")), nil, admin...), 200)
	expectError(t, e.do("DELETE", "/admin/object"+q(long("a.mp4")), nil, admin...),
		404, "OBJECT_NOT_FOUND")
	decodeAs[map[string]any](t, e.do("DELETE", "/videos"+q(long("b.mp4")), nil, u.bearer()...), 200)
	expectError(t, e.do("DELETE", "/videos"+q(long("b.mp4")), nil, u.bearer()...),
		404, "OBJECT_NOT_FOUND")

	left, _, err := store.List(context.Background(), "", 10)
	if err != nil || len(left) != 1 || left[0].Key != ok.ObjectKey {
		t.Fatalf("left in storage %+v, %v; want only %s", left, err, ok.ObjectKey)
	}
}

// A key with a segment longer than storage allows is the client's mistake:
// 400, not 500.
func TestKeySegmentTooLongForStorageIs400(t *testing.T) {
	e, _ := newStorageEnv(t)
	admin := []string{"Authorization", basicAuth(testAdminUser, testAdminPass)}
	u := e.signUp("alice@example.com")
	device := e.addDevice(u)
	// The device's folder exists, so storage looks at the long segment.
	up := e.uploadURL(u, map[string]any{"fileName": "a.mp4", "deviceId": device})
	if status := putObject(t, up.UploadURL, up.Headers, []byte("x")); status != 200 {
		t.Fatalf("PUT: status %d", status)
	}
	key := "users/" + u.ID + "/devices/" + device + "/" + strings.Repeat("s", 256) + "/a.mp4"
	q := "?objectKey=" + url.QueryEscape(key)

	expectError(t, e.do("GET", "/videos/download-url"+q, nil, u.bearer()...), 400, "INVALID_OBJECT_KEY")
	expectError(t, e.do("DELETE", "/videos"+q, nil, u.bearer()...), 400, "INVALID_OBJECT_KEY")
	expectError(t, e.do("DELETE", "/admin/object"+q, nil, admin...), 400, "INVALID_OBJECT_KEY")
}

// A video's upload URL stays valid after the video is deleted; a PUT
// through it must not bring the video back.
func TestDeletedVideoDoesNotComeBackThroughItsUploadURL(t *testing.T) {
	e, store := newStorageEnv(t)
	u := e.signUp("alice@example.com")
	up := e.uploadURL(u, map[string]any{"fileName": "a.mp4", "deviceId": e.addDevice(u)})
	if status := putObject(t, up.UploadURL, up.Headers, []byte("first")); status != 200 {
		t.Fatalf("PUT: status %d", status)
	}
	q := "?objectKey=" + url.QueryEscape(up.ObjectKey)
	decodeAs[map[string]any](t, e.do("DELETE", "/videos"+q, nil, u.bearer()...), 200)

	if status := putObject(t, up.UploadURL, up.Headers, []byte("again")); status != 200 {
		t.Fatalf("PUT after delete: status %d (storage should still take it)", status)
	}
	expectError(t, e.do("GET", "/videos/download-url"+q, nil, u.bearer()...), 404, "OBJECT_NOT_FOUND")
	if status := putObject(t, up.UploadURL, up.Headers, []byte("and again")); status != 200 {
		t.Fatalf("PUT after delete: status %d", status)
	}
	list := decodeAs[videoListResponse](t, e.do("GET", "/videos", nil, u.bearer()...), 200)
	if len(list.Videos) != 0 {
		t.Fatalf("list after delete and re-upload: %+v, want nothing", list.Videos)
	}
	if _, err := store.Stat(context.Background(), up.ObjectKey); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("re-uploaded object of a deleted video is still stored: %v", err)
	}
	e.expectVideoRow(up.ObjectKey, "deleted", -1)
	expectError(t, e.do("DELETE", "/videos"+q, nil, u.bearer()...), 404, "OBJECT_NOT_FOUND")
}

// An object under a user's prefix that Vigil has no row for was not
// uploaded through one of the user's upload URLs: it is not listed.
func TestObjectsWithoutARowAreNotListedAsTheUsers(t *testing.T) {
	e, store := newStorageEnv(t)
	u := e.signUp("alice@example.com")
	key := "users/" + u.ID + "/devices/" + e.addDevice(u) + "/x/planted.mp4"
	if status := putRaw(t, store, key, []byte("planted")); status != 200 {
		t.Fatalf("raw PUT: status %d", status)
	}
	list := decodeAs[videoListResponse](t, e.do("GET", "/videos", nil, u.bearer()...), 200)
	if len(list.Videos) != 0 {
		t.Fatalf("list %+v, want the row-less object left out", list.Videos)
	}
	if _, err := store.Stat(context.Background(), key); err != nil {
		t.Fatalf("row-less object should be left for the admin: %v", err)
	}
}

func TestUploadURLAllowsOnlyMediaContentTypes(t *testing.T) {
	e, _ := newStorageEnv(t)
	u := e.signUp("alice@example.com")
	device := e.addDevice(u)
	for _, ct := range []string{"text/html", "image/svg+xml", "*/*", "video/*", "application/javascript",
		"text/javascript", "application/xhtml+xml", "text/plain", "application/pdf"} {
		t.Run(ct, func(t *testing.T) {
			body := map[string]any{"fileName": "a.mp4", "deviceId": device, "contentType": ct}
			expectError(t, e.do("POST", "/videos/upload-url", body, u.bearer()...), 400,
				"INVALID_CONTENT_TYPE")
			expectError(t, e.do("POST", "/admin/upload-url", body, "Authorization",
				basicAuth(testAdminUser, testAdminPass)), 400, "INVALID_CONTENT_TYPE")
		})
	}
	cases := []struct{ fileName, contentType, want string }{
		{"page.html", "", "application/octet-stream"},
		{"drawing.svg", "", "application/octet-stream"},
		{"run.js", "", "application/octet-stream"},
		{"a.mp4", "", "video/mp4"},
		{"a.bin", "image/png", "image/png"},
		{"a.bin", "audio/mpeg", "audio/mpeg"},
		{"a.bin", "application/octet-stream", "application/octet-stream"},
	}
	for _, tc := range cases {
		up := e.uploadURL(u, map[string]any{"fileName": tc.fileName, "deviceId": device,
			"contentType": tc.contentType})
		if got := up.Headers["Content-Type"]; got != tc.want {
			t.Errorf("%s with %q: Content-Type %q, want %q", tc.fileName, tc.contentType, got, tc.want)
		}
	}
}

// Download URLs make browsers save the object, never render it in the
// storage server's origin.
func TestDownloadURLsAreAttachments(t *testing.T) {
	e, _ := newStorageEnv(t)
	admin := []string{"Authorization", basicAuth(testAdminUser, testAdminPass)}
	u := e.signUp("alice@example.com")
	up := e.uploadURL(u, map[string]any{"fileName": "a.mp4", "deviceId": e.addDevice(u)})
	if status := putObject(t, up.UploadURL, up.Headers, []byte("video")); status != 200 {
		t.Fatalf("PUT: status %d", status)
	}
	q := "?objectKey=" + url.QueryEscape(up.ObjectKey)
	dl := decodeAs[downloadURLResponse](t, e.do("GET", "/videos/download-url"+q, nil, u.bearer()...), 200)
	list := decodeAs[map[string]any](t, e.do("GET", "/admin/objects", nil, admin...), 200)
	adminLink, _ := list["objects"].([]any)[0].(map[string]any)["downloadUrl"].(string)

	for name, link := range map[string]string{"user": dl.DownloadURL, "admin": adminLink} {
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 ||
			!strings.HasPrefix(cd, "attachment") {
			t.Fatalf("%s download: status %d, Content-Disposition %q; want 200 and attachment",
				name, resp.StatusCode, cd)
		}
	}
}

func TestUploadURLRefusesADisabledDevice(t *testing.T) {
	e, _ := newStorageEnv(t)
	u := e.signUp("alice@example.com")
	device := e.addDevice(u)
	if _, err := e.pool.Exec(context.Background(),
		`UPDATE devices SET status = 'disabled' WHERE id = $1`, device); err != nil {
		t.Fatal(err)
	}
	expectError(t, e.do("POST", "/videos/upload-url", map[string]any{"fileName": "a.mp4",
		"deviceId": device}, u.bearer()...), http.StatusConflict, "DEVICE_DISABLED")
}

func TestUploadURLExpiresInMustBeWholeSeconds(t *testing.T) {
	e, _ := newStorageEnv(t)
	u := e.signUp("alice@example.com")
	device := e.addDevice(u)
	for _, raw := range []string{"1.5", "1e2", `"60"`, "true"} {
		t.Run(raw, func(t *testing.T) {
			body := `{"fileName":"a.mp4","deviceId":"` + device + `","expiresIn":` + raw + `}`
			resp := e.do("POST", "/videos/upload-url", []byte(body), append(u.bearer(),
				"Content-Type", "application/json")...)
			got := decodeAs[errorBody](t, resp, 400)
			if !strings.Contains(got.Message, "whole number of seconds") ||
				!strings.Contains(got.Message, "expiresIn") {
				t.Fatalf("error %+v, want it to say expiresIn is a whole number of seconds", got)
			}
		})
	}
}

// A bucket deleted while Vigil runs is made again on the next call that
// finds it missing; storage is up, so nothing answers "unreachable".
func TestMissingBucketIsRecreated(t *testing.T) {
	e, store := newStorageEnv(t)
	admin := []string{"Authorization", basicAuth(testAdminUser, testAdminPass)}
	u := e.signUp("alice@example.com")
	ctx := context.Background()
	for _, path := range []string{"/videos", "/admin/objects"} {
		if err := store.RemoveBucket(ctx); err != nil {
			t.Fatal(err)
		}
		headers := u.bearer()
		if strings.HasPrefix(path, "/admin") {
			headers = admin
		}
		resp := e.do("GET", path, nil, headers...)
		raw := new(bytes.Buffer)
		raw.ReadFrom(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s with the bucket gone: status %d %s, want 200", path, resp.StatusCode, raw)
		}
		if ok, err := rawClient(t).BucketExists(ctx, store.Bucket()); !ok || err != nil {
			t.Fatalf("bucket after GET %s: exists %v, %v; want it made again", path, ok, err)
		}
	}
}
