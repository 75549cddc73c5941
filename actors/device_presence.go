package actors

import (
	"context"
	"encoding/json"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// presenceJSON is the data of a device:presence event.
type presenceJSON struct {
	DeviceID   persistence.DeviceID `json:"deviceId"`
	Online     bool                 `json:"online"`
	LastSeenAt *time.Time           `json:"lastSeenAt"`
}

// heartbeat records an HTTP heartbeat in Postgres and refreshes presence.
func (a *deviceActor) heartbeat(ctx actor.Context, msg *HeartbeatReceived) {
	now := a.cfg.Now().UTC()
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := a.cfg.Store.RecordHeartbeat(c, a.id, now, msg.Telemetry); err != nil {
		a.log.Warn("could not record heartbeat", "err", err)
		a.respond(ctx, &RequestFailed{Reason: "heartbeat not stored"})
		return
	}
	a.device.LastSeenAt, a.device.LastHeartbeatAt = &now, &now
	a.device.Telemetry = msg.Telemetry
	a.armExpiry(ctx)
	a.updatePresence(ctx)
	a.respond(ctx, a.report())
}

func (a *deviceActor) heartbeatFresh() bool {
	hb := a.device.LastHeartbeatAt
	return hb != nil && a.cfg.Now().Before(hb.Add(a.cfg.HeartbeatTTL))
}

// armExpiry schedules a presence check for when the last heartbeat goes
// stale. The timer only sends a message; the actor decides.
func (a *deviceActor) armExpiry(ctx actor.Context) {
	a.stopTimer()
	if !a.heartbeatFresh() {
		return
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	wait := a.device.LastHeartbeatAt.Add(a.cfg.HeartbeatTTL).Sub(a.cfg.Now())
	a.expiry = time.AfterFunc(wait, func() { root.Send(self, &heartbeatExpired{}) })
}

// updatePresence works out whether the device is online and, when that
// changed, tells each link, which tells the device at its other end.
func (a *deviceActor) updatePresence(ctx actor.Context) {
	online := a.device.Status == persistence.StatusActive && (a.conn != nil || a.heartbeatFresh())
	if online == a.online {
		return
	}
	a.online = online
	a.log.Info("device presence changed", "online", online)
	if online {
		a.disarmMotionClose()
	} else {
		a.armMotionClose(ctx, a.cfg.MotionOpenTimeout)
	}
	a.streamsPresence(ctx, online)
	for link := range a.links {
		a.announce(ctx, link)
	}
}

// announce tells one link the device's presence.
func (a *deviceActor) announce(ctx actor.Context, link persistence.LinkID) {
	if _, ok := a.links[link]; !ok {
		return
	}
	msg := &DevicePresenceChanged{DeviceID: a.id, Online: a.online}
	if a.device.LastSeenAt != nil {
		msg.LastSeenAt = *a.device.LastSeenAt
	}
	ctx.Send(a.sys.dir.Get(KindLink, string(link)), msg)
}

// recordSeen persists that the device was seen now. Failing to is logged
// and not fatal: presence itself lives in the actor.
func (a *deviceActor) recordSeen() {
	now := a.cfg.Now().UTC()
	a.device.LastSeenAt = &now
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := a.cfg.Store.RecordSeen(c, a.id, now); err != nil {
		a.log.Warn("could not record last seen", "err", err)
	}
}

// peerPresence tells the socket that a linked device went online or
// offline.
func (a *deviceActor) peerPresence(ctx actor.Context, msg *PeerPresenceChanged) {
	if _, linked := a.links[msg.LinkID]; !linked || a.conn == nil {
		return
	}
	if was, ok := a.told[msg.DeviceID]; ok && was == msg.Online {
		return
	}
	a.told[msg.DeviceID] = msg.Online
	p := presenceJSON{DeviceID: msg.DeviceID, Online: msg.Online}
	if !msg.LastSeenAt.IsZero() {
		at := msg.LastSeenAt.UTC()
		p.LastSeenAt = &at
	}
	data, _ := json.Marshal(p)
	a.send(ctx, "device:presence", data)
}
