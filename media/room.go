package media

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// Room is one stream session's media: a camera publishing and the viewers
// receiving its tracks. The stream session actor creates it with NewRoom
// and closes it; no other code keeps it. Methods are safe for concurrent
// use. Publish and Subscribe block for the SDP exchange (bounded by their
// context and the config's timeouts); the others return at once, except
// Leave and Close, which wait for the closed peers' goroutines.
type Room struct {
	sfu       *SFU
	id        string
	log       *slog.Logger
	onEvent   func(Event)
	keyframes *keyframeRequester
	ready     chan struct{} // closed when the camera's tracks are in
	readyOnce sync.Once
	done      chan struct{} // closed by Close
	wg        sync.WaitGroup

	mu             sync.Mutex // guards the fields below
	closed         bool
	pub            *peer
	expectedTracks int
	tracks         []*upTrack
	settle         *time.Timer
	subs           map[string]*subscriber
	sinks          []*sinkFeed
	early          map[peerKey][]webrtc.ICECandidateInit

	keyframesSent atomic.Uint64
}

// RoomConfig names a room and says where its events go.
type RoomConfig struct {
	// ID is the stream session ID; it names the room in logs and events.
	ID string
	// OnEvent, when set, is called on every peer state change. It runs on
	// pion's goroutines and must not block: an actor's owner should only
	// send the event to its mailbox.
	OnEvent func(Event)
}

// RoomStats counts what a room has carried since it was created.
type RoomStats struct {
	Subscribers int
	Tracks      int
	// PacketsIn are RTP packets read from the camera.
	PacketsIn uint64
	// PacketsForwarded are RTP packets written to viewers.
	PacketsForwarded uint64
	// SinkDrops are packets a slow sink missed.
	SinkDrops uint64
	// KeyframeRequests are PLIs sent to the camera.
	KeyframeRequests uint64
}

// NewRoom creates an empty room on this SFU.
func (s *SFU) NewRoom(cfg RoomConfig) *Room {
	r := &Room{
		sfu:     s,
		id:      cfg.ID,
		log:     s.log.With("streamID", cfg.ID),
		onEvent: cfg.OnEvent,
		ready:   make(chan struct{}),
		done:    make(chan struct{}),
		subs:    map[string]*subscriber{},
		early:   map[peerKey][]webrtc.ICECandidateInit{},
	}
	r.keyframes = newKeyframeRequester(s.cfg.KeyframeInterval, r.sendKeyframeRequest)
	s.totals.rooms.Add(1)
	return r
}

// ID returns the room's stream session ID.
func (r *Room) ID() string { return r.id }

// Close ends the room: it closes the camera's and every viewer's peer
// connection and sink, and returns when their goroutines have ended.
// Closing twice is harmless.
func (r *Room) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.sfu.totals.rooms.Add(-1)
	close(r.done)
	pub, subs, sinks := r.pub, r.subs, r.sinks
	r.subs, r.sinks = map[string]*subscriber{}, nil
	if r.settle != nil {
		r.settle.Stop()
	}
	r.mu.Unlock()

	r.keyframes.stop()
	for _, s := range subs {
		r.closePeer(s.peer)
	}
	if pub != nil {
		r.closePeer(pub)
	}
	for _, f := range sinks {
		f.stop()
	}
	r.wg.Wait()
	r.log.Info("room closed")
}

// Tracks describes the camera's tracks received so far.
func (r *Room) Tracks() []TrackInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]TrackInfo, 0, len(r.tracks))
	for _, u := range r.tracks {
		out = append(out, u.info)
	}
	return out
}

// Stats returns the room's counters.
func (r *Room) Stats() RoomStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := RoomStats{
		Subscribers: len(r.subs), Tracks: len(r.tracks),
		KeyframeRequests: r.keyframesSent.Load(),
	}
	for _, u := range r.tracks {
		st.PacketsIn += u.packetsIn.Load()
		st.PacketsForwarded += u.packetsOut.Load()
	}
	for _, f := range r.sinks {
		st.SinkDrops += f.drops.Load()
	}
	return st
}

// RequestKeyframe asks the camera for a keyframe, within the throttle of
// Config.KeyframeInterval. A recorder starting a file calls it.
func (r *Room) RequestKeyframe() {
	r.keyframes.request()
}

// sendKeyframeRequest sends a PLI (RFC 4585 §6.3.1) for every video track
// of the camera.
func (r *Room) sendKeyframeRequest() {
	r.mu.Lock()
	pub := r.pub
	var pkts []rtcp.Packet
	for _, u := range r.tracks {
		if u.info.Kind == webrtc.RTPCodecTypeVideo {
			pkts = append(pkts, &rtcp.PictureLossIndication{MediaSSRC: u.info.SSRC})
		}
	}
	r.mu.Unlock()
	if pub == nil || len(pkts) == 0 {
		return
	}
	r.keyframesSent.Add(1)
	if err := pub.pc.WriteRTCP(pkts); err != nil {
		r.log.Debug("keyframe request not sent", "err", err)
	}
}

// AttachSink starts copying the camera's packets to s, from tracks already
// received and any received later. The returned function detaches it and
// waits for its goroutine; calling it after Close is harmless.
func (r *Room) AttachSink(s Sink) (detach func(), err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("%w: room %q", ErrRoomClosed, r.id)
	}
	f := newSinkFeed(s)
	r.sinks = append(r.sinks, f)
	for _, u := range r.tracks {
		u.addSink(f)
	}
	return func() { r.detachSink(f) }, nil
}

// detachSink stops offering packets to f and stops it.
func (r *Room) detachSink(f *sinkFeed) {
	r.mu.Lock()
	for i, x := range r.sinks {
		if x == f {
			r.sinks = append(r.sinks[:i:i], r.sinks[i+1:]...)
			break
		}
	}
	tracks := r.tracks
	r.mu.Unlock()
	for _, u := range tracks {
		u.removeSink(f)
	}
	f.stop()
}

// report tells the owner of a peer's state, in order and at most once
// per terminal state.
func (r *Room) report(p *peer, s PeerState) {
	if !p.admit(s) {
		return
	}
	r.log.Info("peer state", "role", p.role.String(), "viewerID", p.viewerID, "state", s.String())
	if r.onEvent != nil {
		r.onEvent(p.event(r.id, s))
	}
}

// closePeer closes a peer's connection once, gives back a publisher's
// slot, and reports the peer closed.
func (r *Room) closePeer(p *peer) {
	p.closeOnce.Do(func() {
		if err := p.pc.Close(); err != nil {
			r.log.Debug("peer close", "role", p.role.String(), "err", err)
		}
		if p.role == RolePublisher {
			r.sfu.releasePublisher()
		}
		r.report(p, PeerClosed)
	})
}

// goLocked starts a room goroutine that Close waits for; the room must
// be open and mu held, so no goroutine starts after Close's Wait.
func (r *Room) goLocked(f func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f()
	}()
}
