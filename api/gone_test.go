package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// whileDeleted sends a request that blocks on a row of table ("user" or
// devices) the test holds locked, deletes that row in the same
// transaction, and returns the answer once the deletion commits. The request has then
// passed authentication and its checks, and its insert meets a deleted
// parent: the race with delete-user, made deterministic by the lock.
func (e *testEnv) whileDeleted(table, id, method, path string, body any,
	headers ...string) *http.Response {
	t := e.t
	t.Helper()
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM `+table+` WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}

	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := e.srv.App().Test(req, 30_000)
		done <- answer{resp, err}
	}()

	// Wait until the request blocks on the lock; answering first means it
	// never reached its insert.
	for waiting := 0; waiting == 0; {
		select {
		case a := <-done:
			t.Fatalf("%s %s answered %v before reaching the locked row", method, path,
				a.resp.StatusCode)
		case <-time.After(5 * time.Millisecond):
		}
		err := e.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil {
		t.Fatalf("%s %s: %v", method, path, a.err)
	}
	return a.resp
}

// TestRequestsRacingDeleteUser replays the tester's race one request at a
// time: each passes authentication, then its user is deleted before its
// insert. None may be a 500; each says its credentials are gone.
func TestRequestsRacingDeleteUser(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		name, path string
		body       func(cam, cli registered) any
		as         func(u user, cam, cli registered) []string
		status     int
		code       string
	}{
		{"register", "/devices/register",
			func(cam, cli registered) any { return map[string]any{"name": "n", "role": "camera"} },
			func(u user, _, _ registered) []string { return u.bearer() },
			http.StatusUnauthorized, "UNAUTHORIZED"},
		{"link", "/device-links",
			func(cam, cli registered) any {
				return map[string]any{"cameraDeviceId": cam.ID, "clientDeviceId": cli.ID}
			},
			func(u user, _, _ registered) []string { return u.bearer() },
			http.StatusUnauthorized, "UNAUTHORIZED"},
		{"command", "/commands",
			func(cam, cli registered) any {
				return map[string]any{"targetDeviceId": cam.ID, "commandType": "take_snapshot"}
			},
			func(_ user, _, cli registered) []string { return cli.bearer() },
			http.StatusUnauthorized, "INVALID_DEVICE_TOKEN"},
		{"stream", "/streams/request",
			func(cam, cli registered) any { return map[string]any{"cameraDeviceId": cam.ID} },
			func(_ user, _, cli registered) []string { return cli.bearer() },
			http.StatusUnauthorized, "INVALID_DEVICE_TOKEN"},
		{"motion", "/events/motion/start",
			func(cam, cli registered) any { return map[string]any{} },
			func(_ user, cam, _ registered) []string { return cam.bearer() },
			http.StatusUnauthorized, "INVALID_DEVICE_TOKEN"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := e.signUp(fmt.Sprintf("race%d@example.com", i))
			cam, cli := e.register(u, "cam", "camera"), e.register(u, "cli", "client")
			if tc.name != "link" {
				e.link(u, cam, cli)
			}
			resp := e.whileDeleted(`"user"`, u.ID, "POST", tc.path, tc.body(cam, cli), tc.as(u, cam, cli)...)
			expectError(t, resp, tc.status, tc.code)
		})
	}
}

// TestUploadURLRacingDeletions: the user deleted before the video's row is
// stored is 401, the device alone deleted is 404, neither a 500.
func TestUploadURLRacingDeletions(t *testing.T) {
	e, _ := newStorageEnv(t)
	u := e.signUp("uploader@example.com")
	device := e.addDevice(u)
	body := map[string]any{"fileName": "a.mp4", "deviceId": device}
	expectError(t, e.whileDeleted("devices", device, "POST", "/videos/upload-url", body,
		u.bearer()...), http.StatusNotFound, "DEVICE_NOT_FOUND")

	body["deviceId"] = e.addDevice(u)
	expectError(t, e.whileDeleted(`"user"`, u.ID, "POST", "/videos/upload-url", body,
		u.bearer()...), http.StatusUnauthorized, "UNAUTHORIZED")
}

// TestStreamRequestForACameraDeletedMeanwhile: the camera, not the
// requester, is gone, so the requester's token still works: 404.
func TestStreamRequestForACameraDeletedMeanwhile(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("viewer@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "cli", "client")
	e.link(u, cam, cli)
	expectError(t, e.whileDeleted("devices", cam.ID, "POST", "/streams/request",
		map[string]any{"cameraDeviceId": cam.ID}, cli.bearer()...),
		http.StatusNotFound, "DEVICE_NOT_FOUND")
}

// TestConcurrentRequestsWithDeleteUser is the tester's race, smaller:
// device requests fired while the user is deleted. Whatever wins, none is
// a 500; a 503 would be a dependency down, which nothing here is.
func TestConcurrentRequestsWithDeleteUser(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("racing@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "cli", "client")
	e.link(u, cam, cli)
	type shot struct {
		path string
		body string
		auth []string
	}
	var shots []shot
	for range 6 {
		shots = append(shots,
			shot{"/devices/register", `{"name":"n","role":"camera"}`, u.bearer()},
			shot{"/commands", `{"targetDeviceId":"` + cam.ID + `","commandType":"take_snapshot"}`,
				cli.bearer()},
			shot{"/events/motion/start", `{}`, cam.bearer()},
			shot{"/streams/request", `{"cameraDeviceId":"` + cam.ID + `"}`, cli.bearer()})
	}
	// delete-user is sent first, without a password (the session is fresh)
	// so no hashing delays it; the start barrier lets everything go at once.
	shots = append([]shot{{"/api/auth/delete-user", `{}`, u.bearer()}}, shots...)

	statuses := make(chan string, len(shots))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, s := range shots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := httptest.NewRequest("POST", s.path, strings.NewReader(s.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(s.auth[0], s.auth[1])
			resp, err := e.srv.App().Test(req, 30_000)
			if err != nil {
				statuses <- s.path + ": " + err.Error()
				return
			}
			defer resp.Body.Close()
			var body errorBody
			json.NewDecoder(resp.Body).Decode(&body)
			statuses <- fmt.Sprintf("%s %d %s", s.path, resp.StatusCode, body.Code)
		}()
	}
	close(start)
	wg.Wait()
	close(statuses)
	counts := map[string]int{}
	for s := range statuses {
		counts[s]++
	}
	for s, n := range counts {
		t.Logf("%2d× %s", n, s)
		if strings.Contains(s, " 5") || strings.Contains(s, ": ") {
			t.Errorf("%d× %s: a race with delete-user must not be a server error", n, s)
		}
	}
	expectError(t, e.do("GET", "/devices", nil, u.bearer()...), http.StatusUnauthorized,
		"UNAUTHORIZED")
}
