package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/vigil-oss/vigil/media"
)

// signal is the data of a relayed webrtc:* event.
type signal struct {
	StreamSessionID string
	FromDeviceID    string
	ToDeviceID      string
	SDP             string
	Candidate       string
}

func TestLegacyRelaySignalsBetweenCameraAndLinkedViewersOnly(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Media.Mode = MediaModeLegacy })
	p := streamSetup(t, e)
	unlinked := e.register(p.u, "unlinked", "client")
	base := e.listenWS()
	wsCam, wsCli := dial(t, base, p.cam), dial(t, base, p.cli)
	wsOther, wsUnlinked := dial(t, base, p.other), dial(t, base, unlinked)

	s := e.requestStream(p.cli, p.cam)
	if s.MediaMode != "legacy" {
		t.Fatalf("stream made in mode %s", s.MediaMode)
	}
	e.accept(s, p.cam)
	id := string(s.ID)
	expectError(t, e.do("POST", streamPath(s, "/sfu/publish-transport"), map[string]string{"sdp": "v=0"},
		p.cam.bearer()...), http.StatusConflict, "LEGACY_MEDIA_MODE")
	creds := decodeAs[credentialsJSON](t, e.do("GET", streamPath(s, "/publish-credentials"), nil,
		p.cam.bearer()...), http.StatusOK)
	if creds.Signaling != "websocket" || creds.PublishURL != "" || creds.MediaMode != "legacy" {
		t.Fatalf("legacy credentials %+v", creds)
	}

	// Offer, answer and candidates pass between the requester and the
	// camera, stamped with who sent them.
	sendFrame(t, wsCli, "webrtc:offer", map[string]string{"streamSessionId": id,
		"toDeviceId": p.cam.ID, "fromDeviceId": p.other.ID, "sdp": "v=0 offer"})
	got := expectFrame[signal](t, wsCam, "webrtc:offer")
	if got.FromDeviceID != p.cli.ID || got.SDP != "v=0 offer" || got.StreamSessionID != id {
		t.Fatalf("camera got %+v", got)
	}
	sendFrame(t, wsCam, "webrtc:answer", map[string]string{"streamSessionId": id,
		"toDeviceId": p.cli.ID, "sdp": "v=0 answer"})
	if got := expectFrame[signal](t, wsCli, "webrtc:answer"); got.FromDeviceID != p.cam.ID ||
		got.SDP != "v=0 answer" {
		t.Fatalf("requester got %+v", got)
	}
	for _, pair := range [][2]registered{{p.cli, p.cam}, {p.cam, p.cli}} {
		ws := map[string]*fws.Conn{p.cli.ID: wsCli, p.cam.ID: wsCam}
		sendFrame(t, ws[pair[0].ID], "webrtc:ice-candidate", map[string]string{"streamSessionId": id,
			"toDeviceId": pair[1].ID, "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host"})
		if got := expectFrame[signal](t, ws[pair[1].ID], "webrtc:ice-candidate"); got.FromDeviceID !=
			pair[0].ID || !strings.HasPrefix(got.Candidate, "candidate:1") {
			t.Fatalf("candidate arrived as %+v", got)
		}
	}

	// Not to a client that is not the camera, nor to an unlinked one.
	sendFrame(t, wsCli, "webrtc:offer", map[string]string{"streamSessionId": id,
		"toDeviceId": p.other.ID, "sdp": "v=0"})
	if e := expectFrame[errorBody](t, wsCli, "error"); e.Code != "NOT_STREAM_PEER" {
		t.Fatalf("client to client: %+v", e)
	}
	sendFrame(t, wsCam, "webrtc:offer", map[string]string{"streamSessionId": id,
		"toDeviceId": unlinked.ID, "sdp": "v=0"})
	if e := expectFrame[errorBody](t, wsCam, "error"); e.Code != "NOT_STREAM_PEER" {
		t.Fatalf("camera to unlinked: %+v", e)
	}
	sendFrame(t, wsUnlinked, "webrtc:offer", map[string]string{"streamSessionId": id,
		"toDeviceId": p.cam.ID, "sdp": "v=0"})
	if e := expectFrame[errorBody](t, wsUnlinked, "error"); e.Code != "NOT_STREAM_PEER" {
		t.Fatalf("unlinked to camera: %+v", e)
	}
	// A linked client that asks for credentials joins and may signal; the
	// first offer it hears is this one, not the refused one above.
	decodeAs[credentialsJSON](t, e.do("GET", streamPath(s, "/subscribe-credentials"), nil,
		p.other.bearer()...), http.StatusOK)
	sendFrame(t, wsCam, "webrtc:offer", map[string]string{"streamSessionId": id,
		"toDeviceId": p.other.ID, "sdp": "v=0 to other"})
	if got := expectFrame[signal](t, wsOther, "webrtc:offer"); got.SDP != "v=0 to other" {
		t.Fatalf("joined viewer got %+v", got)
	}
	expectNoEvent(t, wsUnlinked, "webrtc:offer", 200*time.Millisecond)

	// A stream that does not exist is refused like one the device takes no
	// part in, so the answer tells nothing of other users' streams.
	sendFrame(t, wsCli, "webrtc:offer", map[string]string{
		"streamSessionId": "00000000-0000-4000-8000-000000000000", "toDeviceId": p.cam.ID, "sdp": "v=0"})
	if e := expectFrame[errorBody](t, wsCli, "error"); e.Code != "NOT_STREAM_PEER" {
		t.Fatalf("unknown stream: %+v", e)
	}
}

func TestMockProviderGivesCredentialsButNoMediaPlane(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Media = MediaOptions{Provider: ProviderMock, TURN: media.TURNConfig{
			URLs: []string{"stun:stun.test:3478", "turn:turn.test:3478"}, Secret: "turn-secret",
			TTL: time.Hour}}
	})
	p := streamSetup(t, e)
	s := e.requestStream(p.cli, p.cam)
	e.accept(s, p.cam)
	creds := decodeAs[credentialsJSON](t, e.do("GET", streamPath(s, "/subscribe-credentials"), nil,
		p.cli.bearer()...), http.StatusOK)
	if len(creds.IceServers) != 2 || creds.MediaProvider != "mock" || creds.SubscribeURL != "" {
		t.Fatalf("mock credentials %+v", creds)
	}
	turn := creds.IceServers[1]
	user, _, _ := strings.Cut(turn.Username, ":")
	wantUser, wantCred := media.TURNRESTCredential("turn-secret", p.cli.ID, creds.ExpiresAt)
	if turn.Username != wantUser || turn.Credential != wantCred || user == "" {
		t.Fatalf("TURN credentials %+v, want %s / %s", turn, wantUser, wantCred)
	}
	if d := time.Until(creds.ExpiresAt); d < 59*time.Minute || d > time.Hour {
		t.Fatalf("credentials expire in %s, want TURN_TTL", d)
	}
	for _, path := range []string{"/sfu/publish-transport", "/sfu/subscribe-transport"} {
		expectError(t, e.do("POST", streamPath(s, path), map[string]string{"sdp": "v=0"},
			p.cam.bearer()...), http.StatusNotImplemented, "MEDIA_PROVIDER_MOCK")
	}
	expectError(t, e.rawDo("POST", "/whip/streams/"+string(s.ID), "application/sdp", "v=0",
		p.cam.bearer()...), http.StatusNotImplemented, "MEDIA_PROVIDER_MOCK")
}
