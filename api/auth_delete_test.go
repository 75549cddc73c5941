package api

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/actors"
)

func TestDeleteUserRemovesTheAccountAndClosesItsSockets(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("leaving@example.com")
	stays := e.signUp("stays@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "cli", "client")
	e.link(u, cam, cli)
	keep := e.register(stays, "cam", "camera")
	base := e.listenWS()
	ws := dial(t, base, cam)
	e.waitOnline(u, cam, true)

	resp := e.do("POST", "/api/auth/delete-user", map[string]string{"password": "password123"},
		u.bearer()...)
	got := decodeAs[deleteUserResponse](t, resp, http.StatusOK)
	if !got.Success || got.Message != "User deleted" {
		t.Fatalf("answer %+v", got)
	}
	if code := expectClose(t, ws, 2*time.Second); code != actors.CloseDeviceDisabled {
		t.Fatalf("socket closed with %d, want %d", code, actors.CloseDeviceDisabled)
	}

	expectError(t, e.do("GET", "/devices", nil, u.bearer()...), http.StatusUnauthorized,
		"UNAUTHORIZED")
	expectError(t, e.do("POST", "/api/auth/sign-in/email", map[string]string{
		"email": u.Email, "password": "password123"}), http.StatusUnauthorized,
		"INVALID_EMAIL_OR_PASSWORD")
	for _, dev := range []registered{cam, cli} {
		expectError(t, e.do("POST", "/devices/"+dev.ID+"/heartbeat", nil, dev.bearer()...),
			http.StatusUnauthorized, "INVALID_DEVICE_TOKEN")
	}
	if _, ok := e.devicesOf(stays)[keep.ID]; !ok {
		t.Fatal("another user's device went too")
	}
}

func TestDeleteUserRefusals(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("careful@example.com")

	expectError(t, e.do("POST", "/api/auth/delete-user", map[string]string{}),
		http.StatusUnauthorized, "UNAUTHORIZED")
	expectError(t, e.do("POST", "/api/auth/delete-user",
		map[string]string{"password": "wrong-password"}, u.bearer()...),
		http.StatusBadRequest, "INVALID_PASSWORD")
	expectError(t, e.do("POST", "/api/auth/delete-user",
		map[string]string{"token": "abc"}, u.bearer()...), http.StatusNotFound, "INVALID_TOKEN")
	expectError(t, e.do("POST", "/api/auth/delete-user", `{"password": 5}`, u.bearer()...),
		http.StatusBadRequest, "VALIDATION_ERROR")

	e.advance(25 * time.Hour)
	expectError(t, e.do("POST", "/api/auth/delete-user", nil, u.bearer()...),
		http.StatusBadRequest, "SESSION_EXPIRED")
	if resp := e.do("GET", "/devices", nil, u.bearer()...); resp.StatusCode != http.StatusOK {
		t.Fatalf("after refusals the user is gone: status %d", resp.StatusCode)
	}

	// A stale session may still delete with the password.
	resp := e.do("POST", "/api/auth/delete-user", map[string]string{"password": "password123"},
		u.bearer()...)
	decodeAs[deleteUserResponse](t, resp, http.StatusOK)
}

func TestDeleteUserWithAFreshSessionNeedsNoPassword(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("quick@example.com")
	resp := e.do("POST", "/api/auth/delete-user", nil, u.bearer()...)
	decodeAs[deleteUserResponse](t, resp, http.StatusOK)
	expectError(t, e.do("GET", "/devices", nil, u.bearer()...), http.StatusUnauthorized,
		"UNAUTHORIZED")
}

// TestDeleteUserEndsTheirLiveStreams: deleting an account stops its media
// at once (viewer and camera transports, the SFU slot) and tells the
// participants why before their sockets close.
func TestDeleteUserEndsTheirLiveStreams(t *testing.T) {
	e, sfu := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	base := e.listenWS()
	wsCli := dial(t, base, p.cli)
	s := e.requestStream(p.cli, p.cam)
	whip := "/whip/streams/" + string(s.ID)

	cam := newFakeCamera(t)
	resp := e.rawDo("POST", whip, "application/sdp", localOffer(t, cam.pc), p.cam.bearer()...)
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP answered %d %s", resp.StatusCode, answer)
	}
	applyAnswer(t, cam.pc, string(answer))
	cam.start()
	expectStream(t, wsCli, "stream:started", string(s.ID))

	v := newFakeViewer(t)
	resp = e.rawDo("POST", "/whep/streams/"+string(s.ID), "application/sdp", localOffer(t, v.pc),
		p.cli.bearer()...)
	answer, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHEP answered %d %s", resp.StatusCode, answer)
	}
	applyAnswer(t, v.pc, string(answer))
	v.waitPackets(t, 30)

	decodeAs[deleteUserResponse](t, e.do("POST", "/api/auth/delete-user",
		map[string]string{"password": "password123"}, p.u.bearer()...), http.StatusOK)

	if got := expectStream(t, wsCli, "stream:ended", string(s.ID)); got.EndReason == nil ||
		*got.EndReason != actors.EndReasonUserDeleted {
		t.Fatalf("stream:ended %+v, want reason %s", got, actors.EndReasonUserDeleted)
	}
	waitUntil(t, "viewer cut off", func() bool {
		return v.pc.ConnectionState() != webrtc.PeerConnectionStateConnected
	})
	waitUntil(t, "camera slot released", func() bool { return sfu.Publishers() == 0 })
}
