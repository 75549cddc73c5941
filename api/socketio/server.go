package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
)

// Handler decides what a Socket.IO connection is. Connect runs when a
// client sends CONNECT, with the token from its auth object or, failing
// that, from the handshake's Authorization: Bearer header or ?token=.
// An error refuses the connection: its text is sent to the client, so it
// must be fit for one. On success the server confirms the connection and
// then calls the Peer's Open.
type Handler interface {
	Connect(ctx context.Context, token string) (Peer, error)
}

// Peer is the application's side of one connected socket. Open is called
// once, before any Event; Event runs on the goroutine reading the client,
// so it must not block; Closed is called once, on a goroutine of its own,
// when the socket ends for any reason.
type Peer interface {
	Open(s *Socket)
	Event(name string, data json.RawMessage, ackID string)
	Closed()
}

// ErrClosed is returned by a Socket whose session has ended.
var ErrClosed = errors.New("socketio: session closed")

// ErrSlowClient is returned when packets pile up past Config.QueueLimit;
// the session is closed with it.
var ErrSlowClient = errors.New("socketio: client does not read; session closed")

// Server holds the sessions and serves /socket.io/.
type Server struct {
	cfg     Config
	handler Handler

	mu       sync.Mutex // guards sessions and closing
	sessions map[string]*session
	closing  bool
}

// NewServer returns a server that hands connections to h.
func NewServer(cfg Config, h Handler) *Server {
	return &Server{cfg: cfg.withDefaults(), handler: h, sessions: map[string]*session{}}
}

// Handler serves GET and POST on the Socket.IO path.
func (s *Server) Handler() fiber.Handler {
	ws := websocket.New(s.serveWebsocket, websocket.Config{
		ReadBufferSize:  512,
		WriteBufferSize: 1024,
	})
	return func(c *fiber.Ctx) error {
		if c.Query("EIO") != "4" {
			return engineError(c, fiber.StatusBadRequest, errUnsupported)
		}
		switch c.Query("transport") {
		case "polling":
			return s.servePolling(c)
		case "websocket":
			if sid := c.Query("sid"); sid != "" && s.lookup(sid) == nil {
				return engineError(c, fiber.StatusBadRequest, errSessionUnknown)
			}
			if !websocket.IsWebSocketUpgrade(c) {
				return engineError(c, fiber.StatusBadRequest, errBadRequest)
			}
			c.Locals(tokenLocal, handshakeToken(c))
			return ws(c)
		}
		return engineError(c, fiber.StatusBadRequest, errTransportUnknown)
	}
}

// tokenLocal carries the handshake's token into the websocket handler; a
// string key, as the websocket upgrade copies only those.
const tokenLocal = "socketio.token"

// Count returns how many sessions are held.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close refuses new sessions and closes every session without a Socket.IO
// DISCONNECT, so that clients reconnect to the next server.
func (s *Server) Close() {
	s.mu.Lock()
	s.closing = true
	all := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	for _, sess := range all {
		sess.close("server shutting down", true)
	}
}

// open registers a new session, or returns nil when the server is full or
// closing.
func (s *Server) open(token string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || len(s.sessions) >= s.cfg.MaxSessions {
		return nil
	}
	sess := newSession(s, token)
	s.sessions[sess.id] = sess
	return sess
}

func (s *Server) lookup(sid string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[sid]
}

func (s *Server) forget(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sid)
}

// openPacket is the handshake's answer, Engine.IO's open packet.
func (s *Server) openPacket(sid string, upgrades []string) string {
	b, _ := json.Marshal(struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		PingTimeout  int64    `json:"pingTimeout"`
		MaxPayload   int      `json:"maxPayload"`
	}{sid, upgrades, s.cfg.PingInterval.Milliseconds(), s.cfg.PingTimeout.Milliseconds(),
		s.cfg.MaxPayload})
	return string(eioOpen) + string(b)
}

// engineError answers in Engine.IO's error shape.
func engineError(c *fiber.Ctx, status, code int) error {
	return c.Status(status).JSON(fiber.Map{"code": code, "message": eioMessages[code]})
}

// busy answers a handshake the server cannot take now.
func busy(c *fiber.Ctx) error {
	return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"code": errBadRequest,
		"message": "Server busy or shutting down; retry later"})
}

// handshakeToken is the device token of the handshake request: the
// Authorization: Bearer header, or ?token= for browsers.
func handshakeToken(c *fiber.Ctx) string {
	scheme, token, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return c.Query("token")
}

// isDigits reports whether s is a non-empty run of ASCII digits that fits
// an ack id (the reference client counts from 0 upward).
func isDigits(s string) bool {
	if s == "" || len(s) > 15 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
