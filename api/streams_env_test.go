package api

import (
	"encoding/json"
	"net/http"
	"runtime"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/vigil-oss/vigil/api/wire"
)

// streamParties are a user's camera, the client that requests and a
// second linked client.
type streamParties struct {
	u               user
	cam, cli, other registered
}

func streamSetup(t *testing.T, e *testEnv) streamParties {
	t.Helper()
	u := e.signUp("owner@example.com")
	p := streamParties{u: u, cam: e.register(u, "cam", "camera"),
		cli: e.register(u, "phone", "client"), other: e.register(u, "tablet", "client")}
	e.link(u, p.cam, p.cli)
	e.link(u, p.cam, p.other)
	return p
}

// requested is the answer of POST /streams/request.
type requested struct {
	StreamSession wire.Stream
	Command       wire.Command
}

// requestStream asks for cam's stream as cli.
func (e *testEnv) requestStream(cli, cam registered) wire.Stream {
	e.t.Helper()
	return decodeAs[requested](e.t, e.do("POST", "/streams/request",
		map[string]string{"cameraDeviceId": cam.ID}, cli.bearer()...), http.StatusCreated).StreamSession
}

// streamPath is a route of a stream.
func streamPath(s wire.Stream, suffix string) string {
	return "/streams/" + string(s.ID) + suffix
}

// accept accepts a stream as its camera.
func (e *testEnv) accept(s wire.Stream, cam registered) {
	e.t.Helper()
	got := decodeAs[struct{ StreamSession wire.Stream }](e.t,
		e.do("POST", streamPath(s, "/accept"), nil, cam.bearer()...), http.StatusOK)
	if got.StreamSession.Status != "streaming" {
		e.t.Fatalf("accepted stream is %s", got.StreamSession.Status)
	}
}

// sdpAnswer is the answer of the transport routes.
type sdpAnswer struct {
	Type     string
	SDP      string
	ViewerID string
}

// publish publishes a fake camera through sfu/publish-transport.
func (e *testEnv) publish(s wire.Stream, cam registered) *fakeCamera {
	e.t.Helper()
	c := newFakeCamera(e.t)
	ans := decodeAs[sdpAnswer](e.t, e.do("POST", streamPath(s, "/sfu/publish-transport"),
		map[string]string{"type": "offer", "sdp": localOffer(e.t, c.pc)}, cam.bearer()...), http.StatusOK)
	applyAnswer(e.t, c.pc, ans.SDP)
	c.start()
	return c
}

// subscribe subscribes a fake viewer through sfu/subscribe-transport.
func (e *testEnv) subscribe(s wire.Stream, d registered) *fakeViewer {
	e.t.Helper()
	v := newFakeViewer(e.t)
	ans := decodeAs[sdpAnswer](e.t, e.do("POST", streamPath(s, "/sfu/subscribe-transport"),
		map[string]string{"sdp": localOffer(e.t, v.pc)}, d.bearer()...), http.StatusOK)
	applyAnswer(e.t, v.pc, ans.SDP)
	return v
}

// expectStream reads frames until event arrives for stream id.
func expectStream(t *testing.T, ws *fws.Conn, event string, id string) wire.Stream {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f, err := readEvent(t, ws, time.Until(deadline))
		if err != nil {
			t.Fatalf("waiting for %s: %v", event, err)
		}
		if f.Event != event {
			continue
		}
		var s wire.Stream
		if err := json.Unmarshal(f.Data, &s); err != nil {
			t.Fatalf("%s data %s: %v", event, f.Data, err)
		}
		if string(s.ID) == id && string(s.StreamSessionID) == id {
			return s
		}
	}
	t.Fatalf("no %s for stream %s", event, id)
	return wire.Stream{}
}

// expectFrame reads frames until event arrives and decodes its data.
func expectFrame[T any](t *testing.T, ws *fws.Conn, event string) T {
	t.Helper()
	f := expectEvent(t, ws, event)
	var v T
	if err := json.Unmarshal(f.Data, &v); err != nil {
		t.Fatalf("%s data %s: %v", event, f.Data, err)
	}
	return v
}

// sendFrame writes one event to a socket.
func sendFrame(t *testing.T, ws *fws.Conn, event string, data any) {
	t.Helper()
	if err := ws.WriteJSON(map[string]any{"event": event, "data": data}); err != nil {
		t.Fatal(err)
	}
}

// goroutinesSettle waits for the goroutine count to fall to at most
// target and returns the last count seen.
func goroutinesSettle(target int, within time.Duration) int {
	deadline := time.Now().Add(within)
	n := runtime.NumGoroutine()
	for n > target && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}
