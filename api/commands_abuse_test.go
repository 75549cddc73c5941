package api

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/persistence"
)

func TestCommandInputThatUsedToSlipThrough(t *testing.T) {
	e := newTestEnv(t)
	_, cam, cli := commandSetup(t, e)
	cases := []struct {
		name string
		body map[string]any
		code string
	}{
		// 9223372037 s overflows a Duration and used to wrap below the maximum.
		{"overflowing ttl", map[string]any{"commandType": "take_snapshot", "ttlSeconds": 9223372037}, "INVALID_TTL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.body["targetDeviceId"] = cam.ID
			expectError(t, e.do("POST", "/commands", tc.body, cli.bearer()...), http.StatusBadRequest, tc.code)
		})
	}
	// Written by hand: Go would encode 5.0 as 5 and 1e1 as 10.
	for _, literal := range []string{"5.0", "1e1"} {
		raw := `{"targetDeviceId":"` + cam.ID + `","commandType":"ring_siren",` +
			`"payload":{"durationSeconds":` + literal + `}}`
		expectError(t, e.do("POST", "/commands", raw, cli.bearer()...), http.StatusBadRequest,
			"INVALID_PAYLOAD")
	}
}

func TestCursorWithAnotherUUIDSpellingIs400(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cursor := base64.RawURLEncoding.EncodeToString(
		[]byte("2026-12-04T00:00:00Z|urn:uuid:00000000-0000-0000-0000-000000000000"))
	for _, path := range []string{"/commands", "/events"} {
		expectError(t, e.do("GET", path+"?cursor="+cursor, nil, u.bearer()...),
			http.StatusBadRequest, "INVALID_CURSOR")
	}
	expectError(t, e.do("GET", "/events?from=2026-12-04T10:00:00Z&to=2026-12-04T09:00:00Z", nil,
		u.bearer()...), http.StatusBadRequest, "INVALID_TIME")
}

func TestCommandToADisabledCameraIs409(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	e.do("PATCH", "/devices/"+cam.ID, map[string]any{"status": "disabled"}, u.bearer()...)
	expectError(t, e.do("POST", "/commands", map[string]any{"targetDeviceId": cam.ID,
		"commandType": "take_snapshot"}, cli.bearer()...), http.StatusConflict, "DEVICE_DISABLED")
}

func TestUnlinkingExpiresTheClientsQueuedCommands(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	base := e.listenWS()
	wsCli := dial(t, base, cli)
	e.waitOnline(u, cli, true)
	sent := e.sendCommand(cli, map[string]any{"targetDeviceId": cam.ID,
		"commandType": "ring_siren", "ttlSeconds": 600}, http.StatusCreated)

	links := decodeAs[struct{ Links []linkJSON }](t, e.do("GET", "/device-links", nil, u.bearer()...),
		http.StatusOK)
	for _, l := range links.Links {
		decodeAs[map[string]any](t, e.do("DELETE", "/device-links/"+string(l.ID), nil, u.bearer()...),
			http.StatusOK)
	}
	expectStatus(t, wsCli, sent.ID, persistence.CommandExpired)

	wsCam := dial(t, base, cam)
	e.waitOnline(u, cam, true)
	expectNoEvent(t, wsCam, "command:received", 500*time.Millisecond)
}

func TestTextPostgresRefusesIsA400OnMotionAndAcks(t *testing.T) {
	e := newTestEnv(t)
	_, cam, cli := commandSetup(t, e)
	for label, body := range map[string]string{
		"NUL in clientEventId":    `{"clientEventId":"a\u0000"}`,
		"lone surrogate metadata": `{"metadata":{"x":"\ud800"}}`,
	} {
		t.Run(label, func(t *testing.T) {
			resp := e.do("POST", "/events/motion/start", body, cam.bearer()...)
			if resp.StatusCode >= 500 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			resp.Body.Close()
		})
	}
	sent := e.sendCommand(cli, map[string]any{"targetDeviceId": cam.ID,
		"commandType": "take_snapshot"}, http.StatusCreated)
	expectError(t, e.do("POST", "/commands/"+string(sent.ID)+"/ack",
		`{"status":"acknowledged","reason":"a\u0000b"}`, cam.bearer()...), http.StatusBadRequest,
		"INVALID_REASON")
}
