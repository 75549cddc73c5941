package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// Messages are plain data: no channels, funcs or pointers to shared state,
// so that they can become protobuf messages when Vigil moves to protoactor's
// cluster. A PID is itself a protobuf message.

// ConnectionOpened tells a device actor that a websocket authenticated with
// the token hashing to TokenHash is open; Conn is the connection's actor.
// A device has one connection: a newer one replaces the older.
type ConnectionOpened struct {
	Conn      *actor.PID
	TokenHash []byte
}

// ConnectionClosed tells a device actor that Conn's socket is gone. A close
// from a connection already replaced changes nothing. Asked with a future,
// the device answers a *PresenceReport once it has recorded the close.
type ConnectionClosed struct {
	Conn *actor.PID
}

// FrameReceived carries a well-formed frame the device sent on Conn.
// AckID is the Socket.IO acknowledgement id the frame came with, "" when
// the client wants no answer: a frame with one is always answered with an
// *AckResult to Conn, a frame without one only with an error event, if
// something is wrong.
type FrameReceived struct {
	Conn  *actor.PID
	Event string
	Data  []byte
	AckID string
}

// AckResult answers a frame that carried AckID: Code and Message are empty
// when it was handled, and say what went wrong otherwise, as the error
// event would.
type AckResult struct {
	AckID   string
	Code    string
	Message string
}

// HeartbeatReceived reports an HTTP heartbeat; Telemetry is the JSON object
// of what it reported. The device answers a *PresenceReport.
type HeartbeatReceived struct {
	Telemetry []byte
}

// GetPresence asks a device whether it is online; it answers a
// *PresenceReport.
type GetPresence struct{}

// TokenChanged tells a device actor that its token or status changed in
// Postgres: the token was rotated (TokenHash is the new hash) or the device
// was disabled (TokenHash is nil). A socket opened with another token is
// closed at once. The device answers a *PresenceReport.
type TokenChanged struct {
	TokenHash []byte
	Status    persistence.DeviceStatus
}

// PresenceReport is a device's answer to requests: its live presence.
type PresenceReport struct {
	DeviceID   persistence.DeviceID
	Online     bool
	LastSeenAt time.Time
}

// RequestFailed answers a request the actor could not carry out, such as
// a heartbeat Postgres did not store.
type RequestFailed struct {
	Reason string
}

// LinkAdded tells a device actor about a new link to Peer.
type LinkAdded struct {
	LinkID persistence.LinkID
	Peer   persistence.DeviceID
}

// LinkRemoved tells a device actor, and the link's own actor, that the
// link was deleted.
type LinkRemoved struct {
	LinkID persistence.LinkID
}

// DevicePresenceChanged goes from a device actor to each of its link
// actors when the device goes online or offline.
type DevicePresenceChanged struct {
	DeviceID   persistence.DeviceID
	Online     bool
	LastSeenAt time.Time
}

// PeerPresenceChanged goes from a link actor to the device at the other
// end, which tells its socket (device:presence).
type PeerPresenceChanged struct {
	LinkID     persistence.LinkID
	DeviceID   persistence.DeviceID
	Online     bool
	LastSeenAt time.Time
}

// PeerPresenceRequested asks a link actor to tell DeviceID's actor the
// presence of the device at the link's other end, so a socket that just
// opened learns who is online without waiting for a change.
type PeerPresenceRequested struct {
	DeviceID persistence.DeviceID
}

// AnnouncePresence asks a device actor to tell link LinkID its presence,
// changed or not; a link that knows nothing of the device sends it.
type AnnouncePresence struct {
	LinkID persistence.LinkID
}

// DeliverEvent asks a device actor to send an event to its socket, if it
// has one. Data is the event's JSON data.
type DeliverEvent struct {
	Event string
	Data  []byte
}

// SendEvent asks a connection actor to write one frame.
type SendEvent struct {
	Event string
	Data  []byte
}

// CloseConnection asks a connection actor to close its socket with a
// websocket close code and reason.
type CloseConnection struct {
	Code   int
	Reason string
}

// DeviceRestarted tells a connection that its device actor restarted after
// a failure and lost it; the connection opens itself to the device again.
type DeviceRestarted struct{}

// heartbeatExpired is a device actor's own timer: the last heartbeat may
// have gone stale.
type heartbeatExpired struct{}
