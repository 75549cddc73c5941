package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

// commandAnswer is the body of POST /commands and the HTTP ack.
type commandAnswer struct {
	Command wire.Command `json:"command"`
}

// sendCommand posts a command as the client device and expects want.
func (e *testEnv) sendCommand(from registered, body map[string]any, want int) wire.Command {
	e.t.Helper()
	return decodeAs[commandAnswer](e.t, e.do("POST", "/commands", body, from.bearer()...), want).Command
}

// expectCommand reads frames until event arrives and returns its command.
func expectCommand(t *testing.T, ws *fws.Conn, event string) wire.Command {
	t.Helper()
	var c wire.Command
	if err := json.Unmarshal(expectEvent(t, ws, event).Data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// expectStatus reads command:status frames until one says status for id.
func expectStatus(t *testing.T, ws *fws.Conn, id persistence.CommandID,
	status persistence.CommandStatus) wire.Command {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c := expectCommand(t, ws, "command:status")
		if c.ID == id && c.Status == status {
			return c
		}
	}
	t.Fatalf("command %s never reached %s", id, status)
	return wire.Command{}
}

// ackFrame sends command:ack on the camera's socket.
func ackFrame(t *testing.T, ws *fws.Conn, id persistence.CommandID, status string) {
	t.Helper()
	err := ws.WriteJSON(map[string]any{"event": "command:ack",
		"data": map[string]any{"commandId": id, "status": status}})
	if err != nil {
		t.Fatal(err)
	}
}

// restart stops this server and its actor system and builds new ones on
// the same database, as a process restart would; the new system recovers
// pending work first, as serve does.
func (e *testEnv) restart() *testEnv {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.srv.Shutdown(ctx)
	e.opts.Actors.Shutdown()
	opts := e.opts
	opts.Actors = actors.New(actors.Config{Store: opts.Devices.(*persistence.Devices),
		Commands: opts.Commands.(*persistence.Commands), Events: opts.Events.(*persistence.Events),
		Logger: opts.Logger})
	e.t.Cleanup(opts.Actors.Shutdown)
	if _, err := opts.Actors.Recover(ctx); err != nil {
		e.t.Fatal(err)
	}
	srv, err := New(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return &testEnv{t: e.t, srv: srv, pool: e.pool, opts: opts}
}

// postJSON sends a request over a real connection, for concurrent senders.
func postJSON(base, path, token string, body any) (*http.Response, error) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return http.DefaultClient.Do(req)
}
