package media

import (
	"sync"

	"github.com/pion/webrtc/v4"
)

// peer is one peer connection of a room, publisher or viewer, with the
// filter that keeps its reported states in order: pion reports state
// changes from separate goroutines, so a late "connected" must not follow
// "failed", and nothing may follow "closed".
type peer struct {
	role     Role
	viewerID string
	pc       *webrtc.PeerConnection

	// remoteSet tells AddICECandidate that the offer is applied; guarded by
	// the room's mu.
	remoteSet bool

	// negotiating serialises renegotiations of this peer connection.
	negotiating sync.Mutex

	mu     sync.Mutex // guards failed and closed
	failed bool
	closed bool

	closeOnce sync.Once
}

// admit reports whether a state should be reported, and records it.
func (p *peer) admit(s PeerState) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return false
	case s == PeerClosed:
		p.closed = true
	case p.failed:
		return false
	case s == PeerFailed:
		p.failed = true
	}
	return true
}

// event builds the Event reporting a state of this peer.
func (p *peer) event(roomID string, s PeerState) Event {
	return Event{RoomID: roomID, Role: p.role, ViewerID: p.viewerID, State: s}
}

// isClosed reports whether the peer was closed.
func (p *peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}
