package actors

import (
	"bytes"
	"encoding/json"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// Websocket close codes Vigil uses. 4000-4999 are for applications
// (RFC 6455 section 7.4.2); clients should reconnect only after 4000.
const (
	CloseReplaced       = 4000
	CloseTokenRevoked   = 4001
	CloseDeviceDisabled = 4003
	// CloseGoingAway (RFC 6455) is sent when the server shuts down.
	CloseGoingAway = 1001
	// CloseUnavailable (RFC 6455 "internal error") is sent when the
	// device's actor cannot be reached.
	CloseUnavailable = 1011
)

// connectionOpened adopts a new socket. One opened with a token that is no
// longer the device's is closed at once: it was revoked between the
// socket's authentication and now. A socket already open is replaced.
func (a *deviceActor) connectionOpened(ctx actor.Context, msg *ConnectionOpened) {
	if a.device.Status != persistence.StatusActive {
		ctx.Send(msg.Conn, &CloseConnection{Code: CloseDeviceDisabled, Reason: "device disabled"})
		return
	}
	if !bytes.Equal(msg.TokenHash, a.device.TokenHash) {
		ctx.Send(msg.Conn, &CloseConnection{Code: CloseTokenRevoked, Reason: "device token revoked"})
		return
	}
	if a.conn != nil && !a.conn.Equal(msg.Conn) {
		ctx.Unwatch(a.conn)
		ctx.Send(a.conn, &CloseConnection{Code: CloseReplaced, Reason: "replaced by a newer connection"})
		a.log.Info("device socket replaced")
	}
	a.conn = msg.Conn
	a.told = map[persistence.DeviceID]bool{}
	ctx.Watch(a.conn)
	a.recordSeen()
	a.updatePresence(ctx)
	for link := range a.links {
		ctx.Send(a.sys.dir.Get(KindLink, string(link)), &PeerPresenceRequested{DeviceID: a.id})
	}
	a.deliverHeld(ctx)
}

// connGone forgets the socket when conn is the current one. The late close
// of a replaced socket is ignored, so it cannot mark the device offline.
func (a *deviceActor) connGone(ctx actor.Context, conn *actor.PID) {
	if a.conn == nil || !a.conn.Equal(conn) {
		return
	}
	ctx.Unwatch(a.conn)
	a.conn = nil
	a.recordSeen()
	a.updatePresence(ctx)
}

// tokenChanged applies a rotation or a disabling made in Postgres and
// closes a socket whose token no longer holds.
func (a *deviceActor) tokenChanged(ctx actor.Context, msg *TokenChanged) {
	a.device.TokenHash, a.device.Status = msg.TokenHash, msg.Status
	if a.conn != nil {
		code, reason := CloseTokenRevoked, "device token revoked"
		if msg.Status != persistence.StatusActive {
			code, reason = CloseDeviceDisabled, "device disabled"
		}
		ctx.Unwatch(a.conn)
		ctx.Send(a.conn, &CloseConnection{Code: code, Reason: reason})
		a.conn = nil
		a.recordSeen()
		a.log.Info("device socket closed", "reason", reason)
	}
	a.updatePresence(ctx)
	a.respond(ctx, a.report())
}

// frameProblem is what went wrong with an inbound frame, in the contract's
// {code, message} terms.
type frameProblem struct {
	code, message string
}

// frameReceived handles what a device sends on its socket: command:ack,
// and in legacy media mode the webrtc:* signaling relayed to a stream.
func (a *deviceActor) frameReceived(ctx actor.Context, msg *FrameReceived) {
	if a.conn == nil || !a.conn.Equal(msg.Conn) {
		return
	}
	var problem *frameProblem
	switch msg.Event {
	case "command:ack":
		if problem = a.ackFrame(ctx, msg); problem == nil {
			return // answered once the ack is stored
		}
	default:
		if IsRelayEvent(msg.Event) {
			a.relayFrame(ctx, msg.Event, msg.Data)
			break
		}
		problem = &frameProblem{"UNKNOWN_EVENT", "unknown event " + msg.Event}
	}
	a.answerFrame(ctx, msg, problem)
}

// answerFrame tells the sender how its frame went: an AckResult when it
// asked for one (Socket.IO callbacks), else an error event for a problem.
func (a *deviceActor) answerFrame(ctx actor.Context, msg *FrameReceived, p *frameProblem) {
	if msg.AckID == "" {
		if p != nil {
			a.sendError(ctx, p.code, p.message)
		}
		return
	}
	res := &AckResult{AckID: msg.AckID}
	if p != nil {
		res.Code, res.Message = p.code, p.message
	}
	ctx.Send(msg.Conn, res)
}

// send writes an event to the socket, if there is one. While command
// status changes wait for Postgres, the event waits behind them, so the
// socket sees frames in the order this actor handled their causes (a
// start_stream command before its stream:requested, say).
func (a *deviceActor) send(ctx actor.Context, event string, data []byte) {
	if a.writing != nil || len(a.writes) > 0 {
		a.writes = append(a.writes, pendingWrite{event: event, data: data})
		return
	}
	a.sendNow(ctx, event, data)
}

// sendNow writes an event to the socket at once.
func (a *deviceActor) sendNow(ctx actor.Context, event string, data []byte) {
	if a.conn != nil {
		ctx.Send(a.conn, &SendEvent{Event: event, Data: data})
	}
}

func (a *deviceActor) sendError(ctx actor.Context, code, message string) {
	data, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{code, message})
	a.send(ctx, "error", data)
}
