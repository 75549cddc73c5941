package actors

import (
	"context"
	"log/slog"

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

	link   persistence.Link
	online map[persistence.DeviceID]bool
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

// presenceChanged forwards one end's presence to the other end.
func (l *linkActor) presenceChanged(ctx actor.Context, msg *DevicePresenceChanged) {
	var peer persistence.DeviceID
	switch msg.DeviceID {
	case l.link.CameraDeviceID:
		peer = l.link.ClientDeviceID
	case l.link.ClientDeviceID:
		peer = l.link.CameraDeviceID
	default:
		return
	}
	if was, known := l.online[msg.DeviceID]; known && was == msg.Online {
		return
	}
	l.online[msg.DeviceID] = msg.Online
	ctx.Send(l.sys.dir.Get(KindDevice, string(peer)), &PeerPresenceChanged{
		LinkID: l.id, DeviceID: msg.DeviceID, Online: msg.Online, LastSeenAt: msg.LastSeenAt,
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
