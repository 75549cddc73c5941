package actors

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/persistence"
)

// streamActor owns one stream session: its state machine (requested →
// streaming → ended), persisted in Postgres before anyone is told, and
// its media room, which it creates on accept or on the camera's first
// offer and closes when the session ends. It loads its row when it
// starts, so a passivated or restarted actor carries on from Postgres.
type streamActor struct {
	cfg *Config
	sys *System
	id  persistence.StreamID
	log *slog.Logger

	stream persistence.Stream
	// joined are linked clients other than the requester that asked to
	// watch; they hear stream:started and stream:ended.
	joined map[persistence.DeviceID]struct{}
	// revoked are viewers cut off from the session (DeviceRevoked); they
	// may not subscribe or join again, even if linked again, so a request
	// checked before the cut cannot slip in after it.
	revoked map[persistence.DeviceID]struct{}
	// expiry fires when a request has waited too long for the camera.
	expiry *time.Timer
	// away holds, for the camera and the requester while offline, the
	// wait that ends the stream if it stays offline.
	away map[persistence.DeviceID]awayWait
	// awaySeq numbers the waits, so a timer that fired just before it was
	// stopped cannot end a later wait.
	awaySeq uint64

	// room is the media room, nil until the camera publishes or the
	// stream is accepted (and always without an SFU).
	room *media.Room
	// recording is the room's recording worker, a supervised child.
	recording *actor.PID
	// viewers are the subscribed transports by viewer id.
	viewers map[string]viewerEntry
	// sfuViewer is each device's current sfu/subscribe-transport viewer id.
	sfuViewer map[persistence.DeviceID]string
	// publishing is set once the camera's offer was answered;
	// publisherConnected is its last reported peer state. Both are false
	// again once the room closes.
	publishing         bool
	publisherConnected bool
	// closedStats are the room's counters when it closed, so the session
	// still reports what it carried after it ended.
	closedStats media.RoomStats
	// negotiations bounds SDP exchanges that run off the mailbox; ending
	// cancels them and waits for them.
	negotiations sync.WaitGroup
	cancelMedia  context.CancelFunc
	mediaCtx     context.Context
}

// awayWait is the wait for one offline participant.
type awayWait struct {
	seq   uint64
	timer *time.Timer
}

// viewerEntry is one subscribed viewer's transport.
type viewerEntry struct {
	device persistence.DeviceID
	via    ViewerVia
}

func streamProps(cfg *Config, sys *System) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &streamActor{cfg: cfg, sys: sys}
	}, actor.WithGuardian(supervision()), actor.WithSupervisor(recordingSupervision()))
}

// Receive dispatches each message to its handler.
func (a *streamActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.started(ctx)
	case *actor.Restarting:
		a.release()
	case *actor.Stopping:
		a.release()
	case *actor.ReceiveTimeout:
		a.idle(ctx)
	case *ResumeWork:
	case *ServerStopping:
		a.serverStopping(ctx)
	case *AnnounceRequest:
		a.announceRequest(ctx)
	case *GetStream:
		a.respond(ctx, &StreamAnswer{Stream: a.stream})
	case *AcceptStream:
		a.respond(ctx, a.accept(ctx, msg))
	case *EndStream:
		a.respond(ctx, a.endByDevice(ctx, msg))
	case *JoinStream:
		a.respond(ctx, a.join(ctx, msg))
	case *ParticipantOffline:
		a.participantOffline(ctx, msg)
	case *ParticipantOnline:
		a.participantOnline(msg)
	case *participantGraceOver:
		a.participantGraceOver(ctx, msg)
	case *streamRequestExpired:
		a.requestExpired(ctx)
	case *RelaySignal:
		a.relay(ctx, msg)
	case *DeviceRevoked:
		a.deviceRevoked(ctx, msg)
	default:
		a.receiveMedia(ctx, msg)
	}
}

// receiveMedia dispatches the messages of the media plane.
func (a *streamActor) receiveMedia(ctx actor.Context, msg any) {
	switch msg := msg.(type) {
	case *PublishOffer:
		a.publish(ctx, msg)
	case *SubscribeOffer:
		a.subscribe(ctx, msg)
	case *AddCandidate:
		a.respond(ctx, a.addCandidate(ctx, msg))
	case *RestartICE:
		a.restartICE(ctx, msg)
	case *LeaveStream:
		a.leave(ctx, msg)
	case *GetSession:
		a.respond(ctx, a.session(msg))
	case *mediaEvent:
		a.mediaEvent(ctx, msg)
	case *negotiated:
		a.negotiated(msg)
	case *recordingStopped:
		a.recordingStopped(ctx, msg)
	}
}

// started loads the session. A stream that does not exist stops its
// actor, so requests to it end as dead letters the API answers 404 for.
func (a *streamActor) started(ctx actor.Context) {
	a.id = persistence.StreamID(idOf(ctx, KindStream))
	a.log = a.cfg.Logger.With("streamID", a.id)
	a.joined = map[persistence.DeviceID]struct{}{}
	a.revoked = map[persistence.DeviceID]struct{}{}
	a.away = map[persistence.DeviceID]awayWait{}
	a.viewers = map[string]viewerEntry{}
	a.sfuViewer = map[persistence.DeviceID]string{}
	a.mediaCtx, a.cancelMedia = context.WithCancel(context.Background())
	if a.cfg.Streams == nil {
		ctx.Stop(ctx.Self())
		return
	}
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	s, err := a.cfg.Streams.StreamByID(c, a.id)
	if err != nil {
		a.log.Debug("stream actor could not load its stream", "err", err)
		ctx.Stop(ctx.Self())
		return
	}
	a.stream = s
	a.log = a.log.With("userID", s.UserID, "deviceID", s.CameraDeviceID)
	if s.Status != persistence.StreamEnded {
		a.armExpiry(ctx)
		a.tellParticipants(ctx, &StreamOpened{StreamID: a.id})
	}
	ctx.SetReceiveTimeout(a.cfg.IdleTimeout)
}

// idle passivates an ended stream; an open one stays, since its timer,
// its room and its participants' presence depend on it.
func (a *streamActor) idle(ctx actor.Context) {
	if a.stream.Status != persistence.StreamEnded {
		ctx.SetReceiveTimeout(a.cfg.IdleTimeout)
		return
	}
	ctx.Stop(ctx.Self())
}

// release stops the timer and closes the room, on every way out of the
// actor, so no peer connection or goroutine outlives it.
func (a *streamActor) release() {
	if a.expiry != nil {
		a.expiry.Stop()
	}
	for d, w := range a.away {
		w.timer.Stop()
		delete(a.away, d)
	}
	if a.cancelMedia != nil {
		a.cancelMedia()
	}
	a.stopRecording()
	if a.room != nil {
		a.room.Close()
		a.closedStats = a.room.Stats()
		a.room = nil
	}
	a.negotiations.Wait()
	a.publishing, a.publisherConnected = false, false
	clear(a.viewers)
	clear(a.sfuViewer)
}

func (a *streamActor) respond(ctx actor.Context, msg any) {
	if ctx.Sender() != nil {
		ctx.Respond(msg)
	}
}

func (a *streamActor) refuse(reason StreamRefusal) *StreamRefused {
	return &StreamRefused{Reason: reason, Status: a.stream.Status}
}

// armExpiry schedules the end of a request that is never accepted.
func (a *streamActor) armExpiry(ctx actor.Context) {
	if a.stream.Status != persistence.StreamRequested {
		return
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	wait := a.stream.RequestExpiresAt.Sub(a.cfg.Now())
	a.expiry = time.AfterFunc(wait, func() { root.Send(self, &streamRequestExpired{}) })
}

// announceRequest tells the camera and the requester that the stream was
// requested.
func (a *streamActor) announceRequest(ctx actor.Context) {
	if a.stream.Status != persistence.StreamRequested {
		return
	}
	a.log.Info("stream requested", "requesterID", a.stream.RequesterDeviceID)
	a.tell(ctx, "stream:requested")
}

// accept moves a requested stream to streaming for its camera.
func (a *streamActor) accept(ctx actor.Context, msg *AcceptStream) any {
	if msg.DeviceID != a.stream.CameraDeviceID {
		return a.refuse(StreamNotCamera)
	}
	switch a.stream.Status {
	case persistence.StreamStreaming:
		return &StreamAnswer{Stream: a.stream}
	case persistence.StreamEnded:
		return a.refuse(StreamWrongState)
	}
	if !a.markStreaming(ctx) {
		return &RequestFailed{Reason: "stream not stored"}
	}
	return &StreamAnswer{Stream: a.stream}
}

// markStreaming records the start, opens the room and tells everyone.
func (a *streamActor) markStreaming(ctx actor.Context) bool {
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	s, changed, err := a.cfg.Streams.MarkStreaming(c, a.id, a.cfg.Now().UTC())
	if err != nil {
		a.log.Warn("could not record a stream started", "err", err)
		return false
	}
	a.stream = s
	if !changed {
		return s.Status == persistence.StreamStreaming
	}
	if a.expiry != nil {
		a.expiry.Stop()
	}
	a.openRoom(ctx)
	a.log.Info("stream started")
	a.tell(ctx, "stream:started")
	return true
}

// endByDevice ends the stream for its camera or requester. A camera that
// ends a stream it never accepted rejects it.
func (a *streamActor) endByDevice(ctx actor.Context, msg *EndStream) any {
	if !a.stream.Participant(msg.DeviceID) {
		return a.refuse(StreamNotParticipant)
	}
	if a.stream.Status == persistence.StreamEnded {
		return &StreamAnswer{Stream: a.stream}
	}
	reason := msg.Reason
	if reason == "" {
		reason = EndReasonEnded
		if msg.DeviceID == a.stream.CameraDeviceID && a.stream.Status == persistence.StreamRequested {
			reason = EndReasonRejected
		}
	}
	if !a.end(ctx, reason, msg.DeviceID) {
		return &RequestFailed{Reason: "stream end not stored"}
	}
	return &StreamAnswer{Stream: a.stream}
}

// end records the end, closes every peer connection and tells everyone.
// It reports false when Postgres did not store it.
func (a *streamActor) end(ctx actor.Context, reason string, by persistence.DeviceID) bool {
	c, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	s, changed, err := a.cfg.Streams.EndStream(c, a.id, reason, by, a.cfg.Now().UTC())
	if errors.Is(err, persistence.ErrNotFound) {
		// The row went with its user (delete-user cascades): there is
		// nothing to record and nobody left to tell, but the media must stop.
		a.log.Info("stream gone from Postgres; releasing its media", "reason", reason)
		a.stream.Status = persistence.StreamEnded
		a.release()
		ctx.Stop(ctx.Self())
		return true
	}
	if err != nil {
		a.log.Warn("could not record a stream ended", "reason", reason, "err", err)
		return false
	}
	a.stream = s
	a.release()
	if !changed {
		return true
	}
	a.log.Info("stream ended", "reason", reason)
	a.sys.stats.streamsEnded.add(reason)
	a.tell(ctx, "stream:ended")
	a.tellParticipants(ctx, &StreamClosed{StreamID: a.id})
	return true
}

// join records a linked client that will watch.
func (a *streamActor) join(ctx actor.Context, msg *JoinStream) any {
	if msg.DeviceID == a.stream.CameraDeviceID {
		return a.refuse(StreamNotViewer)
	}
	if a.isRevoked(msg.DeviceID) {
		return a.refuse(StreamNotViewer)
	}
	if a.stream.Status == persistence.StreamEnded {
		return a.refuse(StreamWrongState)
	}
	if msg.DeviceID != a.stream.RequesterDeviceID {
		a.joined[msg.DeviceID] = struct{}{}
		ctx.Send(a.sys.dir.Get(KindDevice, string(msg.DeviceID)), &StreamJoined{StreamID: a.id})
	}
	return &StreamAnswer{Stream: a.stream}
}

// participantOffline gives an offline camera or requester
// StreamOfflineGrace to come back before the stream ends. Its socket is
// only signaling: the camera's media and the requester's viewing go on
// meanwhile on their peer connections, whose failure ends or drops them
// by itself.
func (a *streamActor) participantOffline(ctx actor.Context, msg *ParticipantOffline) {
	if a.stream.Status == persistence.StreamEnded || !a.stream.Participant(msg.DeviceID) {
		return
	}
	if _, waiting := a.away[msg.DeviceID]; waiting {
		return
	}
	a.awaySeq++
	self, root, over := ctx.Self(), ctx.ActorSystem().Root,
		&participantGraceOver{DeviceID: msg.DeviceID, Seq: a.awaySeq}
	a.away[msg.DeviceID] = awayWait{seq: a.awaySeq,
		timer: time.AfterFunc(a.cfg.StreamOfflineGrace, func() { root.Send(self, over) })}
	a.log.Info("stream participant offline", "participantID", msg.DeviceID,
		"grace", a.cfg.StreamOfflineGrace)
}

// participantOnline stops waiting for a participant that came back.
func (a *streamActor) participantOnline(msg *ParticipantOnline) {
	if w, waiting := a.away[msg.DeviceID]; waiting {
		w.timer.Stop()
		delete(a.away, msg.DeviceID)
		a.log.Info("stream participant back online", "participantID", msg.DeviceID)
	}
}

// participantGraceOver ends the stream when its camera or requester
// stayed offline for the whole grace period.
func (a *streamActor) participantGraceOver(ctx actor.Context, msg *participantGraceOver) {
	w, waiting := a.away[msg.DeviceID]
	if !waiting || w.seq != msg.Seq || a.stream.Status == persistence.StreamEnded {
		return
	}
	delete(a.away, msg.DeviceID)
	reason := EndReasonRequesterOffline
	if msg.DeviceID == a.stream.CameraDeviceID {
		reason = EndReasonCameraOffline
	}
	if !a.end(ctx, reason, "") {
		// Not stored: wait once more rather than leave the stream open.
		a.participantOffline(ctx, &ParticipantOffline{DeviceID: msg.DeviceID})
	}
}

// requestExpired ends a request the camera never accepted.
func (a *streamActor) requestExpired(ctx actor.Context) {
	if a.stream.Status != persistence.StreamRequested {
		return
	}
	if !a.end(ctx, EndReasonTimedOut, "") {
		self, root := ctx.Self(), ctx.ActorSystem().Root
		a.expiry = time.AfterFunc(storeTimeout, func() { root.Send(self, &streamRequestExpired{}) })
	}
}

// serverStopping ends an open session and closes the room.
func (a *streamActor) serverStopping(ctx actor.Context) {
	if a.stream.Status != persistence.StreamEnded {
		a.end(ctx, EndReasonServerShutdown, "")
	}
	a.release()
	a.respond(ctx, &Done{})
}

// audience is every device told of the stream's changes: the camera, the
// requester and the clients that joined.
func (a *streamActor) audience() []persistence.DeviceID {
	out := []persistence.DeviceID{a.stream.CameraDeviceID, a.stream.RequesterDeviceID}
	for d := range a.joined {
		out = append(out, d)
	}
	return out
}

// tell sends a stream:* event with the session to its audience.
func (a *streamActor) tell(ctx actor.Context, event string) {
	data := wire.StreamData(a.stream)
	for _, d := range a.audience() {
		ctx.Send(a.sys.dir.Get(KindDevice, string(d)), &DeliverEvent{Event: event, Data: data})
	}
}

// tellParticipants sends msg to the camera's and requester's actors.
func (a *streamActor) tellParticipants(ctx actor.Context, msg any) {
	ctx.Send(a.sys.dir.Get(KindDevice, string(a.stream.CameraDeviceID)), msg)
	ctx.Send(a.sys.dir.Get(KindDevice, string(a.stream.RequesterDeviceID)), msg)
}
