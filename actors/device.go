package actors

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// deviceActor owns a device's live state: its socket, its presence and its
// links; for a camera, also the commands waiting on it and its open motion
// events. It loads the rest from Postgres when it starts, so it can be
// passivated when idle and restarted after a failure without losing
// anything that matters.
type deviceActor struct {
	cfg *Config
	sys *System
	id  persistence.DeviceID
	log *slog.Logger

	device persistence.Device
	links  map[persistence.LinkID]persistence.DeviceID
	// conn is the connection actor of the open socket, nil without one.
	conn *actor.PID
	// online is the presence last announced to the links.
	online bool
	// told is the presence of each peer the open socket was last told, so
	// the same news reaching it by two paths is sent once.
	told map[persistence.DeviceID]bool
	// expiry fires when the last heartbeat goes stale.
	expiry *time.Timer

	// commands are a camera's pending commands, each with its expiry timer.
	commands map[persistence.CommandID]*heldCommand
	// writes are the command status changes waiting for the batch in
	// flight, writing, to commit (see device_writes.go).
	writes  []pendingWrite
	writing *writeBatch
	// openEvents are a camera's motion events not yet ended.
	openEvents map[persistence.EventID]struct{}
	// motionClose fires when an offline camera's open events are due to
	// be closed; nil when none is scheduled.
	motionClose *time.Timer
	// streams are the open stream sessions the device is camera or
	// requester of; they end when it goes offline.
	streams map[persistence.StreamID]struct{}
	// joined are streams the device joined as a linked viewer, newest last;
	// legacy signaling may name them. Bounded by maxJoinedStreams.
	joined []persistence.StreamID
}

func deviceProps(cfg *Config, sys *System) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &deviceActor{cfg: cfg, sys: sys}
	}, actor.WithGuardian(supervision()))
}

// Receive dispatches each message to its handler.
func (a *deviceActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.started(ctx)
	case *actor.Restarting:
		a.restarting(ctx)
	case *actor.Stopping:
		a.stopTimers()
	case *actor.ReceiveTimeout:
		a.idle(ctx)
	case *actor.Terminated:
		a.connGone(ctx, msg.Who)
	case *ConnectionOpened:
		a.connectionOpened(ctx, msg)
	case *ConnectionClosed:
		a.connGone(ctx, msg.Conn)
		a.respond(ctx, a.report())
	case *FrameReceived:
		a.frameReceived(ctx, msg)
	case *HeartbeatReceived:
		a.heartbeat(ctx, msg)
	case *GetPresence:
		a.respond(ctx, a.report())
	case *TokenChanged:
		a.tokenChanged(ctx, msg)
	case *LinkAdded:
		a.links[msg.LinkID] = msg.Peer
		a.announce(ctx, msg.LinkID)
	case *AnnouncePresence:
		a.announce(ctx, msg.LinkID)
	case *LinkRemoved:
		a.linkRemoved(ctx, msg.LinkID)
	case *PeerPresenceChanged:
		a.peerPresence(ctx, msg)
	case *DeliverEvent:
		a.send(ctx, msg.Event, msg.Data)
	case *heartbeatExpired:
		a.updatePresence(ctx)
	default:
		a.receiveWork(ctx, msg)
	}
}

// receiveWork dispatches the messages of commands and motion events.
func (a *deviceActor) receiveWork(ctx actor.Context, msg any) {
	switch msg := msg.(type) {
	case *ResumeWork:
	case *DeliverCommand:
		a.deliverCommand(ctx, msg)
	case *AckCommand:
		a.ackCommand(ctx, msg, nil)
	case *commandWritesDone:
		a.writesDone(ctx, msg)
	case *CommandStatusChanged:
		a.commandStatusChanged(ctx, msg)
	case *commandExpired:
		a.commandExpired(ctx, msg.ID)
	case *StartMotion:
		a.respond(ctx, a.startMotion(ctx, msg))
	case *EndMotion:
		a.respond(ctx, a.endMotion(ctx, msg))
	case *LinkedMotion:
		a.linkedMotion(ctx, msg)
	case *motionOpenExpired:
		a.motionOpenExpired(ctx)
	case *StreamOpened:
		a.streamOpened(msg)
	case *StreamJoined:
		a.streamJoined(msg)
	case *StreamClosed:
		delete(a.streams, msg.StreamID)
	}
}

// started loads the device from Postgres, the source of truth. A device
// that is gone, or cannot be loaded, stops its actor: watchers see it
// terminate and the next message activates a fresh one.
func (a *deviceActor) started(ctx actor.Context) {
	a.id = persistence.DeviceID(idOf(ctx, KindDevice))
	a.log = a.cfg.Logger.With("deviceID", a.id)
	a.links = map[persistence.LinkID]persistence.DeviceID{}
	a.commands = map[persistence.CommandID]*heldCommand{}
	a.openEvents = map[persistence.EventID]struct{}{}
	a.streams = map[persistence.StreamID]struct{}{}
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	state, err := a.cfg.Store.LoadDeviceState(c, a.id)
	if err != nil {
		a.log.Warn("device actor could not load its device", "err", err)
		ctx.Stop(ctx.Self())
		return
	}
	a.device, a.links = state.Device, state.Links
	a.log = a.log.With("userID", a.device.UserID)
	a.armExpiry(ctx)
	if err := a.loadWork(ctx); err != nil {
		a.log.Warn("device actor could not load its commands and events", "err", err)
		a.stopTimers()
		ctx.Stop(ctx.Self())
		return
	}
	// A heartbeat from before a restart or a passivation still counts.
	a.updatePresence(ctx)
	ctx.SetReceiveTimeout(a.cfg.IdleTimeout)
	a.log.Debug("device actor started", "links", len(a.links), "commands", len(a.commands))
}

// loadWork loads what a camera must still do. Clients have none.
func (a *deviceActor) loadWork(ctx actor.Context) error {
	if a.device.Role != persistence.RoleCamera {
		return nil
	}
	if err := a.loadCommands(ctx); err != nil {
		return err
	}
	return a.loadOpenEvents(ctx)
}

// restarting runs on the failed incarnation: its socket is told to open
// itself again to the next one, which starts with nothing but Postgres.
func (a *deviceActor) restarting(ctx actor.Context) {
	a.stopTimers()
	if a.conn != nil {
		ctx.Send(a.conn, &DeviceRestarted{})
	}
	if a.log != nil {
		a.log.Warn("device actor restarting after a failure")
	}
}

// idle passivates the actor when nothing live depends on it: no socket,
// no fresh heartbeat, no pending command, no open motion to close and no
// open stream to tell when it goes offline.
// Otherwise it waits another idle period.
func (a *deviceActor) idle(ctx actor.Context) {
	if a.conn != nil || a.heartbeatFresh() || len(a.commands) > 0 || a.motionClose != nil ||
		len(a.streams) > 0 || a.writing != nil || len(a.writes) > 0 {
		ctx.SetReceiveTimeout(a.cfg.IdleTimeout)
		return
	}
	a.log.Debug("device actor passivated")
	ctx.Stop(ctx.Self())
}

func (a *deviceActor) respond(ctx actor.Context, msg any) {
	if ctx.Sender() != nil {
		ctx.Respond(msg)
	}
}

func (a *deviceActor) report() *PresenceReport {
	r := &PresenceReport{DeviceID: a.id, Online: a.online}
	if a.device.LastSeenAt != nil {
		r.LastSeenAt = *a.device.LastSeenAt
	}
	return r
}

func (a *deviceActor) stopTimer() {
	if a.expiry != nil {
		a.expiry.Stop()
	}
}

// stopTimers stops every timer, so that none fires into a stopped or
// restarted actor.
func (a *deviceActor) stopTimers() {
	a.stopTimer()
	a.stopCommandTimers()
	a.disarmMotionClose()
}
