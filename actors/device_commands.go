package actors

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

// heldCommand is a pending command a camera's actor keeps until it ends,
// with the timer that expires it.
type heldCommand struct {
	cmd    persistence.Command
	expiry *time.Timer
}

// loadCommands holds the camera's pending commands from Postgres, so that
// those queued before a restart or a passivation are delivered and those
// past their time to live are expired (their timers fire at once).
func (a *deviceActor) loadCommands(ctx actor.Context) error {
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	cmds, err := a.cfg.Commands.PendingCommands(c, a.id)
	if err != nil {
		return err
	}
	for _, cmd := range cmds {
		a.hold(ctx, cmd)
	}
	return nil
}

// hold keeps cmd and arms its expiry. The timer only sends a message; the
// actor decides.
func (a *deviceActor) hold(ctx actor.Context, cmd persistence.Command) {
	self, root, id := ctx.Self(), ctx.ActorSystem().Root, cmd.ID
	wait := cmd.ExpiresAt.Sub(a.cfg.Now())
	a.commands[id] = &heldCommand{cmd: cmd,
		expiry: time.AfterFunc(wait, func() { root.Send(self, &commandExpired{ID: id}) })}
}

// linkRemoved forgets a link. A camera expires the commands it holds from
// the client at the other end: a viewer that lost its link must not make a
// queued siren ring later.
func (a *deviceActor) linkRemoved(ctx actor.Context, id persistence.LinkID) {
	peer, ok := a.links[id]
	if !ok {
		return
	}
	delete(a.links, id)
	if a.linkedTo(peer) {
		return
	}
	for cmdID, h := range a.commands {
		if h.cmd.SourceDeviceID == peer {
			a.withdraw(ctx, cmdID)
		}
	}
}

// ReasonUnlinked is the reason of a command withdrawn because its source
// and target are no longer linked.
const ReasonUnlinked = "unlinked"

// withdraw expires a held command early. A failure leaves it held; its own
// expiry still ends it.
func (a *deviceActor) withdraw(ctx actor.Context, id persistence.CommandID) {
	a.queueWrite(ctx, pendingWrite{write: persistence.CommandWrite{Kind: persistence.WriteWithdraw,
		ID: id, Reason: ReasonUnlinked}})
}

// linkedTo reports whether any link joins this device to peer.
func (a *deviceActor) linkedTo(peer persistence.DeviceID) bool {
	for _, p := range a.links {
		if p == peer {
			return true
		}
	}
	return false
}

// release forgets a command that ended.
func (a *deviceActor) release(id persistence.CommandID) {
	if h, ok := a.commands[id]; ok {
		h.expiry.Stop()
		delete(a.commands, id)
	}
}

func (a *deviceActor) stopCommandTimers() {
	for _, h := range a.commands {
		h.expiry.Stop()
	}
}

// deliverCommand takes a command the API stored and delivers it if the
// camera's socket is open. A command already held is not delivered twice.
func (a *deviceActor) deliverCommand(ctx actor.Context, msg *DeliverCommand) {
	cmd := msg.Command
	if cmd.TargetDeviceID != a.id || a.device.Role != persistence.RoleCamera {
		return
	}
	if _, held := a.commands[cmd.ID]; held {
		return
	}
	a.hold(ctx, cmd)
	if a.conn != nil {
		a.deliver(ctx, a.commands[cmd.ID])
	}
}

// deliverHeld delivers every held command, oldest first, to a socket that
// just opened. Commands already delivered are sent again: the socket they
// went to may have died before the camera read them, and the camera tells
// repeats apart by id.
func (a *deviceActor) deliverHeld(ctx actor.Context) {
	held := make([]*heldCommand, 0, len(a.commands))
	for _, h := range a.commands {
		held = append(held, h)
	}
	slices.SortFunc(held, func(x, y *heldCommand) int {
		return x.cmd.CreatedAt.Compare(y.cmd.CreatedAt)
	})
	for _, h := range held {
		a.deliver(ctx, h)
	}
}

// deliver records a queued command as delivered, then sends it to the
// socket and tells the source. A command sent before goes through the
// write queue too, without a write, so that commands reach the socket in
// the order they were delivered.
func (a *deviceActor) deliver(ctx actor.Context, h *heldCommand) {
	kind := persistence.WriteNone
	if h.cmd.Status == persistence.CommandQueued {
		kind = persistence.WriteDelivered
	}
	a.queueWrite(ctx, pendingWrite{write: persistence.CommandWrite{Kind: kind, ID: h.cmd.ID}})
}

// deliveredWritten sends a command Postgres now holds as delivered. One
// that it no longer held as queued (answered over HTTP, expired,
// withdrawn) is not sent, nor one this actor let go meanwhile.
func (a *deviceActor) deliveredWritten(ctx actor.Context, id persistence.CommandID,
	out persistence.CommandWritten, failed bool) {
	h, held := a.commands[id]
	switch {
	case failed:
		// Still queued in Postgres and here: the next socket gets it.
		return
	case !held:
		return
	case !out.Changed:
		a.log.Debug("command no longer queued", "commandID", id)
		return
	}
	h.cmd = out.Command
	a.notifySource(ctx, out.Command)
	a.sendNow(ctx, "command:received", wire.CommandData(h.cmd))
}

// notifySource tells the command's source device that its status changed.
func (a *deviceActor) notifySource(ctx actor.Context, cmd persistence.Command) {
	ctx.Send(a.sys.dir.Get(KindDevice, string(cmd.SourceDeviceID)), &CommandStatusChanged{Command: cmd})
}

// commandStatusChanged tells this device's socket about a command it sent.
func (a *deviceActor) commandStatusChanged(ctx actor.Context, msg *CommandStatusChanged) {
	a.sys.stats.commands.add(string(msg.Command.Status))
	if msg.Command.SourceDeviceID == a.id {
		a.send(ctx, "command:status", wire.CommandData(msg.Command))
	}
}

// commandExpired expires a held command whose time to live passed. The
// UPDATE is conditional, so an ack that won the race keeps its status.
func (a *deviceActor) commandExpired(ctx actor.Context, id persistence.CommandID) {
	if _, held := a.commands[id]; !held {
		return
	}
	a.queueWrite(ctx, pendingWrite{write: persistence.CommandWrite{Kind: persistence.WriteExpire, ID: id}})
}

// expireWritten lets go of an expired command and tells its source; a
// failed write is tried again after a while.
func (a *deviceActor) expireWritten(ctx actor.Context, id persistence.CommandID,
	out persistence.CommandWritten, failed bool) {
	h, held := a.commands[id]
	if !held {
		return
	}
	if failed {
		h.expiry.Reset(storeTimeout)
		return
	}
	a.release(id)
	if out.Changed {
		a.log.Info("command expired", "commandID", id)
		a.notifySource(ctx, out.Command)
	}
}

// ackCommand queues this device's answer to a command; whoever sent it
// hears the outcome once Postgres has it.
func (a *deviceActor) ackCommand(ctx actor.Context, msg *AckCommand, frame *FrameReceived) {
	a.queueWrite(ctx, pendingWrite{replyTo: ctx.Sender(), frame: frame,
		write: persistence.CommandWrite{Kind: persistence.WriteComplete, ID: msg.CommandID,
			Target: a.id, Status: msg.Status, Reason: msg.Reason}})
}

// ackWritten tells the source about a recorded answer, or explains one
// that changed nothing. Repeating the same answer is harmless.
func (a *deviceActor) ackWritten(ctx actor.Context, w persistence.CommandWrite,
	out persistence.CommandWritten, failed bool) any {
	switch {
	case failed:
		return &RequestFailed{Reason: "ack not stored"}
	case out.Changed:
		a.release(out.Command.ID)
		a.notifySource(ctx, out.Command)
		a.startStreamAnswered(ctx, out.Command)
		return &CommandAnswer{Command: out.Command, Changed: true}
	}
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	return a.ackUnchanged(ctx, c, w)
}

// ackUnchanged explains an ack that changed nothing.
func (a *deviceActor) ackUnchanged(ctx actor.Context, c context.Context, w persistence.CommandWrite) any {
	cur, err := a.cfg.Commands.CommandByID(c, w.ID)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return &Refused{Reason: RefusedNotFound}
	case err != nil:
		return &RequestFailed{Reason: "command not loaded"}
	case cur.UserID != a.device.UserID:
		return &Refused{Reason: RefusedNotFound}
	case cur.TargetDeviceID != a.id:
		return &Refused{Reason: RefusedNotTarget}
	case cur.Status == w.Status:
		return &CommandAnswer{Command: cur}
	case !cur.Status.Final():
		// Pending but past its time to live: the timer has not fired yet.
		a.commandExpired(ctx, cur.ID)
		return &Refused{Reason: RefusedFinal, Status: persistence.CommandExpired}
	}
	return &Refused{Reason: RefusedFinal, Status: cur.Status}
}

// ackFrame is the websocket form of an ack, command:ack. It returns what
// was wrong with a frame it could not take; a frame it took is answered
// once the ack is stored.
func (a *deviceActor) ackFrame(ctx actor.Context, msg *FrameReceived) *frameProblem {
	var f struct {
		CommandID string `json:"commandId"`
		Status    string `json:"status"`
		Reason    string `json:"reason"`
	}
	if json.Unmarshal(msg.Data, &f) != nil || uuid.Validate(f.CommandID) != nil || len(f.CommandID) != 36 {
		return &frameProblem{"INVALID_ACK", "command:ack needs commandId (a UUID) and status"}
	}
	status := persistence.CommandStatus(f.Status)
	if status != persistence.CommandAcknowledged && status != persistence.CommandRejected {
		return &frameProblem{"INVALID_ACK", "status must be acknowledged or rejected"}
	}
	if len(f.Reason) > MaxReasonBytes || !persistence.CleanText(f.Reason) {
		return &frameProblem{"INVALID_ACK", "reason is too long or holds control characters"}
	}
	a.ackCommand(ctx, &AckCommand{CommandID: persistence.CommandID(f.CommandID),
		Status: status, Reason: f.Reason}, msg)
	return nil
}

// ackProblem is what a socket is told about its ack: nothing when it was
// recorded.
func ackProblem(id persistence.CommandID, res any) *frameProblem {
	switch r := res.(type) {
	case *Refused:
		msg := "command " + string(id) + ": " + string(r.Reason)
		if r.Status != "" {
			msg += " (status " + string(r.Status) + ")"
		}
		return &frameProblem{"ACK_REFUSED", msg}
	case *RequestFailed:
		return &frameProblem{"ACK_NOT_STORED", "the ack could not be recorded; send it again"}
	}
	return nil
}

// MaxReasonBytes bounds the reason a camera gives with its ack.
const MaxReasonBytes = 500
