package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
)

// retryPublishSeconds is the Retry-After of TOO_MANY_PUBLISHERS: cameras
// stream for minutes, so sooner rarely finds a free slot.
const retryPublishSeconds = "30"

// streamRefusals are the answers to a stream actor's refusals that do not
// depend on the stream's status.
var streamRefusals = map[actors.StreamRefusal]*Error{
	actors.StreamNotFound:       errStreamNotFound,
	actors.StreamNotParticipant: errNotParticipant,
	actors.StreamNotCamera:      errNotStreamCamera,
	actors.StreamNotViewer:      errNotViewer,
	actors.StreamNoMediaPlane: newError(fiber.StatusConflict, "NO_MEDIA_PLANE",
		"this stream session has no SFU media plane (it was made in legacy mode)"),
	actors.StreamTooManyPublishers: newError(fiber.StatusTooManyRequests, "TOO_MANY_PUBLISHERS",
		"the SFU already carries MEDIA_MAX_PUBLISHERS cameras; retry after the time in Retry-After"),
	actors.StreamRoomFull: newError(fiber.StatusConflict, "ROOM_FULL",
		"the stream already has MEDIA_MAX_SUBSCRIBERS_PER_ROOM viewers"),
	actors.StreamInvalidSDP: badRequest("INVALID_SDP",
		"sdp is not an offer the SFU can answer (malformed, or no VP8, H.264 or Opus)"),
	actors.StreamNotPublishing: newError(fiber.StatusConflict, "CAMERA_NOT_PUBLISHING",
		"the camera is not publishing media yet; retry when stream:started has come and it publishes"),
	actors.StreamAlreadyPublishing: newError(fiber.StatusConflict, "ALREADY_PUBLISHING",
		"the camera already publishes to this stream; a stream takes one publisher for its life"),
	actors.StreamInvalidCandidate: badRequest("INVALID_CANDIDATE",
		"candidate is not a valid ICE candidate"),
	actors.StreamTooManyCandidates: badRequest("TOO_MANY_CANDIDATES",
		"too many ICE candidates before the SDP offer"),
	actors.StreamUnknownViewer: newError(fiber.StatusNotFound, "VIEWER_NOT_FOUND",
		"no such viewer transport in this stream"),
	actors.StreamNegotiationFailed: newError(fiber.StatusServiceUnavailable, "NEGOTIATION_FAILED",
		"the SDP exchange did not finish in time; try again"),
}

// streamRefusalError turns a stream actor's refusal into the answer.
func streamRefusalError(r *actors.StreamRefused) error {
	if r.Reason == actors.StreamWrongState {
		switch r.Status {
		case persistence.StreamEnded:
			return newError(fiber.StatusConflict, "STREAM_ENDED", "the stream session has ended")
		case persistence.StreamRequested:
			return newError(fiber.StatusConflict, "STREAM_NOT_STARTED",
				"the camera has not accepted the stream yet")
		}
		return newError(fiber.StatusConflict, "STREAM_STATE", "the stream is "+string(r.Status))
	}
	if e, ok := streamRefusals[r.Reason]; ok {
		return e
	}
	return errStreamUnavailable
}

// withRetryAfter sets Retry-After on a 429 answer.
func withRetryAfter(c *fiber.Ctx, err error) error {
	if e, ok := err.(*Error); ok && e.Status == fiber.StatusTooManyRequests {
		c.Set(fiber.HeaderRetryAfter, retryPublishSeconds)
	}
	return err
}

// mediaPlaneError answers the SFU, WHIP and WHEP routes when this server
// runs no media plane.
func (s *Server) mediaPlaneError() error {
	switch {
	case s.media.Mode == MediaModeLegacy:
		return newError(fiber.StatusConflict, "LEGACY_MEDIA_MODE",
			"MEDIA_MODE is legacy: devices exchange SDP and ICE peer to peer over the websocket "+
				"(webrtc:offer, webrtc:answer, webrtc:ice-candidate)")
	case s.media.Provider == ProviderMock:
		return newError(fiber.StatusNotImplemented, "MEDIA_PROVIDER_MOCK",
			"MEDIA_PROVIDER is mock: credentials only, no media plane")
	}
	return nil
}
