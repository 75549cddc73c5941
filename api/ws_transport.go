package api

import (
	"encoding/json"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
)

// transport is how a connection actor reaches its client: a websocket for
// /ws, a Socket.IO session for /socket.io/. The actor is its only caller,
// so one actor and one set of rules (outbox bound, replacement, revocation)
// serve both.
type transport interface {
	// writeEvent sends one event; an error means the client is gone.
	writeEvent(event string, data json.RawMessage) error
	// writeAck answers a frame that carried an ack id.
	writeAck(id string, data []byte) error
	// close ends the connection, telling the client why with a websocket
	// close code (actors.Close*) and reason.
	close(code int, reason string)
	// abort ends the connection at once; it is safe from any goroutine.
	abort()
}

// pinger is a transport whose liveness the connection actor checks with
// its own pings; Socket.IO pings inside its protocol instead.
type pinger interface {
	ping() error
}

// wsTransport is the plain websocket of /ws.
type wsTransport struct {
	ws           *websocket.Conn
	writeTimeout time.Duration
}

func (t wsTransport) writeEvent(event string, data json.RawMessage) error {
	b, err := json.Marshal(frame{Event: event, Data: data})
	if err != nil {
		return err
	}
	t.ws.SetWriteDeadline(time.Now().Add(t.writeTimeout))
	return t.ws.WriteMessage(websocket.TextMessage, b)
}

// writeAck drops the answer: /ws frames carry no ack id, so none is asked.
func (t wsTransport) writeAck(string, []byte) error { return nil }

func (t wsTransport) ping() error {
	return t.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(t.writeTimeout))
}

// close sends a close frame and gives the client closeGrace to answer it
// before the reader stops waiting.
func (t wsTransport) close(code int, reason string) {
	msg := fws.FormatCloseMessage(code, reason)
	t.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace))
	t.ws.SetReadDeadline(time.Now().Add(closeGrace))
}

func (t wsTransport) abort() { abort(t.ws) }
