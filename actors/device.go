package actors

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// deviceActor owns a device's live state: its socket, its presence and its
// links. It loads the rest from Postgres when it starts, so it can be
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
		a.stopTimer()
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
		delete(a.links, msg.LinkID)
	case *PeerPresenceChanged:
		a.peerPresence(ctx, msg)
	case *DeliverEvent:
		a.send(ctx, msg.Event, msg.Data)
	case *heartbeatExpired:
		a.updatePresence(ctx)
	}
}

// started loads the device from Postgres, the source of truth. A device
// that is gone, or cannot be loaded, stops its actor: watchers see it
// terminate and the next message activates a fresh one.
func (a *deviceActor) started(ctx actor.Context) {
	a.id = persistence.DeviceID(idOf(ctx, KindDevice))
	a.log = a.cfg.Logger.With("deviceID", a.id)
	a.links = map[persistence.LinkID]persistence.DeviceID{}
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
	// A heartbeat from before a restart or a passivation still counts.
	a.updatePresence(ctx)
	ctx.SetReceiveTimeout(a.cfg.IdleTimeout)
	a.log.Debug("device actor started", "links", len(a.links))
}

// restarting runs on the failed incarnation: its socket is told to open
// itself again to the next one, which starts with nothing but Postgres.
func (a *deviceActor) restarting(ctx actor.Context) {
	a.stopTimer()
	if a.conn != nil {
		ctx.Send(a.conn, &DeviceRestarted{})
	}
	if a.log != nil {
		a.log.Warn("device actor restarting after a failure")
	}
}

// idle passivates the actor when nothing live depends on it: no socket
// and no fresh heartbeat. Otherwise it waits another idle period.
func (a *deviceActor) idle(ctx actor.Context) {
	if a.conn != nil || a.heartbeatFresh() {
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
