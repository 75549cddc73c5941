package media

import "errors"

// Sentinel errors of the media plane. Callers match them with errors.Is; the
// returned errors wrap them with the value that failed (room, viewer, SDP).
var (
	// ErrTooManyPublishers means the SFU already carries MEDIA_MAX_PUBLISHERS
	// cameras; the HTTP layer answers 429.
	ErrTooManyPublishers = errors.New("media: too many publishers")

	// ErrRoomFull means the room already has MEDIA_MAX_SUBSCRIBERS_PER_ROOM
	// viewers; the HTTP layer answers 409.
	ErrRoomFull = errors.New("media: room full")

	// ErrAlreadyPublishing means the room has a camera already; a room takes
	// one publisher for its whole life.
	ErrAlreadyPublishing = errors.New("media: room already has a publisher")

	// ErrNotPublishing means a viewer asked for media before the camera's
	// tracks arrived (or after the camera left).
	ErrNotPublishing = errors.New("media: room has no published tracks")

	// ErrViewerExists means a viewer ID is already subscribed to the room.
	ErrViewerExists = errors.New("media: viewer already subscribed")

	// ErrUnknownViewer means no viewer with that ID is in the room.
	ErrUnknownViewer = errors.New("media: unknown viewer")

	// ErrRoomClosed means the room was closed; it takes no more peers.
	ErrRoomClosed = errors.New("media: room closed")

	// ErrInvalidSDP means an offer could not be applied: malformed, or
	// offering no codec Vigil forwards.
	ErrInvalidSDP = errors.New("media: invalid SDP offer")

	// ErrInvalidCandidate means a trickled ICE candidate could not be applied.
	ErrInvalidCandidate = errors.New("media: invalid ICE candidate")

	// ErrTooManyCandidates means a peer trickled more candidates before its
	// offer than the room buffers (maxPendingCandidates).
	ErrTooManyCandidates = errors.New("media: too many early ICE candidates")

	// ErrInvalidConfig means a setting handed to New or NewTURNServer makes
	// no sense.
	ErrInvalidConfig = errors.New("media: invalid configuration")
)
