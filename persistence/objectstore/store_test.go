package objectstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

// put sends body to a presigned upload URL the way a phone does.
func put(t *testing.T, u *url.URL, headers http.Header, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range headers {
		req.Header[name] = values
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestPresignedRoundTripKeepsBytesAndAwkwardKeys(t *testing.T) {
	store := s3test.New(t)
	ctx := context.Background()
	keys := []string{
		"users/u1/devices/d1/plain/clip.mp4",
		"users/u1/devices/d1/awkward/my clip=1+2 über.mp4",
	}
	for i, key := range keys {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			body := bytes.Repeat([]byte("vigil-"+strconv.Itoa(i)), 10_000)
			u, headers, err := store.PresignPut(ctx, key, "video/mp4", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if resp := put(t, u, headers, body); resp.StatusCode != http.StatusOK {
				raw, _ := io.ReadAll(resp.Body)
				t.Fatalf("PUT status %d: %s", resp.StatusCode, raw)
			}

			obj, err := store.Stat(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if obj.Key != key || obj.Size != int64(len(body)) || obj.ContentType != "video/mp4" {
				t.Fatalf("stat %+v, want key %q, %d bytes of video/mp4", obj, key, len(body))
			}
			dl, err := store.PresignGet(ctx, key, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			status, got := s3test.Get(t, dl.String())
			if status != http.StatusOK || sha256.Sum256(got) != sha256.Sum256(body) {
				t.Fatalf("download status %d, %d bytes; want 200 and the uploaded bytes",
					status, len(got))
			}
		})
	}

	listed, more, err := store.List(ctx, "users/u1/", 10)
	if err != nil || more || len(listed) != len(keys) {
		t.Fatalf("list: %d objects, more %v, err %v; want %d", len(listed), more, err, len(keys))
	}
	if err := store.Remove(ctx, keys[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Stat(ctx, keys[1]); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("stat after remove: %v, want ErrNotFound", err)
	}
}

func TestListStopsAtLimit(t *testing.T) {
	store := s3test.New(t)
	ctx := context.Background()
	for i := range 3 {
		u, h, err := store.PresignPut(ctx, "p/"+strconv.Itoa(i), "text/plain", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if resp := put(t, u, h, []byte("x")); resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT status %d", resp.StatusCode)
		}
	}
	listed, more, err := store.List(ctx, "p/", 2)
	if err != nil || !more || len(listed) != 2 || listed[0].Key != "p/0" {
		t.Fatalf("list: %+v, more %v, err %v; want p/0, p/1 and more", listed, more, err)
	}
}

// The storage server, not Vigil, must refuse uploads that break the
// signature: these are what keep a URL good for one object only.
func TestStorageRefusesBrokenUploads(t *testing.T) {
	store := s3test.New(t)
	ctx := context.Background()
	key := "users/u1/devices/d1/x/clip.mp4"
	body := []byte("not really a video")

	cases := []struct {
		name   string
		expiry time.Duration
		wait   time.Duration
		change func(u *url.URL, h http.Header)
	}{
		{name: "wrong content type", expiry: time.Minute,
			change: func(_ *url.URL, h http.Header) { h.Set("Content-Type", "text/html") }},
		{name: "tampered signature", expiry: time.Minute, change: func(u *url.URL, _ http.Header) {
			q := u.Query()
			sig := []byte(q.Get("X-Amz-Signature"))
			sig[0] = map[bool]byte{true: '1', false: '0'}[sig[0] == '0']
			q.Set("X-Amz-Signature", string(sig))
			u.RawQuery = q.Encode()
		}},
		{name: "other key", expiry: time.Minute, change: func(u *url.URL, _ http.Header) {
			u.Path = strings.Replace(u.Path, "/users/u1/", "/users/u2/", 1)
		}},
		{name: "expired", expiry: time.Second, wait: 2500 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, headers, err := store.PresignPut(ctx, key, "video/mp4", tc.expiry)
			if err != nil {
				t.Fatal(err)
			}
			if tc.change != nil {
				tc.change(u, headers)
			}
			time.Sleep(tc.wait)
			if resp := put(t, u, headers, body); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("PUT status %d, want 403", resp.StatusCode)
			}
		})
	}
	if _, err := store.Stat(ctx, key); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("an object was stored after refused uploads: %v", err)
	}
}

func TestPresignedURLsNameThePublicEndpoint(t *testing.T) {
	// localhost reaches the same server as the configured 127.0.0.1, so the
	// URL signed for it must work there too.
	store := s3test.New(t, func(c *objectstore.Config) {
		c.PublicEndpoint = "http://localhost:" + strconv.Itoa(c.Port)
	})
	ctx := context.Background()
	u, headers, err := store.PresignPut(ctx, "k/clip.mp4", "video/mp4", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "localhost" {
		t.Fatalf("upload URL host %q, want the public endpoint localhost", u.Host)
	}
	if resp := put(t, u, headers, []byte("abc")); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT through the public endpoint: status %d", resp.StatusCode)
	}
	dl, err := store.PresignGet(ctx, "k/clip.mp4", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := s3test.Get(t, dl.String()); dl.Hostname() != "localhost" || status != 200 ||
		string(body) != "abc" {
		t.Fatalf("download from %s: status %d, body %q", dl.Host, status, body)
	}
}

func TestStorageDownIsUnavailable(t *testing.T) {
	cfg := s3test.Config(t)
	cfg.Port = closedPort(t)
	store, err := objectstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	if err := store.EnsureBucket(ctx); !errors.Is(err, objectstore.ErrUnavailable) {
		t.Fatalf("EnsureBucket: %v, want ErrUnavailable", err)
	}
	if _, err := store.Stat(ctx, "k"); !errors.Is(err, objectstore.ErrUnavailable) {
		t.Fatalf("Stat: %v, want ErrUnavailable", err)
	}
	if _, _, err := store.List(ctx, "", 10); !errors.Is(err, objectstore.ErrUnavailable) {
		t.Fatalf("List: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("storage down took %v to report; retries should be off", d)
	}
}

func TestWrongKeysAreUnavailable(t *testing.T) {
	store := s3test.New(t)
	cfg := s3test.Config(t)
	cfg.Bucket = store.Bucket()
	cfg.SecretKey = "wrong-" + cfg.SecretKey
	wrong, err := objectstore.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.EnsureBucket(context.Background()); !errors.Is(err, objectstore.ErrUnavailable) {
		t.Fatalf("EnsureBucket with a wrong secret: %v, want ErrUnavailable", err)
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
