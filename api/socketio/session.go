package socketio

import (
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
)

// session is one Engine.IO session. Packets for the client wait in queue
// until a polling GET takes them or, once upgraded, the websocket writer
// does; the queue is bounded, so a client that stops reading costs a
// bounded amount of memory and never blocks whoever sends to it.
type session struct {
	srv   *Server
	id    string
	token string // from the handshake; the CONNECT's auth wins over it
	log   *slog.Logger

	wake chan struct{} // signalled when queue grows or the session ends

	mu         sync.Mutex // guards every field below
	queue      []string
	polling    bool            // a GET is waiting on the queue
	ws         *websocket.Conn // the websocket once upgraded; nil while polling
	upgrading  bool            // a websocket probe answered, upgrade not yet sent
	closed     bool
	awaitPong  bool
	timer      *time.Timer
	connecting bool
	peer       Peer // set once a Socket.IO CONNECT succeeded
}

func newSession(srv *Server, token string) *session {
	sess := &session{srv: srv, id: newID(), token: token, wake: make(chan struct{}, 1)}
	sess.log = srv.cfg.Logger.With("sessionID", sess.id)
	sess.mu.Lock() // heartbeat may run before AfterFunc returns
	sess.timer = time.AfterFunc(srv.cfg.PingInterval, sess.heartbeat)
	sess.mu.Unlock()
	return sess
}

// heartbeat runs on the session's timer: it pings after PingInterval and
// closes the session when the pong has not come within PingTimeout. A
// client that never polls never sees the ping, so an abandoned session
// ends after PingInterval+PingTimeout. So does one that never CONNECTs.
func (s *session) heartbeat() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.awaitPong || s.peer == nil && !s.connecting {
		s.mu.Unlock()
		reason := "ping timeout"
		if !s.awaitPong {
			reason = "no Socket.IO CONNECT"
		}
		s.close(reason, true)
		return
	}
	s.awaitPong = true
	s.timer.Reset(s.srv.cfg.PingTimeout)
	s.mu.Unlock()
	s.send(string(eioPing))
}

// pong records the client's answer and schedules the next ping.
func (s *session) pong() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.awaitPong && !s.closed {
		s.awaitPong = false
		s.timer.Reset(s.srv.cfg.PingInterval)
	}
}

// send queues one packet. A full queue closes the session.
func (s *session) send(packet string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if len(s.queue) >= s.srv.cfg.QueueLimit {
		s.mu.Unlock()
		s.log.Warn("dropping a socket.io client that does not read",
			"queueLimit", s.srv.cfg.QueueLimit)
		s.close("client does not read", false)
		return ErrSlowClient
	}
	s.queue = append(s.queue, packet)
	s.mu.Unlock()
	s.signal()
	return nil
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take empties the queue; done reports that the session has ended.
func (s *session) take() (packets []string, done bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	packets, s.queue = s.queue, nil
	return packets, s.closed
}

// close ends the session once. With goodbye the client is sent Engine.IO's
// close packet, which it treats as a lost transport and reconnects after;
// without it the transport is simply dropped.
func (s *session) close(reason string, goodbye bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.timer.Stop()
	if goodbye {
		s.queue = append(s.queue, string(eioClose))
	} else {
		s.queue = nil
	}
	peer := s.peer
	// A polling client learns of the close from its next GET, so the
	// session lingers, ended, until that GET or PingTimeout.
	linger := goodbye && s.ws == nil
	ws := s.ws
	s.mu.Unlock()

	if ws != nil && !goodbye {
		abortWS(ws) // the writer may be stuck on a client that reads nothing
	}
	if linger {
		time.AfterFunc(s.srv.cfg.PingTimeout, func() { s.srv.forget(s.id) })
	} else {
		s.srv.forget(s.id)
	}
	s.signal()
	s.log.Debug("socket.io session closed", "reason", reason)
	if peer != nil {
		go peer.Closed()
	}
}
