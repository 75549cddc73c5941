package api

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

// commandSetup is a user with a camera and a linked client.
func commandSetup(t *testing.T, e *testEnv) (user, registered, registered) {
	u := e.signUp("owner@example.com")
	cam, cli := e.register(u, "cam", "camera"), e.register(u, "phone", "client")
	e.link(u, cam, cli)
	return u, cam, cli
}

func TestCommandIsDeliveredAndEveryStatusReachesTheSource(t *testing.T) {
	e := newTestEnv(t)
	_, cam, cli := commandSetup(t, e)
	base := e.listenWS()
	wsCam, wsCli := dial(t, base, cam), dial(t, base, cli)
	e.waitOnline(e.signUpNoop(), cam, true)

	for _, tc := range []struct {
		name, via, answer string
	}{
		{"ack over the socket", "socket", "acknowledged"},
		{"ack over HTTP", "http", "acknowledged"},
		{"reject over the socket", "socket", "rejected"},
		{"reject over HTTP", "http", "rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := e.sendCommand(cli, map[string]any{"targetDeviceId": cam.ID,
				"commandType": "ring_siren", "payload": map[string]any{"durationSeconds": 5}},
				http.StatusCreated)
			if sent.Status != persistence.CommandQueued || sent.ExpiresAt.Sub(sent.CreatedAt) != time.Minute {
				t.Fatalf("accepted %+v, want queued with the 60 s default TTL", sent)
			}
			got := expectCommand(t, wsCam, "command:received")
			if got.ID != sent.ID || string(got.Payload) != `{"durationSeconds":5}` {
				t.Fatalf("camera received %+v %s", got, got.Payload)
			}
			expectStatus(t, wsCli, sent.ID, persistence.CommandQueued)
			expectStatus(t, wsCli, sent.ID, persistence.CommandDelivered)

			if tc.via == "socket" {
				ackFrame(t, wsCam, sent.ID, tc.answer)
			} else {
				e.do("POST", "/commands/"+string(sent.ID)+"/ack",
					map[string]any{"status": tc.answer, "reason": "ok"}, cam.bearer()...).Body.Close()
			}
			final := expectStatus(t, wsCli, sent.ID, persistence.CommandStatus(tc.answer))
			if final.CompletedAt == nil || final.DeliveredAt == nil {
				t.Fatalf("final status without its times: %+v", final)
			}

			again := decodeAs[commandAnswer](t, e.do("POST", "/commands/"+string(sent.ID)+"/ack",
				map[string]any{"status": tc.answer}, cam.bearer()...), http.StatusOK).Command
			if again.Status != persistence.CommandStatus(tc.answer) {
				t.Fatalf("repeated ack answered %s", again.Status)
			}
			other := map[string]string{"acknowledged": "rejected", "rejected": "acknowledged"}[tc.answer]
			expectError(t, e.do("POST", "/commands/"+string(sent.ID)+"/ack",
				map[string]any{"status": other}, cam.bearer()...), http.StatusConflict, "COMMAND_FINAL")
		})
	}
	// A socket cannot be read after a read times out, so silence is
	// checked once, last: repeated acks told the source nothing.
	expectSilence(t, wsCli, 300*time.Millisecond)
}

// signUpNoop returns the first user of the env, for waitOnline.
func (e *testEnv) signUpNoop() user {
	e.t.Helper()
	resp := e.do("POST", "/api/auth/sign-in/email",
		map[string]string{"email": "owner@example.com", "password": "password123"})
	out := decodeAs[signUpResponse](e.t, resp, http.StatusOK)
	return user{ID: out.User.ID, Token: out.Token}
}

func TestCommandRequestsAreCheckedAndNameTheProblem(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	unlinked := e.register(u, "unlinked", "client")
	otherCam := e.register(u, "cam2", "camera")
	ring := func(payload any) map[string]any {
		return map[string]any{"targetDeviceId": cam.ID, "commandType": "ring_siren", "payload": payload}
	}
	for _, tc := range []struct {
		name   string
		from   []string
		body   map[string]any
		status int
		code   string
		names  string
	}{
		{"unknown type", cli.bearer(), map[string]any{"targetDeviceId": cam.ID,
			"commandType": "self_destruct"}, 400, "UNKNOWN_COMMAND_TYPE", "self_destruct"},
		{"unknown key", cli.bearer(), ring(map[string]any{"volume": 11}), 400, "INVALID_PAYLOAD",
			"payload.volume"},
		{"siren too long", cli.bearer(), ring(map[string]any{"durationSeconds": 3600}), 400,
			"INVALID_PAYLOAD", "durationSeconds"},
		{"fractional siren", cli.bearer(), ring(map[string]any{"durationSeconds": 1.5}), 400,
			"INVALID_PAYLOAD", "whole number"},
		{"payload not an object", cli.bearer(), ring([]int{1}), 400, "INVALID_PAYLOAD", "object"},
		{"payload too large", cli.bearer(), ring(map[string]any{"x": strings.Repeat("a", 2000)}),
			400, "INVALID_PAYLOAD", "1024 bytes"},
		{"sensitivity out of range", cli.bearer(), map[string]any{"targetDeviceId": cam.ID,
			"commandType": "set_motion_sensitivity", "payload": map[string]any{"sensitivity": 101}},
			400, "INVALID_PAYLOAD", "payload.sensitivity"},
		{"sensitivity and level", cli.bearer(), map[string]any{"targetDeviceId": cam.ID,
			"commandType": "set_motion_sensitivity",
			"payload":     map[string]any{"sensitivity": 5, "level": "low"}},
			400, "INVALID_PAYLOAD", "exactly one"},
		{"ttl over the maximum", cli.bearer(), map[string]any{"targetDeviceId": cam.ID,
			"commandType": "take_snapshot", "ttlSeconds": 3601}, 400, "INVALID_TTL", "ttlSeconds"},
		{"target not a uuid", cli.bearer(), map[string]any{"targetDeviceId": "cam",
			"commandType": "take_snapshot"}, 400, "INVALID_ID", "targetDeviceId"},
		{"unlinked client", unlinked.bearer(), ring(nil), 403, "NOT_LINKED", "linked"},
		{"unlinked camera", cli.bearer(), map[string]any{"targetDeviceId": otherCam.ID,
			"commandType": "take_snapshot"}, 403, "NOT_LINKED", "linked"},
		{"camera as source", cam.bearer(), ring(nil), 403, "NOT_A_CLIENT", "client"},
		{"user without source", u.bearer(), ring(nil), 400, "INVALID_ID", "sourceDeviceId"},
		{"user naming a camera", u.bearer(), map[string]any{"sourceDeviceId": cam.ID,
			"targetDeviceId": cam.ID, "commandType": "take_snapshot"}, 422, "WRONG_ROLE",
			"sourceDeviceId"},
		{"no credentials", nil, ring(nil), 401, "UNAUTHORIZED", "sign in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := expectError(t, e.do("POST", "/commands", tc.body, tc.from...), tc.status, tc.code)
			if !strings.Contains(body.Message, tc.names) {
				t.Fatalf("message %q does not name %q", body.Message, tc.names)
			}
		})
	}

	t.Run("user on behalf of a client", func(t *testing.T) {
		c := decodeAs[commandAnswer](t, e.do("POST", "/commands", map[string]any{
			"sourceDeviceId": cli.ID, "targetDeviceId": cam.ID, "commandType": "set_motion_sensitivity",
			"payload": map[string]any{"level": "high"}, "ttlSeconds": 3600}, u.bearer()...),
			http.StatusCreated).Command
		if c.SourceDeviceID != persistence.DeviceID(cli.ID) || c.ExpiresAt.Sub(c.CreatedAt) != time.Hour {
			t.Fatalf("command %+v", c)
		}
	})
}

func TestCommandForAnOfflineCameraWaitsAndIdempotencyKeyReturnsTheSameCommand(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	base := e.listenWS()
	wsCli := dial(t, base, cli)
	e.waitOnline(u, cli, true)

	body := map[string]any{"targetDeviceId": cam.ID, "commandType": "take_snapshot",
		"idempotencyKey": "snap-1"}
	first := e.sendCommand(cli, body, http.StatusCreated)
	retry := e.sendCommand(cli, body, http.StatusOK)
	if retry.ID != first.ID {
		t.Fatalf("retry made command %s, first was %s", retry.ID, first.ID)
	}
	body["commandType"] = "switch_camera"
	expectError(t, e.do("POST", "/commands", body, cli.bearer()...), http.StatusConflict,
		"IDEMPOTENCY_KEY_REUSED")
	expectStatus(t, wsCli, first.ID, persistence.CommandQueued)

	wsCam := dial(t, base, cam)
	if got := expectCommand(t, wsCam, "command:received"); got.ID != first.ID {
		t.Fatalf("camera received %s, want %s", got.ID, first.ID)
	}
	expectStatus(t, wsCli, first.ID, persistence.CommandDelivered)

	list := decodeAs[struct{ Commands []wire.Command }](t, e.do("GET",
		"/commands?status=delivered&deviceId="+cam.ID, nil, u.bearer()...), http.StatusOK)
	if len(list.Commands) != 1 || list.Commands[0].ID != first.ID {
		t.Fatalf("GET /commands answered %+v", list.Commands)
	}
	expectNoEvent(t, wsCam, "command:received", 300*time.Millisecond)
}

func TestCommandExpiresWhenNobodyAnswersAndLateAcksAreRefused(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	base := e.listenWS()
	wsCli := dial(t, base, cli)
	e.waitOnline(u, cli, true)

	sent := e.sendCommand(cli, map[string]any{"targetDeviceId": cam.ID,
		"commandType": "take_snapshot", "ttlSeconds": 1}, http.StatusCreated)
	expired := expectStatus(t, wsCli, sent.ID, persistence.CommandExpired)
	if expired.DeliveredAt != nil {
		t.Fatalf("expired command says it was delivered: %+v", expired)
	}
	expectError(t, e.do("POST", "/commands/"+string(sent.ID)+"/ack",
		map[string]any{"status": "acknowledged"}, cam.bearer()...), http.StatusConflict, "COMMAND_FINAL")

	wsCam := dial(t, base, cam)
	e.waitOnline(u, cam, true)
	expectNoEvent(t, wsCam, "command:received", 300*time.Millisecond)
}

func TestOnlyTheTargetMayAckACommand(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	cam2 := e.register(u, "cam2", "camera")
	stranger := e.register(e.signUp("other@example.com"), "theirs", "camera")
	sent := e.sendCommand(cli, map[string]any{"targetDeviceId": cam.ID,
		"commandType": "take_snapshot"}, http.StatusCreated)
	path := "/commands/" + string(sent.ID) + "/ack"
	ack := map[string]any{"status": "acknowledged"}

	expectError(t, e.do("POST", path, ack, cam2.bearer()...), http.StatusForbidden, "NOT_COMMAND_TARGET")
	expectError(t, e.do("POST", path, ack, cli.bearer()...), http.StatusForbidden, "NOT_COMMAND_TARGET")
	expectError(t, e.do("POST", path, ack, stranger.bearer()...), http.StatusNotFound,
		"COMMAND_NOT_FOUND")
	expectError(t, e.do("POST", path, ack, u.bearer()...), http.StatusUnauthorized,
		"INVALID_DEVICE_TOKEN")
	expectError(t, e.do("POST", path, map[string]any{"status": "done"}, cam.bearer()...),
		http.StatusBadRequest, "INVALID_STATUS")
	got := decodeAs[commandAnswer](t, e.do("POST", path, ack, cam.bearer()...), http.StatusOK).Command
	if got.Status != persistence.CommandAcknowledged {
		t.Fatalf("target's ack left %s", got.Status)
	}
}

func TestCommandsSurviveARestartBetweenRequestAndDelivery(t *testing.T) {
	e := newTestEnv(t)
	u, cam, cli := commandSetup(t, e)
	e.listen()
	waiting := e.sendCommand(cli, map[string]any{"targetDeviceId": cam.ID,
		"commandType": "take_snapshot"}, http.StatusCreated)
	dying := e.sendCommand(cli, map[string]any{"targetDeviceId": cam.ID,
		"commandType": "stop_stream", "ttlSeconds": 1}, http.StatusCreated)

	e2 := e.restart()
	base := e2.listenWS()
	wsCli := dial(t, base, cli)
	e2.waitOnline(u, cli, true)
	waitCommandStatus(t, e2, u, dying.ID, persistence.CommandExpired)

	wsCam := dial(t, base, cam)
	got := expectCommand(t, wsCam, "command:received")
	if got.ID != waiting.ID {
		t.Fatalf("after the restart the camera received %s, want %s", got.ID, waiting.ID)
	}
	ackFrame(t, wsCam, got.ID, "acknowledged")
	expectStatus(t, wsCli, waiting.ID, persistence.CommandAcknowledged)
	expectNoEvent(t, wsCam, "command:received", 300*time.Millisecond)
}

func TestConcurrentCommandsFromSeveralClientsAreEachDeliveredOnce(t *testing.T) {
	const clients, perClient = 4, 50
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")
	var clis []registered
	for i := range clients {
		c := e.register(u, fmt.Sprintf("phone%d", i), "client")
		e.link(u, cam, c)
		clis = append(clis, c)
	}
	base := e.listenWS()
	httpBase := "http" + strings.TrimPrefix(base, "ws")
	wsCam := dial(t, base, cam)
	e.waitOnline(u, cam, true)

	accepted := make(chan persistence.CommandID, clients*perClient)
	var wg sync.WaitGroup
	for _, c := range clis {
		for range perClient {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := postJSON(httpBase, "/commands", c.Token, map[string]any{
					"targetDeviceId": cam.ID, "commandType": "take_snapshot"})
				if err != nil {
					t.Error(err)
					return
				}
				out := decodeAs[commandAnswer](t, resp, http.StatusCreated)
				accepted <- out.Command.ID
			}()
		}
	}
	received := map[persistence.CommandID]int{}
	for len(received) < clients*perClient {
		c := expectCommand(t, wsCam, "command:received")
		received[c.ID]++
		ackFrame(t, wsCam, c.ID, "acknowledged")
	}
	wg.Wait()
	close(accepted)
	for id := range accepted {
		if received[id] != 1 {
			t.Fatalf("command %s received %d times", id, received[id])
		}
	}
	expectNoEvent(t, wsCam, "command:received", 300*time.Millisecond)
	waitAllAcknowledged(t, e, u, clients*perClient)
}

// waitAllAcknowledged waits until GET /commands shows n acknowledged.
func waitAllAcknowledged(t *testing.T, e *testEnv, u user, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		list := decodeAs[struct{ Commands []wire.Command }](t, e.do("GET",
			"/commands?status=acknowledged&limit=200", nil, u.bearer()...), http.StatusOK)
		next := decodeAs[struct{ Commands []wire.Command }](t, e.do("GET",
			"/commands?status=acknowledged&limit=200&cursor="+cursorAfter(list.Commands), nil,
			u.bearer()...), http.StatusOK)
		if got := len(list.Commands) + len(next.Commands); got == n {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%d commands acknowledged, want %d", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cursorAfter(cmds []wire.Command) string {
	if len(cmds) == 0 {
		return ""
	}
	last := cmds[len(cmds)-1]
	return encodeCursor(last.CreatedAt, string(last.ID))
}

// waitCommandStatus waits until GET /commands shows id with status.
func waitCommandStatus(t *testing.T, e *testEnv, u user, id persistence.CommandID,
	status persistence.CommandStatus) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		list := decodeAs[struct{ Commands []wire.Command }](t, e.do("GET",
			"/commands?status="+string(status), nil, u.bearer()...), http.StatusOK)
		for _, c := range list.Commands {
			if c.ID == id {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("command %s never became %s", id, status)
}
