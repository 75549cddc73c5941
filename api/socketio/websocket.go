package socketio

import (
	"context"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
)

// Websocket close codes (RFC 6455 section 7.4.1) for a client that breaks
// the protocol.
const (
	closeUnsupported = 1003
	closePolicy      = 1008
	closeTryLater    = 1013
)

// serveWebsocket runs for the life of one websocket: a new session when
// the client came straight to websocket, or the upgrade of a polling one.
// It reads; the session's writer goroutine alone writes messages.
func (s *Server) serveWebsocket(ws *websocket.Conn) {
	ws.SetReadLimit(int64(s.cfg.MaxPayload))
	var sess *session
	if sid := ws.Query("sid"); sid != "" {
		if sess = s.lookup(sid); sess == nil || !sess.probe(ws) {
			closeWS(ws, closePolicy, "upgrade failed")
			return
		}
	} else {
		token, _ := ws.Locals(tokenLocal).(string)
		if sess = s.open(token); sess == nil {
			closeWS(ws, closeTryLater, "server busy or shutting down")
			return
		}
		sess.mu.Lock()
		sess.ws = ws
		sess.mu.Unlock()
		sess.send(s.openPacket(sess.id, []string{}))
	}
	sess.log.Debug("socket.io websocket open")

	done := make(chan struct{})
	go func() {
		defer close(done)
		sess.writeLoop(ws)
	}()
	sess.readLoop(ws)
	<-done
}

// probe carries out the upgrade from polling: 2probe is answered 3probe,
// the waiting poll is released, and 5 switches the session over.
func (s *session) probe(ws *websocket.Conn) bool {
	ws.SetReadDeadline(time.Now().Add(s.srv.cfg.PingTimeout))
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != "2probe" {
		return false
	}
	s.mu.Lock()
	if s.ws != nil || s.closed {
		s.mu.Unlock()
		return false
	}
	s.upgrading = true
	s.mu.Unlock()
	s.signal()

	ws.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	err := ws.WriteMessage(websocket.TextMessage, []byte("3probe"))
	var data []byte
	if err == nil {
		_, data, err = ws.ReadMessage()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upgrading = false
	if err != nil || string(data) != string(eioUpgrade) || s.closed {
		return false
	}
	s.ws = ws
	return true
}

// readLoop reads until the websocket fails; a client that breaks the
// protocol is told why in the close frame.
func (s *session) readLoop(ws *websocket.Conn) {
	idle := s.srv.cfg.PingInterval + s.srv.cfg.PingTimeout
	for {
		ws.SetReadDeadline(time.Now().Add(idle))
		kind, data, err := ws.ReadMessage()
		if err != nil {
			s.close("websocket read ended: "+err.Error(), false)
			return
		}
		if kind != websocket.TextMessage {
			closeWS(ws, closeUnsupported, errBinary.Error())
			s.close(errBinary.Error(), false)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.WriteTimeout)
		err = s.receive(ctx, string(data))
		cancel()
		if err != nil {
			s.log.Debug("bad socket.io packet; closing", "err", err)
			closeWS(ws, closePolicy, err.Error())
			s.close(err.Error(), false)
			return
		}
	}
}

// writeLoop writes queued packets until the session ends, then closes the
// websocket, which also ends readLoop.
func (s *session) writeLoop(ws *websocket.Conn) {
	defer abortWS(ws)
	for {
		packets, done := s.take()
		for _, p := range packets {
			ws.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
			if err := ws.WriteMessage(websocket.TextMessage, []byte(p)); err != nil {
				s.close("websocket write failed", false)
				return
			}
		}
		if done {
			closeWS(ws, fws.CloseNormalClosure, "")
			return
		}
		<-s.wake
	}
}

func closeWS(ws *websocket.Conn, code int, reason string) {
	ws.WriteControl(websocket.CloseMessage, fws.FormatCloseMessage(code, reason),
		time.Now().Add(time.Second))
}

// abortWS ends a websocket at once: fasthttp owns the hijacked connection,
// so deadlines in the past stop its reader and writer and the handler's
// return closes it.
func abortWS(ws *websocket.Conn) {
	now := time.Now()
	ws.NetConn().SetWriteDeadline(now)
	ws.NetConn().SetReadDeadline(now)
}
