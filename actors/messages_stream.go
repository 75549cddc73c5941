package actors

import (
	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/persistence"
)

// Messages of stream sessions. Like the others they are plain data: SDP
// and ICE candidates travel as strings, rows as values. The API asks a
// stream's actor with the device that asks; the API has already checked
// that the device may see the stream (a participant or a linked client).

// AnnounceRequest tells a new stream's actor to send stream:requested to
// its camera and requester; the API sends it once, after storing the
// stream.
type AnnounceRequest struct{}

// GetStream asks a stream's actor for its session; it answers a
// *StreamAnswer or a *StreamRefused.
type GetStream struct{}

// AcceptStream is the camera accepting a requested stream.
type AcceptStream struct {
	DeviceID persistence.DeviceID
}

// EndStream ends a stream for the camera or the requester. Reason is
// recorded; empty means "ended" (or "rejected" when the camera ends a
// stream it never accepted).
type EndStream struct {
	DeviceID persistence.DeviceID
	Reason   string
}

// JoinStream records that a linked client means to watch, so that it is
// told when the stream starts and ends and may exchange signaling with
// the camera in legacy mode.
type JoinStream struct {
	DeviceID persistence.DeviceID
}

// StreamAnswer is a stream session after a request.
type StreamAnswer struct {
	Stream persistence.Stream
}

// PublishOffer is the camera's SDP offer (sfu/publish-transport or WHIP).
// It answers an *SDPAnswer or a *StreamRefused.
type PublishOffer struct {
	DeviceID persistence.DeviceID
	SDP      string
}

// ViewerVia says through which route a viewer subscribed.
type ViewerVia string

// Routes a viewer subscribes through.
const (
	// ViaSFU is sfu/subscribe-transport: one viewer per device, replaced
	// when the device subscribes again.
	ViaSFU ViewerVia = "sfu"
	// ViaWHEP is a WHEP resource: as many as the room takes.
	ViaWHEP ViewerVia = "whep"
)

// SubscribeOffer is a viewer's recvonly SDP offer. It answers an
// *SDPAnswer (with the viewer's id) or a *StreamRefused.
type SubscribeOffer struct {
	DeviceID persistence.DeviceID
	Via      ViewerVia
	SDP      string
}

// RestartICE is a WHIP or WHEP client's PATCH carrying ICE credentials:
// the camera's when Publisher is set, else the WHEP viewer ViewerID's.
// New credentials restart ICE on the existing transport; it answers an
// *SDPAnswer, whose SDP is empty when the credentials were the ones in
// use (nothing restarted), or a *StreamRefused.
type RestartICE struct {
	DeviceID  persistence.DeviceID
	Publisher bool
	ViewerID  string
	Ufrag     string
	Pwd       string
}

// SDPAnswer is the server's SDP answer. ViewerID names a viewer's
// transport (the WHEP resource); it is empty for the camera.
type SDPAnswer struct {
	SDP      string
	ViewerID string
}

// AddCandidate is a trickled ICE candidate: the camera's when ViewerID is
// empty and Via is not set, otherwise a viewer's (by ViewerID for WHEP,
// by device for ViaSFU). SDPMLineIndex is -1 when the candidate names none.
type AddCandidate struct {
	DeviceID      persistence.DeviceID
	Publisher     bool
	Via           ViewerVia
	ViewerID      string
	Candidate     string
	SDPMid        string
	SDPMLineIndex int
}

// LeaveStream closes one viewer's transport (ViewerID for WHEP, the
// device's own for ViaSFU) or, with Publisher, the camera's.
type LeaveStream struct {
	DeviceID  persistence.DeviceID
	Publisher bool
	Via       ViewerVia
	ViewerID  string
}

// Done answers a request that has nothing to return.
type Done struct{}

// GetSession asks for the media side of a stream; it answers a
// *SessionReport or a *StreamRefused.
type GetSession struct {
	DeviceID persistence.DeviceID
}

// SessionReport describes a stream's media: whether the camera publishes
// and is connected, its tracks, and its viewers.
type SessionReport struct {
	Stream             persistence.Stream
	Publishing         bool
	PublisherConnected bool
	Tracks             int
	Viewers            int
	PacketsIn          uint64
	PacketsForwarded   uint64
}

// StreamRefusal says why a stream's actor refused a request.
type StreamRefusal string

// Stream refusals; the API turns each into a status and a code.
const (
	StreamNotFound          StreamRefusal = "not_found"
	StreamNotParticipant    StreamRefusal = "not_participant"
	StreamNotCamera         StreamRefusal = "not_camera"
	StreamNotViewer         StreamRefusal = "not_viewer"
	StreamWrongState        StreamRefusal = "wrong_state"
	StreamNoMediaPlane      StreamRefusal = "no_media_plane"
	StreamTooManyPublishers StreamRefusal = "too_many_publishers"
	StreamRoomFull          StreamRefusal = "room_full"
	StreamInvalidSDP        StreamRefusal = "invalid_sdp"
	StreamNotPublishing     StreamRefusal = "not_publishing"
	StreamAlreadyPublishing StreamRefusal = "already_publishing"
	StreamInvalidCandidate  StreamRefusal = "invalid_candidate"
	StreamTooManyCandidates StreamRefusal = "too_many_candidates"
	StreamUnknownViewer     StreamRefusal = "unknown_viewer"
	StreamNegotiationFailed StreamRefusal = "negotiation_failed"
)

// StreamRefused answers a stream request the actor will not carry out;
// Status is the stream's status at the time.
type StreamRefused struct {
	Reason StreamRefusal
	Status persistence.StreamStatus
}

// StreamOpened goes from a stream's actor to its camera's and requester's
// device actors, which then tell the stream when their device goes
// offline (ParticipantOffline).
type StreamOpened struct {
	StreamID persistence.StreamID
}

// StreamClosed tells those device actors that the stream ended.
type StreamClosed struct {
	StreamID persistence.StreamID
}

// ParticipantOffline goes from a device actor to a stream's actor: the
// device went offline, which ends the stream unless it comes back within
// Config.StreamOfflineGrace.
type ParticipantOffline struct {
	DeviceID persistence.DeviceID
}

// ParticipantOnline goes from a device actor to a stream's actor: the
// device is back online, so the stream no longer waits to end.
type ParticipantOnline struct {
	DeviceID persistence.DeviceID
}

// RelaySignal carries a legacy-mode signaling frame (webrtc:offer,
// webrtc:answer, webrtc:ice-candidate) from the device that sent it to
// the stream's actor, which passes it to the device it names.
type RelaySignal struct {
	From  persistence.DeviceID
	Event string
	Data  []byte
}

// ServerStopping tells a stream's actor that the server is shutting down:
// an open session ends (its media and its participants' sockets go with
// the process) and the room closes. It answers *Done.
type ServerStopping struct{}

// RevokeReason says why a device lost its right to a stream.
type RevokeReason string

// Revoke reasons, as stream:viewer-removed reports them.
const (
	// RevokedUnlinked: the client's link to the camera was deleted.
	RevokedUnlinked RevokeReason = "unlinked"
	// RevokedDisabled: the device was disabled.
	RevokedDisabled RevokeReason = "device_disabled"
)

// DeviceRevoked goes from the API to an open stream's actor once Postgres
// holds the change: the device lost its link to the camera or was
// disabled. The actor cuts it off (see deviceRevoked); a device that takes
// no part in the stream changes nothing.
type DeviceRevoked struct {
	DeviceID persistence.DeviceID
	Reason   RevokeReason
}

// Stream reasons for ending, as stream_sessions.end_reason records them.
const (
	EndReasonEnded            = "ended"
	EndReasonRejected         = "rejected"
	EndReasonTimedOut         = "timed_out"
	EndReasonCameraOffline    = "camera_offline"
	EndReasonRequesterOffline = "requester_offline"
	EndReasonCameraLeft       = "camera_left"
	EndReasonServerShutdown   = "server_shutdown"
	// The camera was disabled; the requester was disabled or unlinked
	// from the camera (DeviceRevoked).
	EndReasonCameraDisabled    = "camera_disabled"
	EndReasonRequesterDisabled = "requester_disabled"
	EndReasonRequesterUnlinked = "requester_unlinked"
	// EndReasonServerRestart ends, at start-up, a session that the
	// previous process left open (see System.EndStreamsLeftOpen).
	EndReasonServerRestart = "server_restart"
	// EndReasonUserDeleted ends the open streams of a user who deleted
	// their account (POST /api/auth/delete-user).
	EndReasonUserDeleted = "user_deleted"
)

// participantGraceOver is a stream actor's own timer: a participant that
// went offline may have stayed away for the whole grace period.
type participantGraceOver struct {
	DeviceID persistence.DeviceID
	Seq      uint64
}

// streamRequestExpired is a stream actor's own timer: the request may
// have waited too long for the camera.
type streamRequestExpired struct{}

// mediaEvent is a peer state change the stream's room reported, posted
// to the actor's own mailbox from pion's goroutines.
type mediaEvent struct {
	Publisher bool
	ViewerID  string
	State     media.PeerState
}

// negotiated is a stream actor's own note that a transport's SDP
// exchange finished; OK is false when it failed. Again marks a
// renegotiation of a transport that was already up, which a failure
// leaves as it was.
type negotiated struct {
	ViewerID string
	DeviceID persistence.DeviceID
	Via      ViewerVia
	Again    bool
	OK       bool
}

// StreamJoined goes from a stream's actor to a linked client that joined
// as a viewer, so the client's legacy signaling may name that stream.
type StreamJoined struct {
	StreamID persistence.StreamID
}
