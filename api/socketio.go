package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/socketio"
	"github.com/vigil-oss/vigil/persistence"
)

// Errors a Socket.IO client sees in connect_error. Their text is sent as is.
var (
	errSIOBadToken = errors.New("invalid device token: send it as auth.token, " +
		"Authorization: Bearer or ?token=")
	errSIOUnavailable = errors.New("devices cannot be checked now; retry later")
)

// mountSocketIO serves Socket.IO at /socket.io/ for apps written against
// the Node backend: the same device actors, events and rules as /ws.
//
//	@Summary	Socket.IO v5 / Engine.IO v4
//	@Description	Long-polling (GET receives, POST sends text/plain packets) and the websocket upgrade,
//	@Description	with the same events as /ws. The device token goes in the CONNECT's auth.token,
//	@Description	Authorization: Bearer or ?token=.
//	@Tags	realtime
//	@Accept	plain
//	@Produce	plain
//	@Security	deviceBearer
//	@Param	EIO query int true "Engine.IO protocol version, 4"
//	@Param	transport query string true "polling or websocket" Enums(polling, websocket)
//	@Param	sid query string false "session id, after the handshake"
//	@Param	token query string false "device token"
//	@Success	200 {string} string "Engine.IO packets"
//	@Success	101 "Switching Protocols"
//	@Failure	400,413 {object} object{code=int,message=string} "Engine.IO's error body"
//	@Router	/socket.io/ [get]
//	@Router	/socket.io/ [post]
func (s *Server) mountSocketIO() {
	s.sio = socketio.NewServer(socketio.Config{
		PingInterval: s.realtime.PingInterval,
		PingTimeout:  s.realtime.PingTimeout,
		MaxPayload:   int(s.realtime.MaxFrameBytes),
		MaxSessions:  s.realtime.MaxSessions,
		QueueLimit:   s.realtime.OutboxLimit,
		WriteTimeout: s.realtime.WriteTimeout,
		Logger:       s.log.With("transport", "socket.io"),
	}, sioGateway{s})
	h := s.sio.Handler()
	s.app.Get("/socket.io/", h)
	s.app.Post("/socket.io/", h)
}

// sioGateway authenticates Socket.IO connections by device token.
type sioGateway struct{ s *Server }

func (g sioGateway) Connect(ctx context.Context, token string) (socketio.Peer, error) {
	d, err := g.s.deviceByToken(ctx, token)
	if errors.Is(err, errBadDeviceToken) {
		return nil, errSIOBadToken
	}
	if err != nil {
		g.s.log.Warn("socket.io connect: device lookup failed", "err", err)
		return nil, errSIOUnavailable
	}
	return &sioPeer{s: g.s, device: d, log: g.s.log.With("deviceID", d.ID, "userID", d.UserID,
		"transport", "socket.io")}, nil
}

// sioPeer is one device's Socket.IO socket: a connection actor writing
// through the Socket.IO session, exactly as serveSocket does for /ws.
type sioPeer struct {
	s      *Server
	device persistence.Device
	log    *slog.Logger

	conn           *actor.PID // nil when the server was shutting down
	stopOnShutdown func()
}

func (p *sioPeer) Open(sock *socketio.Socket) {
	if !p.s.sockets.add(transportSocketIO) {
		sock.Close()
		return
	}
	root := p.s.actors.Root()
	p.conn = root.SpawnPrefix(p.s.connProps(sioTransport{sock}, p.device, p.log),
		"conn/"+string(p.device.ID)+"/")
	conn := p.conn
	p.stopOnShutdown = p.s.sockets.onClose(func() {
		root.Send(conn, &actors.CloseConnection{Code: actors.CloseGoingAway,
			Reason: "server shutting down"})
	})
}

func (p *sioPeer) Event(name string, data json.RawMessage, ackID string) {
	if p.conn != nil {
		p.s.forwardFrame(p.conn, p.device.ID, inbound{event: name, data: data, ackID: ackID})
	}
}

// Closed stops the connection actor and waits until the device actor has
// recorded the close, so that a reconnect is never taken for a replacement
// of a socket that is already gone.
func (p *sioPeer) Closed() {
	if p.conn == nil {
		return
	}
	defer p.s.sockets.done(transportSocketIO)
	p.stopOnShutdown()
	if err := p.s.actors.Root().StopFuture(p.conn).Wait(); err != nil {
		p.log.Warn("connection actor did not stop in time", "err", err)
	}
	_, err := p.s.actors.Ask(actors.KindDevice, string(p.device.ID),
		&actors.ConnectionClosed{Conn: p.conn}, p.s.actorTimeout)
	if err != nil {
		p.log.Warn("device actor did not record the closed socket", "err", err)
	}
}

// sioTransport writes a connection actor's events as Socket.IO packets.
type sioTransport struct{ sock *socketio.Socket }

func (t sioTransport) writeEvent(event string, data json.RawMessage) error {
	return t.sock.Emit(event, data)
}

func (t sioTransport) writeAck(id string, data []byte) error { return t.sock.Ack(id, data) }

// close maps websocket close codes onto Socket.IO: an application code
// (replaced, revoked, disabled) is a server DISCONNECT, which clients do
// not retry by themselves; shutdown and failures only drop the transport,
// so clients reconnect.
func (t sioTransport) close(code int, _ string) {
	if code >= actors.CloseReplaced {
		t.sock.Disconnect()
		return
	}
	t.sock.Close()
}

func (t sioTransport) abort() { t.sock.Close() }
