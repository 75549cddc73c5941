package actors

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// linkActor owns a camera-client link's live state and fans presence out
// between its two ends, and the camera's motion to the client. It remembers what it last forwarded for each end,
// so a device actor that restarts and announces itself again does not
// send its peer a second, unchanged event.
type linkActor struct {
	cfg *Config
	sys *System
	id  persistence.LinkID
	log *slog.Logger

	link     persistence.Link
	online   map[persistence.DeviceID]bool
	lastSeen map[persistence.DeviceID]time.Time
}

func linkProps(cfg *Config, sys *System) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &linkActor{cfg: cfg, sys: sys}
	}, actor.WithGuardian(supervision()))
}

// Receive dispatches each message to its handler.
func (l *linkActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		l.started(ctx)
	case *actor.Restarting:
		l.log.Warn("link actor restarting after a failure")
	case *actor.ReceiveTimeout:
		l.idle(ctx)
	case *DevicePresenceChanged:
		l.presenceChanged(ctx, msg)
	case *PeerPresenceRequested:
		l.peerRequested(ctx, msg)
	case *MotionReported:
		l.motionReported(ctx, msg)
	case *LinkRemoved:
		ctx.Stop(ctx.Self())
	}
}

// started loads the link; a deleted link stops its actor, dropping what
// was sent to it.
func (l *linkActor) started(ctx actor.Context) {
	l.id = persistence.LinkID(idOf(ctx, KindLink))
	l.log = l.cfg.Logger.With("linkID", l.id)
	l.online = map[persistence.DeviceID]bool{}
	l.lastSeen = map[persistence.DeviceID]time.Time{}
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	link, err := l.cfg.Store.LinkByID(c, l.id)
	if err != nil {
		l.log.Debug("link actor could not load its link", "err", err)
		ctx.Stop(ctx.Self())
		return
	}
	l.link = link
	l.log = l.log.With("userID", link.UserID)
	ctx.SetReceiveTimeout(l.cfg.IdleTimeout)
}

// idle passivates the link once neither end is online.
func (l *linkActor) idle(ctx actor.Context) {
	for _, on := range l.online {
		if on {
			ctx.SetReceiveTimeout(l.cfg.IdleTimeout)
			return
		}
	}
	ctx.Stop(ctx.Self())
}

// peerOf returns the device at the other end from id.
func (l *linkActor) peerOf(id persistence.DeviceID) (persistence.DeviceID, bool) {
	switch id {
	case l.link.CameraDeviceID:
		return l.link.ClientDeviceID, true
	case l.link.ClientDeviceID:
		return l.link.CameraDeviceID, true
	}
	return "", false
}

// presenceChanged forwards one end's presence to the other end.
func (l *linkActor) presenceChanged(ctx actor.Context, msg *DevicePresenceChanged) {
	peer, ok := l.peerOf(msg.DeviceID)
	if !ok {
		return
	}
	if was, known := l.online[msg.DeviceID]; known && was == msg.Online {
		return
	}
	l.online[msg.DeviceID] = msg.Online
	l.lastSeen[msg.DeviceID] = msg.LastSeenAt
	ctx.Send(l.sys.dir.Get(KindDevice, string(peer)), &PeerPresenceChanged{
		LinkID: l.id, DeviceID: msg.DeviceID, Online: msg.Online, LastSeenAt: msg.LastSeenAt,
	})
}

// peerRequested answers a device that asks for the other end's presence:
// from what the link knows, or by asking the other end to announce itself,
// which then reaches the asker through presenceChanged.
func (l *linkActor) peerRequested(ctx actor.Context, msg *PeerPresenceRequested) {
	peer, ok := l.peerOf(msg.DeviceID)
	if !ok {
		return
	}
	online, known := l.online[peer]
	if !known {
		ctx.Send(l.sys.dir.Get(KindDevice, string(peer)), &AnnouncePresence{LinkID: l.id})
		return
	}
	ctx.Send(l.sys.dir.Get(KindDevice, string(msg.DeviceID)), &PeerPresenceChanged{
		LinkID: l.id, DeviceID: peer, Online: online, LastSeenAt: l.lastSeen[peer],
	})
}

// motionReported passes the camera's motion to the client end.
func (l *linkActor) motionReported(ctx actor.Context, msg *MotionReported) {
	if msg.CameraDeviceID != l.link.CameraDeviceID {
		return
	}
	ctx.Send(l.sys.dir.Get(KindDevice, string(l.link.ClientDeviceID)), &LinkedMotion{
		LinkID: l.id, Event: msg.Event, Data: msg.Data,
	})
}
