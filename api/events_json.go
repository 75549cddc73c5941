package api

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

// Bounds on what a camera reports about motion.
const (
	// maxClockSkew is how far ahead of the server a camera's clock may be.
	maxClockSkew = time.Minute
	// maxEventAge is how late a camera may report motion it saw offline.
	maxEventAge = 24 * time.Hour
	// maxClientEventIDLength bounds clientEventId; a UUID is 36.
	maxClientEventIDLength = 128
	// maxScore fits both a percentage and a 0..1 confidence.
	maxScore = 100
)

// maxEventClips bounds the clips listed with one event: 50 minutes of
// one-minute segments, which a motion event rarely outlasts.
const maxEventClips = 50

// eventJSON is an event as GET /events lists it: the contract's event
// and, as an extension, the recordings that show it.
type eventJSON struct {
	wire.Event
	Clips          []clipJSON `json:"clips"`
	ClipsTruncated bool       `json:"clipsTruncated"`
}

// clipJSON is one recorded segment of an event's camera.
type clipJSON struct {
	VideoID    string    `json:"videoId"`
	ObjectKey  string    `json:"objectKey"`
	StartedAt  time.Time `json:"startedAt" format:"date-time"`
	EndedAt    time.Time `json:"endedAt" format:"date-time"`
	DurationMs int64     `json:"durationMs"`
	Codec      string    `json:"codec"`
}

type motionStartRequest struct {
	StartedAt     *time.Time      `json:"startedAt" format:"date-time"`
	Score         *float64        `json:"score"`
	Metadata      json.RawMessage `json:"metadata"`
	ClientEventID *string         `json:"clientEventId"`
}

type motionEndRequest struct {
	EndedAt  *time.Time      `json:"endedAt" format:"date-time"`
	Metadata json.RawMessage `json:"metadata"`
}

// parseOptionalBody decodes a body that may be left out entirely.
func parseOptionalBody(c *fiber.Ctx, dst any) error {
	if len(c.Body()) == 0 {
		return nil
	}
	return parseBody(c, dst)
}

func (r *motionStartRequest) validate(now time.Time) (persistence.NewEvent, error) {
	var n persistence.NewEvent
	at, err := reportedTime("startedAt", r.StartedAt, now)
	if err != nil {
		return n, err
	}
	if r.Score != nil && (math.IsNaN(*r.Score) || *r.Score < 0 || *r.Score > maxScore) {
		return n, badRequest("INVALID_SCORE", fmt.Sprintf("score must be a number 0..%d", maxScore))
	}
	meta, err := validateMetadata(r.Metadata)
	if err != nil {
		return n, err
	}
	if k := r.ClientEventID; k != nil && (*k == "" || len(*k) > maxClientEventIDLength ||
		!isCleanText(*k)) {
		return n, badRequest("INVALID_CLIENT_EVENT_ID",
			fmt.Sprintf("clientEventId must be 1..%d bytes of text", maxClientEventIDLength))
	}
	n = persistence.NewEvent{StartedAt: at, Score: r.Score, Metadata: meta}
	if r.ClientEventID != nil {
		n.ClientEventID = *r.ClientEventID
	}
	return n, nil
}

func (r *motionEndRequest) validate(now time.Time) (persistence.EventEnd, error) {
	at, err := reportedTime("endedAt", r.EndedAt, now)
	if err != nil {
		return persistence.EventEnd{}, err
	}
	meta, err := validateMetadata(r.Metadata)
	if err != nil {
		return persistence.EventEnd{}, err
	}
	return persistence.EventEnd{EndedAt: at, Metadata: meta}, nil
}

// reportedTime is a camera's time of an event, now when left out. It must
// lie within maxEventAge before now and maxClockSkew after.
func reportedTime(field string, at *time.Time, now time.Time) (time.Time, error) {
	if at == nil {
		return now.UTC(), nil
	}
	if at.After(now.Add(maxClockSkew)) || at.Before(now.Add(-maxEventAge)) {
		return time.Time{}, badRequest("INVALID_TIME",
			fmt.Sprintf("%s must be within the last %v and not in the future", field, maxEventAge))
	}
	return at.UTC(), nil
}

// eventFilterOf reads the history's filters; Limit is one more than the
// page, to tell whether another follows.
func eventFilterOf(c *fiber.Ctx) (persistence.EventFilter, error) {
	var f persistence.EventFilter
	limit, after, err := pageOf(c)
	if err != nil {
		return f, err
	}
	camera, err := queryUUID(c, "cameraDeviceId")
	if err != nil {
		return f, err
	}
	if f.From, err = queryTime(c, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		return f, badRequest("INVALID_TIME", "from must not be later than to")
	}
	st := persistence.EventStatus(c.Query("status"))
	if st != "" && st != persistence.EventOpen && st != persistence.EventClosed {
		return f, badRequest("INVALID_STATUS", "status must be open or closed")
	}
	f.CameraID, f.Status, f.After, f.Limit = persistence.DeviceID(camera), st, after, limit+1
	return f, nil
}
