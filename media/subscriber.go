package media

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// subscriber is one viewer: its peer connection and its copy of each
// camera track.
type subscriber struct {
	*peer
	// tracks are the camera's tracks when the viewer came.
	tracks []*upTrack
	// downs and ups are set once the offer is applied; guarded by the
	// room's mu. ups[i] feeds downs[i].
	downs []*downTrack
	ups   []*upTrack
}

// Subscribe takes a viewer's recvonly SDP offer (WHEP or
// sfu/subscribe-transport) and returns the answer, which sends the viewer
// one track per camera track whose kind the offer receives. A viewer who
// comes while the camera has answered but sent nothing yet waits up to
// Config.TrackWait for its tracks. Errors: ErrNotPublishing, ErrRoomFull,
// ErrViewerExists, ErrRoomClosed, ErrInvalidSDP, or ctx's error.
func (r *Room) Subscribe(ctx context.Context, viewerID, offerSDP string) (string, error) {
	if err := r.waitForTracks(ctx); err != nil {
		return "", fmt.Errorf("subscribe %q to room %q: %w", viewerID, r.id, err)
	}
	s, err := r.reserveSubscriber(viewerID)
	if err != nil {
		return "", err
	}
	ans, err := r.negotiateSubscriber(ctx, s, offerSDP)
	if err != nil {
		r.removeSubscriber(s)
		return "", fmt.Errorf("subscribe %q to room %q: %w", viewerID, r.id, err)
	}
	r.log.Info("viewer subscribed", "viewerID", viewerID, "tracks", len(s.downs))
	return ans, nil
}

// Leave closes a viewer's peer connection and stops forwarding to it.
func (r *Room) Leave(viewerID string) error {
	r.mu.Lock()
	s := r.subs[viewerID]
	r.mu.Unlock()
	if s == nil {
		return fmt.Errorf("%w: %q in room %q", ErrUnknownViewer, viewerID, r.id)
	}
	r.removeSubscriber(s)
	return nil
}

// waitForTracks returns once the camera's tracks are in, or fails when
// there is no camera or its tracks do not come within TrackWait.
func (r *Room) waitForTracks(ctx context.Context) error {
	r.mu.Lock()
	closed, pub := r.closed, r.pub
	r.mu.Unlock()
	switch {
	case closed:
		return ErrRoomClosed
	case pub == nil:
		return ErrNotPublishing
	}
	timer := time.NewTimer(r.sfu.cfg.TrackWait)
	defer timer.Stop()
	select {
	case <-r.ready:
	case <-timer.C:
		return fmt.Errorf("%w: no camera track within %s", ErrNotPublishing, r.sfu.cfg.TrackWait)
	case <-r.done:
		return ErrRoomClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	if pub.isClosed() {
		return fmt.Errorf("%w: the camera left", ErrNotPublishing)
	}
	return nil
}

// reserveSubscriber takes a place in the room for the viewer.
func (r *Room) reserveSubscriber(viewerID string) (*subscriber, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return nil, fmt.Errorf("%w: room %q", ErrRoomClosed, r.id)
	case r.subs[viewerID] != nil:
		return nil, fmt.Errorf("%w: %q in room %q", ErrViewerExists, viewerID, r.id)
	case len(r.subs) >= r.sfu.cfg.MaxSubscribersPerRoom:
		return nil, fmt.Errorf("%w: room %q has %d viewers", ErrRoomFull, r.id, len(r.subs))
	}
	pc, err := r.sfu.newPeerConnection()
	if err != nil {
		return nil, err
	}
	s := &subscriber{peer: &peer{role: RoleSubscriber, viewerID: viewerID, pc: pc}}
	s.tracks = append([]*upTrack(nil), r.tracks...)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) { r.onSubscriberState(s, st) })
	r.subs[viewerID] = s
	return s, nil
}

// negotiateSubscriber applies the offer, adds the camera's tracks, applies
// early candidates and answers.
func (r *Room) negotiateSubscriber(ctx context.Context, s *subscriber, offerSDP string) (string, error) {
	if err := checkOffer(offerSDP, RoleSubscriber); err != nil {
		return "", err
	}
	if err := applyOffer(s.pc, offerSDP); err != nil {
		return "", err
	}
	if err := r.addDownTracks(s, s.tracks); err != nil {
		return "", err
	}
	key := peerKey{role: RoleSubscriber, viewerID: s.viewerID}
	r.applyEarly(s.peer, r.markRemoteSet(key, s.peer))
	return answer(ctx, s.pc, r.sfu.cfg.GatherTimeout)
}

// addDownTracks gives the viewer a track for each camera track whose kind
// its offer has a free receiving section for, and starts reading the
// viewer's RTCP for it.
func (r *Room) addDownTracks(s *subscriber, tracks []*upTrack) error {
	free := offeredReceivers(s.pc)
	var ups []*upTrack
	var downs []*downTrack
	for _, u := range tracks {
		if free[u.info.Kind] == 0 {
			continue
		}
		d, err := newDownTrack(u, r.id)
		if err != nil {
			return err
		}
		sender, err := s.pc.AddTrack(d.local)
		if err != nil {
			return fmt.Errorf("add %s track: %w", u.info.Kind, err)
		}
		free[u.info.Kind]--
		ups, downs = append(ups, u), append(downs, d)
		if err := r.startViewerRTCP(sender); err != nil {
			return err
		}
	}
	if len(downs) == 0 {
		return fmt.Errorf("%w: the offer receives none of the camera's tracks", ErrInvalidSDP)
	}
	return r.attachDownTracks(s, ups, downs)
}

// attachDownTracks starts forwarding to the viewer, unless it left while
// its offer was being applied.
func (r *Room) attachDownTracks(s *subscriber, ups []*upTrack, downs []*downTrack) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.subs[s.viewerID] != s {
		return fmt.Errorf("%w: %q left while subscribing", ErrUnknownViewer, s.viewerID)
	}
	s.ups, s.downs = ups, downs
	for i, d := range downs {
		ups[i].addDown(d)
	}
	return nil
}

// offeredReceivers counts, per kind, the sections in which the viewer's
// offer receives and that carry no track yet.
func offeredReceivers(pc *webrtc.PeerConnection) map[webrtc.RTPCodecType]int {
	free := map[webrtc.RTPCodecType]int{}
	for _, t := range pc.GetTransceivers() {
		d := t.Direction()
		if d == webrtc.RTPTransceiverDirectionSendonly || d == webrtc.RTPTransceiverDirectionSendrecv ||
			d == webrtc.RTPTransceiverDirectionRecvonly {
			free[t.Kind()]++
		}
	}
	return free
}

// startViewerRTCP starts the goroutine reading a viewer's RTCP for one
// track, unless the room closed meanwhile.
func (r *Room) startViewerRTCP(sender *webrtc.RTPSender) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("%w: room %q", ErrRoomClosed, r.id)
	}
	r.goLocked(func() { r.readViewerRTCP(sender) })
	return nil
}

// readViewerRTCP passes a viewer's keyframe requests (PLI, FIR) on to the
// camera, throttled; pion's interceptors act on NACKs and reports as they
// are read. It ends when the viewer's connection closes.
func (r *Room) readViewerRTCP(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				r.keyframes.request()
			}
		}
	}
}

// onSubscriberState starts the viewer's tracks when it connects (with a
// keyframe request, so its first frame comes soon), and removes a failed
// viewer.
func (r *Room) onSubscriberState(s *subscriber, st webrtc.PeerConnectionState) {
	switch ps := peerStateOf(st); ps {
	case 0:
	case PeerClosed:
		// The viewer closed (DTLS close_notify); closePeer reports it once.
		r.removeSubscriber(s)
	case PeerFailed:
		r.report(s.peer, ps)
		r.removeSubscriber(s)
	case PeerConnected:
		r.startForwarding(s)
		r.report(s.peer, ps)
	default:
		r.report(s.peer, ps)
	}
}

// startForwarding lets packets through to a viewer that connected and
// asks the camera for the keyframe the viewer's tracks wait for.
func (r *Room) startForwarding(s *subscriber) {
	r.mu.Lock()
	for _, d := range s.downs {
		d.live.Store(true)
	}
	r.mu.Unlock()
	r.keyframes.request()
}

// removeSubscriber takes the viewer out of the room and closes it.
func (r *Room) removeSubscriber(s *subscriber) {
	r.mu.Lock()
	if r.subs[s.viewerID] == s {
		delete(r.subs, s.viewerID)
	}
	ups, downs := s.ups, s.downs
	s.ups, s.downs = nil, nil
	r.mu.Unlock()
	for i, d := range downs {
		ups[i].removeDown(d)
	}
	r.closePeer(s.peer)
}
