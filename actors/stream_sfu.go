package actors

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/persistence"
)

// NegotiationTimeout bounds one SDP exchange with the SFU: a viewer may
// wait media.DefaultTrackWait (3 s) for the camera's tracks, then ICE
// gathering up to media.DefaultGatherTimeout (2 s); the rest is margin
// for a loaded machine. Callers asking with a future wait a little longer.
const NegotiationTimeout = 8 * time.Second

// MediaModeSFU is the media mode in which stream actors run rooms on the
// SFU; in any other mode (legacy) they relay signaling instead.
const MediaModeSFU = "single_server_sfu"

// hasMediaPlane reports whether this stream's media goes through the SFU.
func (a *streamActor) hasMediaPlane() bool {
	return a.cfg.SFU != nil && a.stream.MediaMode == MediaModeSFU
}

// ensureRoom opens the stream's room once. Its events come back to the
// mailbox as plain messages; the callback runs on pion's goroutines and
// does nothing else.
func (a *streamActor) ensureRoom(ctx actor.Context) *media.Room {
	if a.room != nil || !a.hasMediaPlane() || a.stream.Status == persistence.StreamEnded {
		return a.room
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	a.room = a.cfg.SFU.NewRoom(media.RoomConfig{ID: string(a.id), OnEvent: func(e media.Event) {
		root.Send(self, &mediaEvent{Publisher: e.Role == media.RolePublisher,
			ViewerID: e.ViewerID, State: e.State})
	}})
	a.startRecording(ctx)
	return a.room
}

// openRoom opens the room when a stream starts, so early candidates have
// somewhere to wait.
func (a *streamActor) openRoom(ctx actor.Context) { a.ensureRoom(ctx) }

// mediaRefusal checks that device may use the media plane now: the camera
// publishes from request until end, viewers subscribe while streaming.
func (a *streamActor) mediaRefusal(device persistence.DeviceID, publisher bool) *StreamRefused {
	switch {
	case !a.hasMediaPlane():
		return a.refuse(StreamNoMediaPlane)
	case a.stream.Status == persistence.StreamEnded:
		return a.refuse(StreamWrongState)
	case publisher && device != a.stream.CameraDeviceID:
		return a.refuse(StreamNotCamera)
	case !publisher && (device == a.stream.CameraDeviceID || a.isRevoked(device)):
		return a.refuse(StreamNotViewer)
	case !publisher && a.stream.Status != persistence.StreamStreaming:
		return a.refuse(StreamWrongState)
	}
	return nil
}

// publish answers the camera's offer. An offer for a stream still
// requested accepts it.
func (a *streamActor) publish(ctx actor.Context, msg *PublishOffer) {
	if r := a.mediaRefusal(msg.DeviceID, true); r != nil {
		a.respond(ctx, r)
		return
	}
	if a.publishing && a.room != nil && a.room.SameTransport("", msg.SDP) {
		a.renegotiate(ctx, negotiated{DeviceID: msg.DeviceID, Again: true}, "", msg.SDP)
		return
	}
	if a.stream.Status == persistence.StreamRequested && !a.markStreaming(ctx) {
		a.respond(ctx, &RequestFailed{Reason: "stream not stored"})
		return
	}
	room, status := a.ensureRoom(ctx), a.stream.Status
	a.negotiate(ctx, negotiated{DeviceID: msg.DeviceID}, func(c context.Context) any {
		ans, err := room.Publish(c, msg.SDP)
		if err != nil {
			return refusalOf(err, status)
		}
		return &SDPAnswer{SDP: ans}
	})
}

// subscribe answers a viewer's offer. A device subscribing again through
// sfu/subscribe-transport replaces its previous transport.
func (a *streamActor) subscribe(ctx actor.Context, msg *SubscribeOffer) {
	if r := a.mediaRefusal(msg.DeviceID, false); r != nil {
		a.respond(ctx, r)
		return
	}
	if cur, ok := a.sfuViewer[msg.DeviceID]; ok && msg.Via == ViaSFU && a.room != nil &&
		a.room.SameTransport(cur, msg.SDP) {
		a.renegotiate(ctx, negotiated{ViewerID: cur, DeviceID: msg.DeviceID, Via: ViaSFU, Again: true},
			cur, msg.SDP)
		return
	}
	room, status := a.ensureRoom(ctx), a.stream.Status
	id, old := newViewerID(msg.Via), ""
	if msg.Via == ViaSFU {
		if cur, ok := a.sfuViewer[msg.DeviceID]; ok {
			if _, subscribed := a.viewers[cur]; subscribed {
				old = cur
			} else {
				id = cur
			}
		}
		a.sfuViewer[msg.DeviceID] = id
	}
	a.viewers[id] = viewerEntry{device: msg.DeviceID, via: msg.Via}
	if msg.DeviceID != a.stream.RequesterDeviceID {
		a.joined[msg.DeviceID] = struct{}{}
	}
	note := negotiated{ViewerID: id, DeviceID: msg.DeviceID, Via: msg.Via}
	a.negotiate(ctx, note, func(c context.Context) any {
		if old != "" {
			_ = room.Leave(old)
		}
		ans, err := room.Subscribe(c, id, msg.SDP)
		if err != nil {
			return refusalOf(err, status)
		}
		return &SDPAnswer{SDP: ans, ViewerID: id}
	})
}

// newViewerID names a viewer's transport; the route is in the name for
// the logs.
func newViewerID(via ViewerVia) string { return string(via) + "-" + uuid.NewString() }

// negotiate runs an SDP exchange off the mailbox, so a viewer waiting for
// the camera's tracks holds up no one. The result goes to the asker and a
// note of it to the actor; ending the stream cancels and waits for it.
func (a *streamActor) negotiate(ctx actor.Context, note negotiated, run func(context.Context) any) {
	sender, self, root, parent := ctx.Sender(), ctx.Self(), ctx.ActorSystem().Root, a.mediaCtx
	a.negotiations.Add(1)
	go func() {
		defer a.negotiations.Done()
		c, cancel := context.WithTimeout(parent, NegotiationTimeout)
		res := run(c)
		cancel()
		_, refused := res.(*StreamRefused)
		note.OK = !refused
		root.Send(self, &note)
		if sender != nil {
			root.Send(sender, res)
		}
	}()
}

// negotiated keeps the bookkeeping of a finished exchange: a camera that
// answered is publishing; a viewer that failed is forgotten. A note that
// comes after the room closed changes nothing: release waited for its
// exchange, but the note itself is still in the mailbox.
func (a *streamActor) negotiated(n *negotiated) {
	switch {
	case a.room == nil:
	case n.ViewerID == "":
		if n.OK {
			a.publishing = true
		}
	case !n.OK:
		if !n.Again {
			a.forgetViewer(n.ViewerID)
		}
	default:
		// A viewer forgotten while it negotiated (cut off, or left) must
		// not stay in the room.
		if _, known := a.viewers[n.ViewerID]; !known {
			_ = a.room.Leave(n.ViewerID)
		}
	}
}

// renegotiate answers a new offer from a transport that is up (the
// camera's when viewerID is empty) on its own peer connection: an ICE
// restart after a network change keeps the stream and the viewer's place.
func (a *streamActor) renegotiate(ctx actor.Context, note negotiated, viewerID, offerSDP string) {
	room, status := a.room, a.stream.Status
	a.negotiate(ctx, note, func(c context.Context) any {
		ans, err := room.Renegotiate(c, viewerID, offerSDP)
		if err != nil {
			return refusalOf(err, status)
		}
		return &SDPAnswer{SDP: ans, ViewerID: viewerID}
	})
}

// restartICE restarts ICE for a WHIP camera or a WHEP viewer that sent
// new credentials in a PATCH.
func (a *streamActor) restartICE(ctx actor.Context, msg *RestartICE) {
	if r := a.mediaRefusal(msg.DeviceID, msg.Publisher); r != nil {
		a.respond(ctx, r)
		return
	}
	id, via := "", ViewerVia("")
	if !msg.Publisher {
		var ok bool
		if id, ok = a.viewerFor(msg.DeviceID, ViaWHEP, msg.ViewerID); !ok {
			a.respond(ctx, a.refuse(StreamUnknownViewer))
			return
		}
		via = ViaWHEP
	}
	if a.room == nil {
		a.respond(ctx, a.refuse(StreamNotPublishing))
		return
	}
	room, status := a.room, a.stream.Status
	note := negotiated{ViewerID: id, DeviceID: msg.DeviceID, Via: via, Again: true}
	a.negotiate(ctx, note, func(c context.Context) any {
		ans, _, err := room.RestartICE(c, id, msg.Ufrag, msg.Pwd)
		if err != nil {
			return refusalOf(err, status)
		}
		return &SDPAnswer{SDP: ans, ViewerID: id}
	})
}

// forgetViewer drops a viewer's transport from the books.
func (a *streamActor) forgetViewer(id string) {
	v, ok := a.viewers[id]
	if !ok {
		return
	}
	delete(a.viewers, id)
	if v.via == ViaSFU && a.sfuViewer[v.device] == id {
		delete(a.sfuViewer, v.device)
	}
}

// addCandidate applies a trickled candidate; one that comes before its
// offer waits in the room.
func (a *streamActor) addCandidate(ctx actor.Context, msg *AddCandidate) any {
	if r := a.mediaRefusal(msg.DeviceID, msg.Publisher); r != nil {
		return r
	}
	room := a.ensureRoom(ctx)
	init := webrtc.ICECandidateInit{Candidate: msg.Candidate}
	if msg.SDPMid != "" {
		mid := msg.SDPMid
		init.SDPMid = &mid
	}
	if msg.SDPMLineIndex >= 0 && msg.SDPMLineIndex <= 0xffff {
		idx := uint16(msg.SDPMLineIndex)
		init.SDPMLineIndex = &idx
	}
	var err error
	if msg.Publisher {
		err = room.AddPublisherCandidate(init)
	} else {
		id, ok := a.viewerFor(msg.DeviceID, msg.Via, msg.ViewerID)
		if !ok {
			return a.refuse(StreamUnknownViewer)
		}
		err = room.AddSubscriberCandidate(id, init)
	}
	if err != nil {
		return refusalOf(err, a.stream.Status)
	}
	return &Done{}
}

// viewerFor finds the transport a viewer's request is about: a WHEP
// resource the device owns, or the device's sfu viewer (named now when
// its candidates come before its offer).
func (a *streamActor) viewerFor(device persistence.DeviceID, via ViewerVia, id string) (string, bool) {
	if via == ViaWHEP {
		v, ok := a.viewers[id]
		return id, ok && v.device == device && v.via == ViaWHEP
	}
	if cur, ok := a.sfuViewer[device]; ok {
		return cur, true
	}
	id = newViewerID(ViaSFU)
	a.sfuViewer[device] = id
	return id, true
}

// leave closes a transport: the camera's ends the stream; a viewer's
// closes its peer connection.
func (a *streamActor) leave(ctx actor.Context, msg *LeaveStream) {
	if r := a.mediaRefusal(msg.DeviceID, msg.Publisher); r != nil {
		if r.Reason != StreamWrongState || msg.Publisher {
			a.respond(ctx, r)
			return
		}
	}
	if msg.Publisher {
		a.respond(ctx, a.endByDevice(ctx, &EndStream{DeviceID: msg.DeviceID, Reason: EndReasonCameraLeft}))
		return
	}
	id := msg.ViewerID
	if msg.Via == ViaSFU {
		id = a.sfuViewer[msg.DeviceID]
	}
	v, ok := a.viewers[id]
	if !ok || v.device != msg.DeviceID || v.via != msg.Via {
		a.respond(ctx, a.refuse(StreamUnknownViewer))
		return
	}
	a.forgetViewer(id)
	if a.room != nil {
		_ = a.room.Leave(id)
	}
	a.respond(ctx, &Done{})
}

// mediaEvent turns a peer's state into the stream's: the camera's peer
// closing after it published ends the stream; a viewer's closing frees
// its place in the books.
func (a *streamActor) mediaEvent(ctx actor.Context, e *mediaEvent) {
	if !e.Publisher {
		if e.State == media.PeerClosed {
			a.forgetViewer(e.ViewerID)
		}
		return
	}
	a.publisherConnected = e.State == media.PeerConnected
	if e.State == media.PeerClosed && a.publishing && a.stream.Status == persistence.StreamStreaming {
		a.end(ctx, EndReasonCameraLeft, "")
	}
}

// session reports the media side of the stream; the API has checked that
// the device is the camera or a linked client.
func (a *streamActor) session(*GetSession) any {
	rep := &SessionReport{Stream: a.stream, Publishing: a.publishing,
		PublisherConnected: a.publisherConnected, Viewers: len(a.viewers)}
	st := a.closedStats
	if a.room != nil {
		st = a.room.Stats()
		rep.Tracks, rep.Viewers = st.Tracks, st.Subscribers
	}
	rep.PacketsIn, rep.PacketsForwarded = st.PacketsIn, st.PacketsForwarded
	return rep
}

// refusalOf maps the media plane's sentinels to refusals.
func refusalOf(err error, status persistence.StreamStatus) *StreamRefused {
	reason := StreamNegotiationFailed
	for sentinel, r := range map[error]StreamRefusal{
		media.ErrTooManyPublishers: StreamTooManyPublishers,
		media.ErrRoomFull:          StreamRoomFull,
		media.ErrInvalidSDP:        StreamInvalidSDP,
		media.ErrNotPublishing:     StreamNotPublishing,
		media.ErrAlreadyPublishing: StreamAlreadyPublishing,
		media.ErrRoomClosed:        StreamWrongState,
		media.ErrInvalidCandidate:  StreamInvalidCandidate,
		media.ErrTooManyCandidates: StreamTooManyCandidates,
		media.ErrUnknownViewer:     StreamUnknownViewer,
	} {
		if errors.Is(err, sentinel) {
			reason = r
		}
	}
	return &StreamRefused{Reason: reason, Status: status}
}
