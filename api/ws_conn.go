package api

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gofiber/contrib/websocket"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
)

// closeGrace is how long a closing socket waits for the client's close
// frame before the read side gives up.
const closeGrace = time.Second

// maxReattaches bounds how often a socket opens itself again to a device
// actor that keeps terminating (Postgres down, repeated failures) before
// the socket is closed with 1011 and the client reconnects later.
const maxReattaches = 3

// pingDue is the connection actor's own timer.
type pingDue struct{}

// connActor is one open socket, /ws or Socket.IO. It is the transport's
// only writer, and its mailbox is the socket's outbox: outboxGuard drops a
// client whose frames pile up, and WriteTimeout (or the Socket.IO queue
// bound) drops one that stops reading, so a slow client costs bounded
// memory and never stalls a device actor.
type connActor struct {
	srv    *Server
	t      transport
	device persistence.Device
	log    *slog.Logger

	ping       *time.Timer
	closed     bool // a close frame was sent or the socket failed
	reattaches int
}

// connSupervision stops a failing connection actor instead of restarting
// it: its socket closes and the client reconnects to a clean state.
var connSupervision = actor.NewOneForOneStrategy(0, 0, func(any) actor.Directive {
	return actor.StopDirective
})

func (s *Server) connProps(t transport, d persistence.Device, log *slog.Logger) *actor.Props {
	guard := &outboxGuard{limit: int32(s.realtime.OutboxLimit), drop: func() {
		log.Warn("dropping a socket that does not read", "outboxLimit", s.realtime.OutboxLimit)
		t.abort()
	}}
	return actor.PropsFromProducer(func() actor.Actor {
		return &connActor{srv: s, t: t, device: d, log: log}
	}, actor.WithMailbox(actor.Unbounded(guard)), actor.WithGuardian(connSupervision))
}

// Receive dispatches each message to its handler.
func (c *connActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		c.started(ctx)
	case *actor.Stopping:
		c.stopping()
	case *actor.Terminated:
		c.deviceTerminated(ctx)
	case *actors.DeviceRestarted:
		c.attach(ctx)
	case *actors.SendEvent:
		c.write(ctx, msg)
	case *actors.AckResult:
		c.answer(ctx, msg)
	case *actors.CloseConnection:
		c.closeWith(msg.Code, msg.Reason)
	case *pingDue:
		c.sendPing(ctx)
	}
}

func (c *connActor) started(ctx actor.Context) {
	self, root := ctx.Self(), ctx.ActorSystem().Root
	if _, ok := c.t.(pinger); ok {
		c.ping = time.AfterFunc(c.srv.realtime.PingInterval, func() { root.Send(self, &pingDue{}) })
	}
	c.attach(ctx)
	c.log.Info("device socket opened")
}

// attach opens the socket to the device actor, watching it so that a
// passivation race or a stop after repeated failures is noticed.
func (c *connActor) attach(ctx actor.Context) {
	pid := c.srv.actors.Directory().Get(actors.KindDevice, string(c.device.ID))
	ctx.Watch(pid)
	ctx.Send(pid, &actors.ConnectionOpened{Conn: ctx.Self(), TokenHash: c.device.TokenHash})
}

func (c *connActor) deviceTerminated(ctx actor.Context) {
	if c.closed {
		return
	}
	c.reattaches++
	if c.reattaches > maxReattaches {
		c.log.Warn("device actor keeps terminating; closing socket")
		c.closeWith(actors.CloseUnavailable, "device unavailable; reconnect later")
		return
	}
	c.attach(ctx)
}

func (c *connActor) write(ctx actor.Context, msg *actors.SendEvent) {
	if c.closed {
		return
	}
	data := json.RawMessage(msg.Data)
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	if err := c.t.writeEvent(msg.Event, data); err != nil {
		c.fail(ctx, err)
	}
}

// ackBody is the argument of a Socket.IO acknowledgement: {"ok":true}, or
// ok false with the error event's code and message.
type ackBody struct {
	OK      bool   `json:"ok"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

func (c *connActor) answer(ctx actor.Context, msg *actors.AckResult) {
	if c.closed {
		return
	}
	b, _ := json.Marshal(ackBody{OK: msg.Code == "", Code: msg.Code, Message: msg.Message})
	if err := c.t.writeAck(msg.AckID, b); err != nil {
		c.fail(ctx, err)
	}
}

func (c *connActor) sendPing(ctx actor.Context) {
	if c.closed {
		return
	}
	if err := c.t.(pinger).ping(); err != nil {
		c.fail(ctx, err)
		return
	}
	c.ping.Reset(c.srv.realtime.PingInterval)
}

// closeWith tells the client why its socket ends.
func (c *connActor) closeWith(code int, reason string) {
	if c.closed {
		return
	}
	c.closed = true
	c.t.close(code, reason)
	c.log.Info("device socket closed by server", "code", code, "reason", reason)
}

// fail gives up on a socket that cannot be written to.
func (c *connActor) fail(ctx actor.Context, err error) {
	c.log.Info("device socket write failed", "err", err)
	c.closed = true
	c.t.abort()
	ctx.Stop(ctx.Self())
}

// stopping closes the socket if nothing has yet, which ends the reader
// when the actor stops for another reason than the socket's end.
func (c *connActor) stopping() {
	if c.ping != nil {
		c.ping.Stop()
	}
	if !c.closed {
		c.closed = true
		c.t.abort()
	}
}

// abort ends a socket at once. After the upgrade fasthttp owns the
// connection and its Close is a no-op (KeepHijackedConns is off); deadlines
// in the past end the reader and any stuck write, the handler returns, and
// fasthttp closes the connection then.
func abort(ws *websocket.Conn) {
	now := time.Now()
	ws.NetConn().SetWriteDeadline(now)
	ws.NetConn().SetReadDeadline(now)
}
