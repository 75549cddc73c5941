package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
)

// registered is a device as tests use it.
type registered struct {
	ID    string
	Token string
}

func (d registered) bearer() []string { return []string{"Authorization", "Bearer " + d.Token} }

// register registers a device of u with role and returns it.
func (e *testEnv) register(u user, name, role string) registered {
	e.t.Helper()
	out := decodeAs[registerResponse](e.t, e.do("POST", "/devices/register",
		map[string]any{"name": name, "role": role}, u.bearer()...), http.StatusCreated)
	return registered{ID: string(out.Device.ID), Token: out.DeviceToken}
}

// link links camera to client for u and returns the link's id.
func (e *testEnv) link(u user, camera, client registered) string {
	e.t.Helper()
	out := decodeAs[struct{ Link linkJSON }](e.t, e.do("POST", "/device-links",
		map[string]string{"cameraDeviceId": camera.ID, "clientDeviceId": client.ID}, u.bearer()...),
		http.StatusCreated)
	return string(out.Link.ID)
}

// devicesOf lists u's devices by id.
func (e *testEnv) devicesOf(u user) map[string]deviceJSON {
	e.t.Helper()
	out := decodeAs[struct{ Devices []deviceJSON }](e.t, e.do("GET", "/devices", nil, u.bearer()...),
		http.StatusOK)
	m := make(map[string]deviceJSON, len(out.Devices))
	for _, d := range out.Devices {
		m[string(d.ID)] = d
	}
	return m
}

// waitOnline waits until GET /devices shows d with the presence want.
func (e *testEnv) waitOnline(u user, d registered, want bool) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if e.devicesOf(u)[d.ID].Online == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("device %s never became online=%v", d.ID, want)
}

// listenWS serves the app on a loopback port and returns its ws:// base.
func (e *testEnv) listenWS() string {
	return "ws" + strings.TrimPrefix(e.listen(), "http")
}

// dial opens a socket for d with the token in the Authorization header.
func dial(t *testing.T, base string, d registered) *fws.Conn {
	t.Helper()
	ws, resp, err := fws.DefaultDialer.Dial(base+"/ws", http.Header{"Authorization": {"Bearer " + d.Token}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial as %s: %v (status %d)", d.ID, err, status)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// readEvent reads one frame within wait.
func readEvent(t *testing.T, ws *fws.Conn, wait time.Duration) (frame, error) {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(wait))
	var f frame
	err := ws.ReadJSON(&f)
	return f, err
}

// expectEvent reads frames until one named event arrives.
func expectEvent(t *testing.T, ws *fws.Conn, event string) frame {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		f, err := readEvent(t, ws, time.Until(deadline))
		if err != nil {
			t.Fatalf("waiting for %s: %v", event, err)
		}
		if f.Event == event {
			return f
		}
	}
	t.Fatalf("no %s event", event)
	return frame{}
}

// expectSilence fails if a frame arrives within wait.
func expectSilence(t *testing.T, ws *fws.Conn, wait time.Duration) {
	t.Helper()
	f, err := readEvent(t, ws, wait)
	if err == nil {
		t.Fatalf("unexpected frame %s %s", f.Event, f.Data)
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("socket failed instead of staying quiet: %v", err)
	}
}

// expectNoEvent reads frames for wait and fails if one named event arrives;
// other events (presence, say) may come and go.
func expectNoEvent(t *testing.T, ws *fws.Conn, event string, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		f, err := readEvent(t, ws, time.Until(deadline))
		if err != nil {
			if !strings.Contains(err.Error(), "timeout") {
				t.Fatalf("socket failed instead of staying quiet: %v", err)
			}
			return
		}
		if f.Event == event {
			t.Fatalf("unexpected %s %s", f.Event, f.Data)
		}
	}
}

// expectClose reads until the server closes the socket and returns the code.
func expectClose(t *testing.T, ws *fws.Conn, wait time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		_, _, err := func() (int, []byte, error) {
			ws.SetReadDeadline(deadline)
			return ws.ReadMessage()
		}()
		if err == nil {
			continue
		}
		var ce *fws.CloseError
		if ok := asCloseError(err, &ce); ok {
			return ce.Code
		}
		t.Fatalf("socket ended without a close frame: %v", err)
	}
}

func asCloseError(err error, target **fws.CloseError) bool {
	ce, ok := err.(*fws.CloseError)
	if ok {
		*target = ce
	}
	return ok
}
