package api

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/vigil-oss/vigil/actors"
)

func TestSocketIOPollingDeliversCommandsAndAnswersAcks(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	base := e.listen()
	c, open := handshake(t, base)
	if open["upgrades"].([]any)[0] != "websocket" || open["maxPayload"].(float64) != 64<<10 {
		t.Fatalf("open packet %v", open)
	}
	if got := c.connect(cam.Token); !strings.HasPrefix(got, `40{"sid":"`) {
		t.Fatalf("CONNECT answered %q", got)
	}
	e.waitOnline(u, cam, true)

	sent := e.sendCommand(cli, map[string]any{"targetDeviceId": cam.ID,
		"commandType": "ring_siren", "payload": map[string]any{"durationSeconds": 5}},
		http.StatusCreated)
	got := c.nextPrefix(`42["command:received",`)
	if !strings.Contains(got, `"id":"`+string(sent.ID)+`"`) {
		t.Fatalf("camera received %s", got)
	}

	for _, tc := range []struct{ name, packet, want string }{
		{"ack recorded", `427["command:ack",{"commandId":"` + string(sent.ID) +
			`","status":"acknowledged"}]`, `437[{"ok":true}]`},
		{"ack refused by the actor", `428["command:ack",{"commandId":"` + string(sent.ID) +
			`","status":"rejected"}]`, `438[{"ok":false,"code":"ACK_REFUSED"`},
		{"ack malformed", `429["command:ack",{"commandId":"nope"}]`,
			`439[{"ok":false,"code":"INVALID_ACK"`},
		{"data not an object", `4210["command:ack",[1]]`, `4310[{"ok":false,"code":"INVALID_FRAME"`},
		{"unknown event with ack id", `4211["nope",{}]`, `4311[{"ok":false,"code":"UNKNOWN_EVENT"`},
		{"unknown event without", `42["nope",{}]`, `42["error",{"code":"UNKNOWN_EVENT"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := c.post(tc.packet); status != http.StatusOK {
				t.Fatalf("POST: %d %s", status, body)
			}
			if got := c.nextPrefix(tc.want[:4]); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got %s, want %s...", got, tc.want)
			}
		})
	}
	waitCommandStatus(t, e, u, sent.ID, "acknowledged")
}

func TestEngineIORefusesBadRequestsInItsErrorShape(t *testing.T) {
	e := newTestEnv(t)
	base := e.listen()
	for _, tc := range []struct {
		name, query string
		code        float64
	}{
		{"unknown sid", "EIO=4&transport=polling&sid=nope", 1},
		{"old protocol", "EIO=3&transport=polling", 5},
		{"unknown transport", "EIO=4&transport=flash", 0},
		{"websocket without upgrade", "EIO=4&transport=websocket", 3},
		{"websocket with unknown sid", "EIO=4&transport=websocket&sid=nope", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(base + "/socket.io/?" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			expectEngineError(t, resp.StatusCode, string(body), http.StatusBadRequest, tc.code)
		})
	}
}

func TestSocketIOConnectRefusesBadTokensAndOtherNamespaces(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")
	c, _ := handshake(t, e.listen())

	if got := c.connect("vgd_nope"); !strings.HasPrefix(got, `44{"message":"invalid device token`) {
		t.Fatalf("bad token answered %q", got)
	}
	c.post(`40/admin,{"token":"` + cam.Token + `"}`)
	if got := c.nextPrefix("44"); got != `44/admin,{"message":"Invalid namespace"}` {
		t.Fatalf("other namespace answered %q", got)
	}
	if got := c.connect(u.Token); !strings.HasPrefix(got, "44") {
		t.Fatalf("a session token was accepted: %q", got)
	}
	if got := c.connect(cam.Token); !strings.HasPrefix(got, "40{") {
		t.Fatalf("a good token after bad ones was refused: %q", got)
	}
	e.waitOnline(u, cam, true)
}

func TestSocketIOBadPacketsEndTheSessionWithAClearAnswer(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Realtime.MaxFrameBytes = 1024 })
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")
	base := e.listen()

	for _, tc := range []struct{ name, packet, want string }{
		{"unknown engine packet", "9", "unknown packet type"},
		{"binary packet", "bAQID", "binary packets are not supported"},
		{"binary socket.io event", `451-["x",{"_placeholder":true,"num":0}]`, "binary packets"},
		{"event before connect", `42["command:ack",{}]`, "event before CONNECT"},
		{"event not an array", `40{"token":"` + cam.Token + `"}` + "\x1e" + `42{"a":1}`,
			"event must be a JSON array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := handshake(t, base)
			status, body := c.post(strings.Split(tc.packet, "\x1e")...)
			if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Fatalf("POST answered %d %s, want 400 naming %q", status, body, tc.want)
			}
			_, body = c.get()
			if packets := strings.Split(body, "\x1e"); packets[len(packets)-1] != "1" {
				t.Fatalf("the next poll got %q, want the close packet last", body)
			}
			status, body = c.get()
			expectEngineError(t, status, body, http.StatusBadRequest, 1)
		})
	}

	t.Run("oversized polling body", func(t *testing.T) {
		c, _ := handshake(t, base)
		status, _ := c.post(`42["x","` + strings.Repeat("x", 2048) + `"]`)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized POST answered %d, want 413", status)
		}
		status, body := c.get()
		expectEngineError(t, status, body, http.StatusBadRequest, 1)
	})
	t.Run("oversized websocket message", func(t *testing.T) {
		ws := dialEIO(t, base, "")
		ws.WriteMessage(fws.TextMessage, []byte(`42["x","`+strings.Repeat("x", 2048)+`"]`))
		if code := expectClose(t, ws, 5*time.Second); code != fws.CloseMessageTooBig {
			t.Fatalf("close code %d, want 1009", code)
		}
	})
	t.Run("binary websocket message", func(t *testing.T) {
		ws := dialEIO(t, base, "")
		ws.WriteMessage(fws.BinaryMessage, []byte{4, 2})
		if code := expectClose(t, ws, 5*time.Second); code != fws.CloseUnsupportedData {
			t.Fatalf("close code %d, want 1003", code)
		}
	})
	e.waitSIOSessions(0)
}

// dialEIO opens a websocket-only Engine.IO session and reads its open
// packet.
func dialEIO(t *testing.T, base, token string) *fws.Conn {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ws, _, err := fws.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+
		"/socket.io/?EIO=4&transport=websocket", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, open, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(open), `0{"sid"`) {
		t.Fatalf("open packet %q, %v", open, err)
	}
	return ws
}

// waitSIOSessions waits until the server holds n Socket.IO sessions.
func (e *testEnv) waitSIOSessions(n int) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.sio.Count() != n {
		if time.Now().After(deadline) {
			e.t.Fatalf("server holds %d socket.io sessions, want %d", e.srv.sio.Count(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSocketIOClientsThatStopListeningAreDropped(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Realtime.PingInterval = 150 * time.Millisecond
		o.Realtime.PingTimeout = 150 * time.Millisecond
		o.Realtime.OutboxLimit = 8
	})
	u := e.signUp("owner@example.com")
	idle, silent, flooded := e.register(u, "idle", "camera"), e.register(u, "silent", "client"),
		e.register(u, "flooded", "client")
	base := e.listen()

	t.Run("a polling client that never polls again", func(t *testing.T) {
		c, _ := handshake(t, base)
		c.connect(idle.Token)
		e.waitOnline(u, idle, true)
		e.waitOnline(u, idle, false)
		e.waitSIOSessions(0)
		status, body := c.get()
		expectEngineError(t, status, body, http.StatusBadRequest, 1)
	})
	t.Run("a handshake never followed by CONNECT", func(t *testing.T) {
		handshake(t, base)
		e.waitSIOSessions(0)
	})
	t.Run("a websocket that never answers pings", func(t *testing.T) {
		ws := dialEIO(t, base, silent.Token)
		ws.WriteMessage(fws.TextMessage, []byte("40"))
		e.waitOnline(u, silent, true)
		e.waitOnline(u, silent, false)
		e.waitSIOSessions(0)
	})
	t.Run("a client far behind", func(t *testing.T) {
		ws := dialEIO(t, base, flooded.Token)
		ws.WriteMessage(fws.TextMessage, []byte("40"))
		e.waitOnline(u, flooded, true)
		c, _ := handshake(t, base) // polls, so is never behind
		c.connect(idle.Token)
		root, dir := e.srv.actors.Root(), e.srv.actors.Directory()
		for range 200 {
			root.Send(dir.Get(actors.KindDevice, flooded.ID), &actors.DeliverEvent{
				Event: "test:bulk", Data: []byte(`{"pad":"` + strings.Repeat("x", 64<<10) + `"}`)})
		}
		e.waitOnline(u, flooded, false)
		if got := c.nextPrefix("2"); got != "2" {
			t.Fatal("the healthy session stopped being pinged")
		}
		e.waitSockets(1)
	})
}

func TestSocketIOPingsKeepAnsweringClientsAlive(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Realtime.PingInterval = 100 * time.Millisecond
		o.Realtime.PingTimeout = 100 * time.Millisecond
	})
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")
	ws := dialEIO(t, e.listen(), "")
	ws.WriteMessage(fws.TextMessage, []byte(`40{"token":"`+cam.Token+`"}`))
	pings := 0
	until := time.Now().Add(time.Second)
	for time.Now().Before(until) {
		ws.SetReadDeadline(until)
		_, p, err := ws.ReadMessage()
		if err != nil {
			break
		}
		if string(p) == "2" {
			pings++
			ws.WriteMessage(fws.TextMessage, []byte("3"))
		}
	}
	if pings < 5 {
		t.Fatalf("%d pings in a second at a 100 ms interval", pings)
	}
	if !e.devicesOf(u)[cam.ID].Online {
		t.Fatal("a client that answers every ping was dropped")
	}
}
