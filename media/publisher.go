package media

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// Publish takes the camera's SDP offer (WHIP or sfu/publish-transport) and
// returns the answer. The room receives the tracks the offer sends; a room
// has one camera for its life, so a camera that left needs a new room.
// Errors: ErrRoomClosed, ErrAlreadyPublishing, ErrTooManyPublishers,
// ErrInvalidSDP, or ctx's error.
func (r *Room) Publish(ctx context.Context, offerSDP string) (string, error) {
	p, err := r.reservePublisher()
	if err != nil {
		return "", err
	}
	ans, err := r.negotiatePublisher(ctx, p, offerSDP)
	if err != nil {
		r.dropPublisher(p)
		return "", fmt.Errorf("publish to room %q: %w", r.id, err)
	}
	r.log.Info("camera publishing", "tracks", r.expectedTrackCount())
	return ans, nil
}

// reservePublisher takes the room's publisher place and an SFU slot.
func (r *Room) reservePublisher() (*peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return nil, fmt.Errorf("%w: room %q", ErrRoomClosed, r.id)
	case r.pub != nil:
		return nil, fmt.Errorf("%w: room %q", ErrAlreadyPublishing, r.id)
	}
	if err := r.sfu.acquirePublisher(r.id); err != nil {
		return nil, err
	}
	pc, err := r.sfu.newPeerConnection()
	if err != nil {
		r.sfu.releasePublisher()
		return nil, err
	}
	p := &peer{role: RolePublisher, pc: pc}
	pc.OnTrack(r.onCameraTrack)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { r.onPublisherState(p, s) })
	r.pub = p
	return p, nil
}

// negotiatePublisher applies the offer and early candidates, and answers.
func (r *Room) negotiatePublisher(ctx context.Context, p *peer, offerSDP string) (string, error) {
	if err := checkOffer(offerSDP, RolePublisher); err != nil {
		return "", err
	}
	if err := applyOffer(p.pc, offerSDP); err != nil {
		return "", err
	}
	n := countReceiving(p.pc)
	if n == 0 {
		return "", fmt.Errorf("%w: the offer sends no track", ErrInvalidSDP)
	}
	r.mu.Lock()
	r.expectedTracks = n
	r.mu.Unlock()
	r.applyEarly(p, r.markRemoteSet(peerKey{role: RolePublisher}, p))
	return answer(ctx, p.pc, r.sfu.cfg.GatherTimeout)
}

// countReceiving counts the media sections in which the room receives.
func countReceiving(pc *webrtc.PeerConnection) int {
	n := 0
	for _, t := range pc.GetTransceivers() {
		d := t.Direction()
		if d == webrtc.RTPTransceiverDirectionRecvonly || d == webrtc.RTPTransceiverDirectionSendrecv {
			n++
		}
	}
	return n
}

// dropPublisher undoes a failed Publish so the camera may try again.
func (r *Room) dropPublisher(p *peer) {
	r.closePeer(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pub == p {
		r.pub = nil
		delete(r.early, peerKey{role: RolePublisher})
	}
}

func (r *Room) expectedTrackCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.expectedTracks
}

// onPublisherState reports the camera's state; a failed camera is closed
// at once so its slot and goroutines are released without the owner.
func (r *Room) onPublisherState(p *peer, s webrtc.PeerConnectionState) {
	switch st := peerStateOf(s); st {
	case 0:
	case PeerClosed:
		// The camera closed (DTLS close_notify); closePeer reports it once.
		r.closePeer(p)
	case PeerFailed:
		r.report(p, st)
		r.closePeer(p)
	default:
		r.report(p, st)
	}
}

// onCameraTrack starts forwarding a track the camera sends. The room is
// ready for viewers when every announced track is in, or TrackSettle after
// the first: a track later than that reaches only later viewers.
func (r *Room) onCameraTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	u := newUpTrack(remote, r.log, &r.sfu.totals)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.tracks = append(r.tracks, u)
	for _, f := range r.sinks {
		u.addSink(f)
	}
	switch {
	case len(r.tracks) >= r.expectedTracks:
		r.markReady()
	case len(r.tracks) == 1:
		r.settle = time.AfterFunc(r.sfu.cfg.TrackSettle, r.markReady)
	}
	r.goLocked(u.run)
	r.goLocked(func() { drainRTCP(recv) })
	r.log.Info("camera track", "trackKind", u.info.Kind.String(), "codec", u.info.Codec.MimeType)
}

// markReady lets waiting viewers subscribe.
func (r *Room) markReady() {
	r.readyOnce.Do(func() { close(r.ready) })
}

// drainRTCP reads the camera's RTCP (sender reports) so pion's report
// interceptor sees it, until the receiver stops.
func drainRTCP(recv *webrtc.RTPReceiver) {
	for {
		if _, _, err := recv.ReadRTCP(); err != nil {
			return
		}
	}
}
