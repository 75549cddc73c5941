package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
)

// Realtime tunes the websocket gateway; zero fields take the defaults.
type Realtime struct {
	// PingInterval is how often the server pings; a socket that answers
	// nothing for two intervals is dropped. Default 25 s, Socket.IO's.
	PingInterval time.Duration
	// WriteTimeout bounds one frame's write: a client that reads nothing
	// for that long is dropped. Default 10 s.
	WriteTimeout time.Duration
	// OutboxLimit is how many frames may wait for a slow client before it
	// is dropped. Default 256.
	OutboxLimit int
	// MaxFrameBytes bounds an incoming frame; a larger one closes the
	// socket with 1009. It is also Socket.IO's maxPayload. Default 64 KiB.
	MaxFrameBytes int64
	// PingTimeout is how long a Socket.IO client may take to answer a
	// ping. Default 20 s, Socket.IO's.
	PingTimeout time.Duration
	// MaxSessions bounds the Socket.IO sessions held in memory.
	// Default 50,000.
	MaxSessions int
}

func (r Realtime) withDefaults() Realtime {
	if r.PingInterval == 0 {
		r.PingInterval = 25 * time.Second
	}
	if r.WriteTimeout == 0 {
		r.WriteTimeout = 10 * time.Second
	}
	if r.OutboxLimit == 0 {
		r.OutboxLimit = 256
	}
	if r.MaxFrameBytes == 0 {
		r.MaxFrameBytes = 64 << 10
	}
	if r.PingTimeout == 0 {
		r.PingTimeout = 20 * time.Second
	}
	if r.MaxSessions == 0 {
		r.MaxSessions = 50_000
	}
	return r
}

// readBufferSize is small because device frames are small and 50,000 idle
// sockets each keep one; larger frames are still read whole.
const readBufferSize = 512

// writeBuffers lends write buffers only while a frame is written, so an
// idle socket holds none.
var writeBuffers = &sync.Pool{}

// frame is the wire shape of every websocket message.
type frame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// maxEventLength bounds an event name; the contract's longest is 16 bytes.
const maxEventLength = 64

// requireUpgrade answers a plain GET /ws in the contract's error shape.
func (s *Server) requireUpgrade(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return newError(fiber.StatusUpgradeRequired, "UPGRADE_REQUIRED",
			"GET /ws must be a websocket upgrade")
	}
	return c.Next()
}

// requireSocketDevice authenticates the upgrade with the device token from
// the Authorization header or, for browsers, ?token=. The access log never
// writes query strings, so the token stays out of the logs.
func (s *Server) requireSocketDevice(c *fiber.Ctx) error {
	token := bearerOf(c)
	if token == "" {
		token = c.Query("token")
	}
	return s.authenticateDevice(c, token)
}

// socketHandler serves GET /ws.
//
//	@Summary	Realtime websocket (upgrade)
//	@Description	Upgrades to a websocket of text JSON frames {event, data}; the device token may also
//	@Description	come as ?token= for browsers. See the README for events and close codes.
//	@Tags	realtime
//	@Produce	json
//	@Security	deviceBearer
//	@Param	token query string false "device token, for browsers that cannot set headers"
//	@Success	101 "Switching Protocols"
//	@Failure	401,403,426 {object} errorBody "the contract's error body"
//	@Router	/ws [get]
func (s *Server) socketHandler() fiber.Handler {
	return websocket.New(s.serveSocket, websocket.Config{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   readBufferSize,
		WriteBufferSize:  1024,
		WriteBufferPool:  writeBuffers,
		RecoverHandler: func(*websocket.Conn) {
			if p := recover(); p != nil {
				s.log.Error("websocket handler panicked", "panic", p)
			}
		},
	})
}

// serveSocket runs for the life of one socket. It spawns the connection
// actor, which alone writes to the socket, then reads frames until the
// socket fails. It returns only once the actor has stopped and the device
// actor has recorded the close: the websocket library recycles the
// connection when this returns.
func (s *Server) serveSocket(ws *websocket.Conn) {
	d := ws.Locals(deviceLocal).(persistence.Device)
	log := s.log.With("deviceID", d.ID, "userID", d.UserID)
	if !s.sockets.add(transportWebsocket) {
		ws.WriteControl(fws.CloseMessage, fws.FormatCloseMessage(actors.CloseGoingAway,
			"server shutting down"), time.Now().Add(time.Second))
		return
	}
	defer s.sockets.done(transportWebsocket)

	t := wsTransport{ws: ws, writeTimeout: s.realtime.WriteTimeout}
	conn := s.actors.Root().SpawnPrefix(s.connProps(t, d, log), "conn/"+string(d.ID)+"/")
	stopOnShutdown := s.sockets.onClose(func() {
		s.actors.Root().Send(conn, &actors.CloseConnection{Code: actors.CloseGoingAway,
			Reason: "server shutting down"})
	})
	s.readFrames(ws, conn, d.ID, log)
	stopOnShutdown()

	if err := s.actors.Root().StopFuture(conn).Wait(); err != nil {
		log.Warn("connection actor did not stop in time", "err", err)
	}
	_, err := s.actors.Ask(actors.KindDevice, string(d.ID), &actors.ConnectionClosed{Conn: conn},
		s.actorTimeout)
	if err != nil {
		log.Warn("device actor did not record the closed socket", "err", err)
	}
}

// readFrames reads until the socket fails. Pongs and frames extend the
// read deadline; silence past two ping intervals ends the socket.
func (s *Server) readFrames(ws *websocket.Conn, conn *actor.PID, id persistence.DeviceID,
	log *slog.Logger) {
	deadline := 2 * s.realtime.PingInterval
	ws.SetReadLimit(s.realtime.MaxFrameBytes)
	ws.SetReadDeadline(time.Now().Add(deadline))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(deadline)) })
	for {
		kind, data, err := ws.ReadMessage()
		if err != nil {
			log.Debug("socket read ended", "err", err)
			return
		}
		ws.SetReadDeadline(time.Now().Add(deadline))
		s.handleFrame(kind, data, conn, id)
	}
}

// handleFrame passes a well-formed frame to the device actor and answers
// a malformed one with an error event, leaving the socket open.
func (s *Server) handleFrame(kind int, data []byte, conn *actor.PID, id persistence.DeviceID) {
	var f frame
	problem := ""
	switch {
	case kind != websocket.TextMessage:
		problem = "frames must be text"
	case json.Unmarshal(data, &f) != nil:
		problem = `frame must be a JSON object {"event", "data"}`
	}
	s.forwardFrame(conn, id, inbound{event: f.Event, data: f.Data, problem: problem})
}

// inbound is one event a device sent, by /ws or Socket.IO.
type inbound struct {
	event   string
	data    json.RawMessage
	ackID   string // Socket.IO's acknowledgement id; "" when none is asked
	problem string // what the transport already found wrong with it
}

// forwardFrame checks an inbound event and passes it to the device actor.
// A bad one is answered at once: through the acknowledgement when the
// client asked for one, else with an error event.
func (s *Server) forwardFrame(conn *actor.PID, id persistence.DeviceID, in inbound) {
	root := s.actors.Root()
	problem := in.problem
	switch {
	case problem != "":
	case in.event == "" || len(in.event) > maxEventLength:
		problem = "event must be a name of 1 to 64 bytes"
	case len(in.data) > 0 && !bytes.HasPrefix(bytes.TrimSpace(in.data), []byte("{")) &&
		!bytes.Equal(in.data, []byte("null")):
		problem = "data must be a JSON object"
	}
	switch {
	case problem != "" && in.ackID != "":
		root.Send(conn, &actors.AckResult{AckID: in.ackID, Code: "INVALID_FRAME", Message: problem})
	case problem != "":
		body, _ := json.Marshal(errorBody{Code: "INVALID_FRAME", Message: problem})
		root.Send(conn, &actors.SendEvent{Event: "error", Data: body})
	default:
		root.Send(s.actors.Directory().Get(actors.KindDevice, string(id)),
			&actors.FrameReceived{Conn: conn, Event: in.event, Data: in.data, AckID: in.ackID})
	}
}
