package media

import "github.com/pion/webrtc/v4"

// Role says which side of a room a peer is on.
type Role int

// Roles of a room's peers.
const (
	// RolePublisher is the camera.
	RolePublisher Role = iota + 1
	// RoleSubscriber is a viewer.
	RoleSubscriber
)

// String names the role for logs.
func (r Role) String() string {
	switch r {
	case RolePublisher:
		return "publisher"
	case RoleSubscriber:
		return "subscriber"
	}
	return "unknown"
}

// PeerState is what the owner of a room needs to know of a peer
// connection: it came up, it was lost for a moment, it failed, it is gone.
type PeerState int

// Peer states, in the order a peer goes through them. After PeerFailed the
// room closes the peer itself, so PeerClosed always follows.
const (
	PeerConnected PeerState = iota + 1
	PeerDisconnected
	PeerFailed
	PeerClosed
)

// String names the state for logs.
func (s PeerState) String() string {
	switch s {
	case PeerConnected:
		return "connected"
	case PeerDisconnected:
		return "disconnected"
	case PeerFailed:
		return "failed"
	case PeerClosed:
		return "closed"
	}
	return "unknown"
}

// Event reports a peer's state change to the room's owner, as a plain
// value the owner can turn into an actor message.
type Event struct {
	RoomID string
	Role   Role
	// ViewerID is empty for the publisher.
	ViewerID string
	State    PeerState
}

// peerStateOf maps pion's connection state to the states reported; states
// not worth reporting (new, connecting) map to 0.
func peerStateOf(s webrtc.PeerConnectionState) PeerState {
	switch s {
	case webrtc.PeerConnectionStateConnected:
		return PeerConnected
	case webrtc.PeerConnectionStateDisconnected:
		return PeerDisconnected
	case webrtc.PeerConnectionStateFailed:
		return PeerFailed
	case webrtc.PeerConnectionStateClosed:
		return PeerClosed
	}
	return 0
}
