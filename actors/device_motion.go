package actors

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

// ReasonCameraOffline is the end reason of events Vigil closed because
// their camera stayed offline past the open-motion bound.
const ReasonCameraOffline = "camera_offline"

// Motion events of the realtime contract.
const (
	EventMotionDetected = "motion:detected"
	EventMotionEnded    = "motion:ended"
)

// loadOpenEvents remembers the camera's open events, and arms the bound
// that closes them when the camera is offline: counted from when it was
// last seen, so a restart does not extend it.
func (a *deviceActor) loadOpenEvents(ctx actor.Context) error {
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	ids, err := a.cfg.Events.OpenEvents(c, a.id)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a.openEvents[id] = struct{}{}
	}
	if !a.reachable() {
		since := a.cfg.Now()
		if a.device.LastSeenAt != nil {
			since = *a.device.LastSeenAt
		}
		a.armMotionClose(ctx, since.Add(a.cfg.MotionOpenTimeout).Sub(a.cfg.Now()))
	}
	return nil
}

// startMotion records motion and tells the linked clients. A retry with
// the same client event id is answered with the first event and not told
// again.
func (a *deviceActor) startMotion(ctx actor.Context, msg *StartMotion) any {
	n := msg.Event
	n.CameraDeviceID, n.UserID = a.id, a.device.UserID
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	ev, created, err := a.cfg.Events.StartEvent(c, n)
	if err != nil {
		a.log.Warn("could not record motion", "err", err)
		return &RequestFailed{Reason: "event not stored"}
	}
	if created {
		a.openEvents[ev.ID] = struct{}{}
		a.fanOut(ctx, EventMotionDetected, ev)
		if !a.reachable() {
			a.armMotionClose(ctx, a.cfg.MotionOpenTimeout)
		}
	}
	return &MotionAnswer{Event: ev, Changed: created}
}

// endMotion closes an event of this camera and tells the linked clients.
// Ending an event twice answers the closed event and tells nobody.
func (a *deviceActor) endMotion(ctx actor.Context, msg *EndMotion) any {
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	ev, changed, err := a.cfg.Events.EndEvent(c, a.id, msg.EventID, msg.End)
	if errors.Is(err, persistence.ErrNotFound) {
		return &Refused{Reason: RefusedNotFound}
	}
	if err != nil {
		a.log.Warn("could not record the end of motion", "eventID", msg.EventID, "err", err)
		return &RequestFailed{Reason: "event not stored"}
	}
	if changed {
		delete(a.openEvents, ev.ID)
		a.fanOut(ctx, EventMotionEnded, ev)
	}
	return &MotionAnswer{Event: ev, Changed: changed}
}

// fanOut sends an event to every link of the camera; each link actor
// passes it to its client. One camera actor sends them all, in the order
// it recorded them, so every client sees the camera's events in order.
func (a *deviceActor) fanOut(ctx actor.Context, event string, ev persistence.Event) {
	a.sys.stats.motion.add(event)
	msg := &MotionReported{CameraDeviceID: a.id, Event: event, Data: wire.EventData(ev)}
	for link := range a.links {
		ctx.Send(a.sys.dir.Get(KindLink, string(link)), msg)
	}
}

// linkedMotion tells this client's socket about motion on a linked camera.
func (a *deviceActor) linkedMotion(ctx actor.Context, msg *LinkedMotion) {
	if _, linked := a.links[msg.LinkID]; linked {
		a.send(ctx, msg.Event, msg.Data)
	}
}

// armMotionClose schedules closing the open events in wait, unless a
// close is already scheduled or nothing is open.
func (a *deviceActor) armMotionClose(ctx actor.Context, wait time.Duration) {
	if a.motionClose != nil || len(a.openEvents) == 0 {
		return
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	a.motionClose = time.AfterFunc(wait, func() { root.Send(self, &motionOpenExpired{}) })
}

func (a *deviceActor) disarmMotionClose() {
	if a.motionClose != nil {
		a.motionClose.Stop()
		a.motionClose = nil
	}
}

// motionOpenExpired closes the events a camera left open when it went
// offline and did not come back within the bound.
func (a *deviceActor) motionOpenExpired(ctx actor.Context) {
	a.motionClose = nil
	if a.reachable() {
		return
	}
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	closed, err := a.cfg.Events.CloseOpenEvents(c, a.id, a.cfg.Now().UTC(), ReasonCameraOffline)
	if err != nil {
		a.log.Warn("could not close open motion; retrying", "err", err)
		a.armMotionClose(ctx, storeTimeout)
		return
	}
	clear(a.openEvents)
	for _, ev := range closed {
		a.fanOut(ctx, EventMotionEnded, ev)
	}
	if len(closed) > 0 {
		a.log.Info("closed motion left open by an offline camera", "events", len(closed))
	}
}

// reachable reports whether the camera has a socket or a fresh heartbeat,
// which is what keeps its motion open.
func (a *deviceActor) reachable() bool {
	return a.device.Status == persistence.StatusActive && (a.conn != nil || a.heartbeatFresh())
}
