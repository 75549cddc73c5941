package socketio

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// servePolling answers the polling transport: a GET without sid is the
// handshake, a GET with one waits for packets, a POST carries packets.
func (s *Server) servePolling(c *fiber.Ctx) error {
	sid := c.Query("sid")
	if sid == "" {
		if c.Method() != fiber.MethodGet {
			return engineError(c, fiber.StatusBadRequest, errBadRequest)
		}
		sess := s.open(handshakeToken(c))
		if sess == nil {
			return busy(c)
		}
		return textBody(c, s.openPacket(sess.id, []string{"websocket"}))
	}
	sess := s.lookup(sid)
	if sess == nil {
		return engineError(c, fiber.StatusBadRequest, errSessionUnknown)
	}
	if c.Method() == fiber.MethodPost {
		return sess.receivePolling(c)
	}
	return sess.poll(c)
}

// poll is a long-poll: it answers at once with what is queued, or waits up
// to PingInterval for something and answers a noop if nothing came.
func (s *session) poll(c *fiber.Ctx) error {
	s.mu.Lock()
	switch {
	case s.ws != nil:
		s.mu.Unlock()
		return engineError(c, fiber.StatusBadRequest, errBadRequest)
	case s.polling:
		// Two GETs at once is a client bug (Engine.IO forbids it).
		s.mu.Unlock()
		s.close("overlapping polls", false)
		return engineError(c, fiber.StatusBadRequest, errBadRequest)
	}
	s.polling = true
	s.mu.Unlock()

	packets, done := s.await(s.srv.cfg.PingInterval)

	s.mu.Lock()
	s.polling = false
	s.mu.Unlock()
	if done {
		s.srv.forget(s.id)
	}
	if len(packets) == 0 {
		packets = []string{string(eioNoop)}
	}
	return textBody(c, strings.Join(packets, recordSeparator))
}

// await waits up to wait for queued packets. It returns early, possibly
// with none, once the session ends or the websocket takes over.
func (s *session) await(wait time.Duration) (packets []string, done bool) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		upgraded := s.ws != nil || s.upgrading
		s.mu.Unlock()
		packets, done = s.take()
		if len(packets) > 0 || done || upgraded {
			return packets, done
		}
		select {
		case <-s.wake:
		case <-timer.C:
			return nil, false
		}
	}
}

// receivePolling reads a POST's packets. A body past MaxPayload is
// answered 413 and ends the session, as the reference server does.
func (s *session) receivePolling(c *fiber.Ctx) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return engineError(c, fiber.StatusBadRequest, errSessionUnknown)
	}
	body := c.Body()
	if len(body) > s.srv.cfg.MaxPayload {
		s.close("payload too large", false)
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(fiber.Map{"code": errBadRequest,
			"message": "Payload too large"})
	}
	for _, p := range strings.Split(string(body), recordSeparator) {
		if err := s.receive(c.UserContext(), p); err != nil {
			s.log.Debug("bad socket.io packet; closing", "err", err)
			s.close(err.Error(), true)
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"code": errBadRequest,
				"message": err.Error()})
		}
	}
	return textBody(c, "ok")
}

func textBody(c *fiber.Ctx, body string) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=UTF-8")
	return c.SendString(body)
}
