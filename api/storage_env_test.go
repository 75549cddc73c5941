package api

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
)

// Admin credentials of the storage tests; the password holds colons on
// purpose (RFC 7617 splits at the first one only).
const (
	testAdminUser = "admin"
	testAdminPass = "pass:with:colons"
)

// newStorageEnv is a test server on its own database and its own bucket
// of the real test S3 server, with the admin dashboard on.
func newStorageEnv(t *testing.T, mutate ...func(*Options)) (*testEnv, *objectstore.Store) {
	t.Helper()
	store := s3test.New(t)
	all := append([]func(*Options){func(o *Options) {
		o.Storage = store
		o.AdminUsername, o.AdminPassword = testAdminUser, testAdminPass
		o.Checks = []Check{{Name: "storage", Check: store.EnsureBucket}}
	}}, mutate...)
	return newTestEnv(t, all...), store
}

// addDevice stores a camera of u directly; the device routes are another
// issue's work, and storage only needs the row.
func (e *testEnv) addDevice(u user) string {
	e.t.Helper()
	id := uuid.NewString()
	_, err := e.pool.Exec(context.Background(),
		`INSERT INTO devices (id, user_id, name, role) VALUES ($1, $2, 'cam', 'camera')`, id, u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// uploadURL asks for an upload URL and expects to get one.
func (e *testEnv) uploadURL(u user, body map[string]any) uploadURLResponse {
	e.t.Helper()
	return decodeAs[uploadURLResponse](e.t, e.do("POST", "/videos/upload-url", body, u.bearer()...),
		http.StatusOK)
}

// putObject uploads body to a presigned URL with the headers the answer
// named, changed by override (name, value pairs), and returns the status.
func putObject(t *testing.T, rawURL string, headers map[string]string, body []byte,
	override ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range headers {
		req.Header.Set(name, value)
	}
	for i := 0; i+1 < len(override); i += 2 {
		req.Header.Set(override[i], override[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
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
