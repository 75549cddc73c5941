package api

import (
	"net/http"
	"testing"

	"github.com/vigil-oss/vigil/api/wire"
)

// The insert itself checks the link and the camera's status, so these
// prove that it refuses what the separate check used to, stores nothing
// when it refuses, and still answers a retry with the command stored first.
func TestRefusedCommandsAreNotStoredAndRetriesFollowTheLinkAndCamera(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	body := func(key string) map[string]any {
		return map[string]any{"targetDeviceId": cam.ID, "commandType": "take_snapshot",
			"idempotencyKey": key}
	}
	first := e.sendCommand(cli, body("k1"), http.StatusCreated)
	setStatus := func(status string) {
		decodeAs[map[string]any](t, e.do("PATCH", "/devices/"+cam.ID,
			map[string]any{"status": status}, u.bearer()...), http.StatusOK)
	}

	setStatus("disabled")
	for _, key := range []string{"k1", "k2"} {
		expectError(t, e.do("POST", "/commands", body(key), cli.bearer()...),
			http.StatusConflict, "DEVICE_DISABLED")
	}
	setStatus("active")
	if again := e.sendCommand(cli, body("k1"), http.StatusOK); again.ID != first.ID {
		t.Fatalf("retry after re-enabling made %s, first was %s", again.ID, first.ID)
	}

	setStatus("disabled")
	links := decodeAs[struct{ Links []linkJSON }](t, e.do("GET", "/device-links", nil, u.bearer()...),
		http.StatusOK)
	for _, l := range links.Links {
		decodeAs[map[string]any](t, e.do("DELETE", "/device-links/"+string(l.ID), nil, u.bearer()...),
			http.StatusOK)
	}
	for _, key := range []string{"k1", "k3"} {
		expectError(t, e.do("POST", "/commands", body(key), cli.bearer()...),
			http.StatusForbidden, "NOT_LINKED")
	}

	list := decodeAs[struct{ Commands []wire.Command }](t, e.do("GET", "/commands", nil,
		u.bearer()...), http.StatusOK)
	if len(list.Commands) != 1 || list.Commands[0].ID != first.ID {
		t.Fatalf("stored commands %+v, want only %s", list.Commands, first.ID)
	}
}
