package api

import (
	"encoding/json"
	"net/http"
	"runtime"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/api/wire"
)

func TestStreamFlowForwardsCameraToLinkedViewersAndReleasesEverything(t *testing.T) {
	e, sfu := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	base := e.listenWS()
	wsCam, wsCli, wsOther := dial(t, base, p.cam), dial(t, base, p.cli), dial(t, base, p.other)
	e.waitOnline(p.u, p.cam, true)
	baseline := runtime.NumGoroutine()

	s := e.requestStream(p.cli, p.cam)
	if s.Status != "requested" || s.CommandID == nil {
		t.Fatalf("requested stream %+v", s)
	}
	cmd := expectCommand(t, wsCam, "command:received")
	var payload struct{ StreamSessionID string }
	if err := json.Unmarshal(cmd.Payload, &payload); err != nil || cmd.CommandType != "start_stream" ||
		payload.StreamSessionID != string(s.ID) || string(cmd.ID) != *s.CommandID {
		t.Fatalf("camera received %+v %s", cmd, cmd.Payload)
	}
	expectStream(t, wsCam, "stream:requested", string(s.ID))
	expectStream(t, wsCli, "stream:requested", string(s.ID))

	e.accept(s, p.cam)
	for _, ws := range []*fws.Conn{wsCam, wsCli} {
		if got := expectStream(t, ws, "stream:started", string(s.ID)); got.StartedAt == nil {
			t.Fatalf("stream:started without startedAt: %+v", got)
		}
	}
	creds := decodeAs[credentialsJSON](t, e.do("GET", streamPath(s, "/subscribe-credentials"), nil,
		p.other.bearer()...), http.StatusOK)
	if creds.Role != "subscriber" || creds.SubscribeURL == "" || creds.PlaybackToken == "" {
		t.Fatalf("subscribe credentials %+v", creds)
	}

	t0 := time.Now()
	cam := e.publish(s, p.cam)
	t1 := time.Now()
	v1, v2 := e.subscribe(s, p.cli), e.subscribe(s, p.other)
	t2 := time.Now()
	v1.waitPackets(t, 0)
	t.Logf("publish-transport %s, two subscribe-transports %s, first packet %s later",
		t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond),
		time.Since(t2).Round(time.Millisecond))
	v1.waitPackets(t, 30)
	v2.waitPackets(t, 30)

	// A viewer leaves and comes back; the other keeps receiving.
	e.do("DELETE", streamPath(s, "/sfu/subscribe-transport"), nil, p.other.bearer()...).Body.Close()
	v2.close()
	session := func() map[string]any {
		return decodeAs[map[string]any](t, e.do("GET", streamPath(s, "/sfu/session"), nil,
			p.cli.bearer()...), http.StatusOK)
	}
	waitUntil(t, "one subscriber left", func() bool { return session()["subscribers"] == 1.0 })
	before := v1.packets.Load()
	v2 = e.subscribe(s, p.other)
	v2.waitPackets(t, 30)
	v1.waitPackets(t, before+30)
	if got := session(); got["subscribers"] != 2.0 || got["packetsForwarded"].(float64) < 120 {
		t.Fatalf("session %+v, want 2 subscribers and packets forwarded", got)
	}

	ended := decodeAs[struct{ StreamSession wire.Stream }](t, e.do("POST", streamPath(s, "/end"), nil,
		p.cli.bearer()...), http.StatusOK).StreamSession
	if ended.Status != "ended" || *ended.EndReason != "ended" {
		t.Fatalf("ended %+v", ended)
	}
	for _, ws := range []*fws.Conn{wsCam, wsCli, wsOther} {
		if got := expectStream(t, ws, "stream:ended", string(s.ID)); *got.EndReason != "ended" {
			t.Fatalf("stream:ended reason %s", *got.EndReason)
		}
	}
	if sfu.Publishers() != 0 {
		t.Fatalf("%d publishers after the end", sfu.Publishers())
	}
	waitUntil(t, "viewer peers closed by the server", func() bool {
		return v1.pc.ConnectionState() != webrtc.PeerConnectionStateConnected &&
			v2.pc.ConnectionState() != webrtc.PeerConnectionStateConnected
	})
	cam.close()
	v1.close()
	v2.close()
	n := goroutinesSettle(baseline, 10*time.Second)
	if n > baseline {
		t.Fatalf("%d goroutines after the end, %d before the stream", n, baseline)
	}
	t.Logf("viewers got %d and %d packets; goroutines %d before, %d after",
		v1.packets.Load(), v2.packets.Load(), baseline, n)
	expectError(t, e.do("POST", streamPath(s, "/sfu/subscribe-transport"),
		map[string]string{"sdp": "v=0"}, p.cli.bearer()...), http.StatusConflict, "STREAM_ENDED")
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
