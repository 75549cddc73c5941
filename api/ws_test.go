package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
)

// syncBuffer is a log sink tests can read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSocketAuthenticatesByHeaderOrQueryAndNeverLogsTheToken(t *testing.T) {
	var logs syncBuffer
	e := newTestEnv(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")
	base := e.listenWS()

	for _, tc := range []struct {
		name   string
		url    string
		header http.Header
	}{
		{"no token", "/ws", nil},
		{"unknown token", "/ws", http.Header{"Authorization": {"Bearer " + DeviceTokenPrefix +
			strings.Repeat("A", 43)}}},
		{"session token", "/ws", http.Header{"Authorization": {"Bearer " + u.Token}}},
		{"bad query token", "/ws?token=vgd_nope", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := fws.DefaultDialer.Dial(base+tc.url, tc.header)
			if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("dial: %v, response %v; want 401", err, resp)
			}
		})
	}
	expectError(t, e.do("GET", "/ws", nil), http.StatusUpgradeRequired, "UPGRADE_REQUIRED")

	ws, _, err := fws.DefaultDialer.Dial(base+"/ws?token="+cam.Token, nil)
	if err != nil {
		t.Fatalf("dial with ?token=: %v", err)
	}
	defer ws.Close()
	e.waitOnline(u, cam, true)
	if strings.Contains(logs.String(), cam.Token[len(DeviceTokenPrefix):]) {
		t.Fatal("the device token appears in the logs")
	}
	if !strings.Contains(logs.String(), "/ws") {
		t.Fatal("the upgrade was not logged at all, so the check above proves nothing")
	}
}

func TestPresenceReachesLinkedClientsOnly(t *testing.T) {
	e := newTestEnv(t)
	u, other := e.signUp("owner@example.com"), e.signUp("other@example.com")
	cam := e.register(u, "cam", "camera")
	linked, unlinked := e.register(u, "linked", "client"), e.register(u, "unlinked", "client")
	stranger := e.register(other, "stranger", "client")
	e.link(u, cam, linked)
	base := e.listenWS()

	wsLinked, wsUnlinked := dial(t, base, linked), dial(t, base, unlinked)
	// A socket that opens learns its peers' presence at once.
	expectPresence(t, wsLinked, cam, false)
	wsStranger := dial(t, base, stranger)
	e.waitOnline(u, linked, true)
	e.waitOnline(u, unlinked, true)
	e.waitOnline(other, stranger, true)

	wsCam := dial(t, base, cam)
	var p struct {
		DeviceID   string     `json:"deviceId"`
		Online     bool       `json:"online"`
		LastSeenAt *time.Time `json:"lastSeenAt"`
	}
	json.Unmarshal(expectEvent(t, wsLinked, "device:presence").Data, &p)
	if p.DeviceID != cam.ID || !p.Online || p.LastSeenAt == nil {
		t.Fatalf("presence %+v", p)
	}

	wsCam.Close()
	json.Unmarshal(expectEvent(t, wsLinked, "device:presence").Data, &p)
	if p.DeviceID != cam.ID || p.Online {
		t.Fatalf("presence after close %+v", p)
	}
	expectSilence(t, wsUnlinked, 300*time.Millisecond)
	expectSilence(t, wsStranger, 100*time.Millisecond)
	if d := e.devicesOf(u)[cam.ID]; d.Online || d.LastSeenAt == nil {
		t.Fatalf("camera after its socket closed: %+v", d)
	}
}

func TestSecondSocketReplacesFirstWithoutGoingOffline(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "phone", "client")
	e.link(u, cam, cli)
	base := e.listenWS()
	wsCli := dial(t, base, cli)
	expectPresence(t, wsCli, cam, false)
	e.waitOnline(u, cli, true)

	first := dial(t, base, cam)
	expectPresence(t, wsCli, cam, true)
	expectPresence(t, first, cli, true)
	second := dial(t, base, cam)
	if code := expectClose(t, first, 2*time.Second); code != actors.CloseReplaced {
		t.Fatalf("first socket closed with %d, want %d", code, actors.CloseReplaced)
	}
	first.Close()

	expectSilence(t, wsCli, 500*time.Millisecond)
	if !e.devicesOf(u)[cam.ID].Online {
		t.Fatal("the replaced socket's close marked the device offline")
	}
	second.WriteJSON(map[string]any{"event": "nope", "data": map[string]any{}})
	if f := expectEvent(t, second, "error"); !strings.Contains(string(f.Data), "UNKNOWN_EVENT") {
		t.Fatalf("second socket is not the live one: %s", f.Data)
	}
}

func TestMalformedFramesGetErrorEventsAndSocketStaysOpen(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Realtime.MaxFrameBytes = 1024 })
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")
	ws := dial(t, e.listenWS(), cam)

	for _, tc := range []struct {
		name string
		kind int
		body string
		code string
	}{
		{"not json", fws.TextMessage, "hello", "INVALID_FRAME"},
		{"no event", fws.TextMessage, `{"data":{}}`, "INVALID_FRAME"},
		{"array data", fws.TextMessage, `{"event":"x","data":[1]}`, "INVALID_FRAME"},
		{"binary", fws.BinaryMessage, `{"event":"x"}`, "INVALID_FRAME"},
		{"unknown event", fws.TextMessage, `{"event":"x","data":{}}`, "UNKNOWN_EVENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ws.WriteMessage(tc.kind, []byte(tc.body)); err != nil {
				t.Fatal(err)
			}
			var data errorBody
			json.Unmarshal(expectEvent(t, ws, "error").Data, &data)
			if data.Code != tc.code || data.Message == "" {
				t.Fatalf("error data %+v, want %s", data, tc.code)
			}
		})
	}
	if !e.devicesOf(u)[cam.ID].Online {
		t.Fatal("malformed frames closed the socket")
	}
	ws.WriteMessage(fws.TextMessage, []byte(`{"event":"x","data":{"pad":"`+strings.Repeat("a", 2000)+`"}}`))
	if code := expectClose(t, ws, 2*time.Second); code != fws.CloseMessageTooBig {
		t.Fatalf("oversized frame closed with %d, want %d", code, fws.CloseMessageTooBig)
	}
}

func TestRevocationClosesOpenSocketWithinASecond(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam, other := e.register(u, "cam", "camera"), e.register(u, "cam2", "camera")
	base := e.listenWS()

	for _, tc := range []struct {
		name   string
		device registered
		revoke func()
		code   int
	}{
		{"disable", cam, func() {
			e.do("PATCH", "/devices/"+cam.ID, map[string]any{"status": "disabled"}, u.bearer()...)
		}, actors.CloseDeviceDisabled},
		{"rotate", other, func() {
			e.do("POST", "/devices/"+other.ID+"/token", nil, u.bearer()...)
		}, actors.CloseTokenRevoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := dial(t, base, tc.device)
			e.waitOnline(u, tc.device, true)
			start := time.Now()
			tc.revoke()
			if code := expectClose(t, ws, time.Second); code != tc.code {
				t.Fatalf("closed with %d, want %d", code, tc.code)
			}
			if took := time.Since(start); took > time.Second {
				t.Fatalf("closing took %v", took)
			}
			if _, resp, err := fws.DefaultDialer.Dial(base+"/ws", http.Header{
				"Authorization": {"Bearer " + tc.device.Token}}); err == nil ||
				resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("the revoked token still opens a socket: %v", err)
			}
		})
	}
}

func TestNeverReadingClientIsDroppedWithoutStallingAHealthyOne(t *testing.T) {
	// The outbox holds the whole burst: the stuck client is dropped by the
	// write timeout, and the healthy one, which reads, never falls that far
	// behind.
	e := newTestEnv(t, func(o *Options) {
		o.Realtime.OutboxLimit = 1024
		o.Realtime.WriteTimeout = 2 * time.Second
	})
	u := e.signUp("owner@example.com")
	stuck, healthy := e.register(u, "stuck", "client"), e.register(u, "healthy", "client")
	base := e.listenWS()

	small := fws.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	wsStuck, _, err := small.Dial(base+"/ws", http.Header{"Authorization": {"Bearer " + stuck.Token}})
	if err != nil {
		t.Fatal(err)
	}
	defer wsStuck.Close()
	wsHealthy := dial(t, base, healthy)
	e.waitOnline(u, stuck, true)
	e.waitOnline(u, healthy, true)

	const frames = 300
	pad, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", 64<<10)})
	received := make(chan int, 1)
	go func() {
		n := 0
		for n < frames {
			if _, err := readEvent(t, wsHealthy, 10*time.Second); err != nil {
				t.Logf("healthy client: %v", err)
				break
			}
			n++
		}
		received <- n
	}()
	root, dir := e.srv.actors.Root(), e.srv.actors.Directory()
	start := time.Now()
	for range frames {
		root.Send(dir.Get(actors.KindDevice, stuck.ID), &actors.DeliverEvent{Event: "test:bulk", Data: pad})
		root.Send(dir.Get(actors.KindDevice, healthy.ID), &actors.DeliverEvent{Event: "test:bulk", Data: pad})
	}
	if n := <-received; n != frames {
		t.Fatalf("healthy client got %d of %d frames", n, frames)
	}
	t.Logf("healthy client read %d frames of 64 KiB in %v", frames, time.Since(start))
	e.waitOnline(u, stuck, false)
	if e.devicesOf(u)[healthy.ID].Online != true {
		t.Fatal("the healthy client was dropped too")
	}
	e.waitSockets(1)
}

// waitSockets waits until the server holds n open sockets: a dropped
// socket must really be closed, its handler gone, not just forgotten.
func (e *testEnv) waitSockets(n int64) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.sockets.count() != n {
		if time.Now().After(deadline) {
			e.t.Fatalf("server holds %d sockets, want %d", e.srv.sockets.count(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestClientFarBehindIsDroppedByTheOutboxBound(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Realtime.OutboxLimit = 8 })
	u := e.signUp("owner@example.com")
	slow := e.register(u, "slow", "client")
	ws := dial(t, e.listenWS(), slow)
	e.waitOnline(u, slow, true)

	pad, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", 256<<10)})
	root, dir := e.srv.actors.Root(), e.srv.actors.Directory()
	for range 200 {
		root.Send(dir.Get(actors.KindDevice, slow.ID), &actors.DeliverEvent{Event: "test:bulk", Data: pad})
	}
	e.waitOnline(u, slow, false)
	e.waitSockets(0)
	ws.Close()
}

func TestPingsKeepReadersAliveAndDropSilentSockets(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Realtime.PingInterval = 100 * time.Millisecond })
	u := e.signUp("owner@example.com")
	reader, silent := e.register(u, "reader", "client"), e.register(u, "silent", "client")
	base := e.listenWS()

	wsReader := dial(t, base, reader)
	go func() {
		for {
			if _, _, err := wsReader.ReadMessage(); err != nil {
				return
			}
		}
	}()
	dial(t, base, silent) // never reads, so never answers a ping
	e.waitOnline(u, silent, true)

	e.waitOnline(u, silent, false)
	time.Sleep(300 * time.Millisecond)
	if !e.devicesOf(u)[reader.ID].Online {
		t.Fatal("a socket that answers pings was dropped")
	}
}

// panicOnHeartbeat is the real store, made to panic once on the next
// heartbeat the way a bug in a dependency would.
type panicOnHeartbeat struct {
	*persistence.Devices
	armed atomic.Bool
}

func (s *panicOnHeartbeat) RecordHeartbeat(ctx context.Context, id persistence.DeviceID,
	at time.Time, telemetry json.RawMessage) error {
	if s.armed.CompareAndSwap(true, false) {
		panic("injected heartbeat failure")
	}
	return s.Devices.RecordHeartbeat(ctx, id, at, telemetry)
}

func TestSocketSurvivesAPanicInItsDeviceActor(t *testing.T) {
	var store *panicOnHeartbeat
	e := newTestEnv(t, func(o *Options) {
		store = &panicOnHeartbeat{Devices: o.Devices.(*persistence.Devices)}
		sys := actors.New(actors.Config{Store: store, Logger: o.Logger,
			Commands: o.Commands.(*persistence.Commands), Events: o.Events.(*persistence.Events)})
		t.Cleanup(sys.Shutdown)
		o.Actors, o.ActorTimeout = sys, 500*time.Millisecond
	})
	u := e.signUp("owner@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "phone", "client")
	e.link(u, cam, cli)
	base := e.listenWS()
	wsCli := dial(t, base, cli)
	expectPresence(t, wsCli, cam, false)
	e.waitOnline(u, cli, true)
	wsCam := dial(t, base, cam)
	expectPresence(t, wsCli, cam, true)
	expectPresence(t, wsCam, cli, true)

	store.armed.Store(true)
	expectError(t, e.do("POST", "/devices/"+cam.ID+"/heartbeat", nil, cam.bearer()...),
		http.StatusServiceUnavailable, "DEVICE_UNAVAILABLE")

	wsCam.WriteJSON(map[string]any{"event": "nope", "data": map[string]any{}})
	if f := expectEvent(t, wsCam, "error"); !strings.Contains(string(f.Data), "UNKNOWN_EVENT") {
		t.Fatalf("after the restart the socket got %s", f.Data)
	}
	expectSilence(t, wsCli, 300*time.Millisecond)
	if !e.devicesOf(u)[cam.ID].Online {
		t.Fatal("the camera went offline across its actor's restart")
	}
	e.do("PATCH", "/devices/"+cam.ID, map[string]any{"status": "disabled"}, u.bearer()...)
	if code := expectClose(t, wsCam, time.Second); code != actors.CloseDeviceDisabled {
		t.Fatalf("closed with %d: the restarted actor lost its socket", code)
	}
}

// expectPresence reads the next device:presence event and checks it says
// d is online or offline.
func expectPresence(t *testing.T, ws *fws.Conn, d registered, online bool) {
	t.Helper()
	var p struct {
		DeviceID string `json:"deviceId"`
		Online   bool   `json:"online"`
	}
	json.Unmarshal(expectEvent(t, ws, "device:presence").Data, &p)
	if p.DeviceID != d.ID || p.Online != online {
		t.Fatalf("presence %+v, want %s online=%v", p, d.ID, online)
	}
}

func TestLinkingTwoOnlineDevicesTellsBoth(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "phone", "client")
	base := e.listenWS()
	wsCam, wsCli := dial(t, base, cam), dial(t, base, cli)
	e.waitOnline(u, cam, true)
	e.waitOnline(u, cli, true)

	e.link(u, cam, cli)
	expectPresence(t, wsCli, cam, true)
	expectPresence(t, wsCam, cli, true)
}
