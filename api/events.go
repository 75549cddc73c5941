package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

// EventStore is what the event history needs from persistence; starts and
// ends go through the camera's actor.
type EventStore interface {
	ListEvents(ctx context.Context, f persistence.EventFilter) ([]persistence.Event, error)
}

var errNotCamera = newError(fiber.StatusForbidden, "NOT_A_CAMERA",
	"only a camera reports motion")

func (s *Server) mountEvents() {
	s.app.Post("/events/motion/start", s.requireDevice, s.startMotion)
	s.app.Post("/events/:eventId/motion/end", s.requireDevice, s.endMotion)
	s.app.Get("/events", s.sessions.requireUser, s.listEvents)
}

// startMotion asks the camera's actor to record motion and tell its
// linked clients; the actor orders the camera's events.
//
//	@Summary	A camera reports motion
//	@Description	A retry with the same clientEventId answers the same event (200).
//	@Tags	events
//	@Accept	json
//	@Produce	json
//	@Security	deviceBearer
//	@Param	body body motionStartRequest false "optional"
//	@Success	201 {object} object{event=wire.Event}
//	@Success	200 {object} object{event=wire.Event}
//	@Failure	400,401,403,409 {object} errorBody "the contract's error body"
//	@Router	/events/motion/start [post]
func (s *Server) startMotion(c *fiber.Ctx) error {
	var req motionStartRequest
	if err := parseOptionalBody(c, &req); err != nil {
		return err
	}
	n, err := req.validate(s.now())
	if err != nil {
		return err
	}

	d := deviceOf(c)
	if d.Role != persistence.RoleCamera {
		return errNotCamera
	}
	res, err := s.actors.Ask(actors.KindDevice, string(d.ID), &actors.StartMotion{Event: n},
		s.actorTimeout)
	return s.motionAnswer(c, res, err, fiber.StatusCreated)
}

// endMotion asks the camera's actor to close one of its events. Ending an
// event twice answers it again, unchanged.
//
//	@Summary	A camera reports the end of motion
//	@Tags	events
//	@Accept	json
//	@Produce	json
//	@Security	deviceBearer
//	@Param	eventId path string true "event id" format(uuid)
//	@Param	body body motionEndRequest false "optional"
//	@Success	200 {object} object{event=wire.Event}
//	@Failure	400,401,403,404 {object} errorBody "the contract's error body"
//	@Router	/events/{eventId}/motion/end [post]
func (s *Server) endMotion(c *fiber.Ctx) error {
	id, err := parseUUID("eventId", c.Params("eventId"))
	if err != nil {
		return err
	}
	var req motionEndRequest
	if err := parseOptionalBody(c, &req); err != nil {
		return err
	}
	end, err := req.validate(s.now())
	if err != nil {
		return err
	}

	d := deviceOf(c)
	if d.Role != persistence.RoleCamera {
		return errNotCamera
	}
	res, err := s.actors.Ask(actors.KindDevice, string(d.ID),
		&actors.EndMotion{EventID: persistence.EventID(id), End: end}, s.actorTimeout)
	return s.motionAnswer(c, res, err, fiber.StatusOK)
}

// motionAnswer answers an actor's reply; created is the status of a new
// event, a repeat is 200.
func (s *Server) motionAnswer(c *fiber.Ctx, res any, err error, created int) error {
	switch r := res.(type) {
	case *actors.MotionAnswer:
		status := fiber.StatusOK
		if r.Changed {
			status = created
		}
		return c.Status(status).JSON(fiber.Map{"event": wire.FromEvent(r.Event)})
	case *actors.Refused:
		return refusalError(r, "event")
	}
	return s.unavailable(c.UserContext(), deviceOf(c), &Error{Status: fiber.StatusServiceUnavailable,
		Code: "DEVICE_UNAVAILABLE", Message: "the event could not be recorded; send it again", Err: err})
}

// listEvents answers the user's events newest first, a page at a time.
//
//	@Summary	The user's motion events, newest first
//	@Tags	events
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	cameraDeviceId query string false "one camera" format(uuid)
//	@Param	from query string false "RFC 3339 lower bound" format(date-time)
//	@Param	to query string false "RFC 3339 upper bound" format(date-time)
//	@Param	status query string false "open or ended"
//	@Param	limit query int false "page size"
//	@Param	cursor query string false "nextCursor of the previous page"
//	@Description	Extension: each event carries `clips`, the server's recordings of its
//	@Description	camera that overlap it (an open event runs until now), oldest first, at most
//	@Description	50; `clipsTruncated` says there are more. Download one with
//	@Description	`GET /videos/download-url?objectKey=`.
//	@Success	200 {object} object{events=[]eventJSON,nextCursor=string}
//	@Failure	400,401 {object} errorBody "the contract's error body"
//	@Router	/events [get]
func (s *Server) listEvents(c *fiber.Ctx) error {
	f, err := eventFilterOf(c)
	if err != nil {
		return err
	}

	f.UserID = userOf(c).ID
	events, err := s.events.ListEvents(c.UserContext(), f)
	if err != nil {
		return err
	}

	events, next := nextCursor(events, f.Limit-1, func(e persistence.Event) (time.Time, string) {
		return e.StartedAt, string(e.ID)
	})
	out, err := s.withClips(c.UserContext(), events)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"events": out, "nextCursor": next})
}

// withClips converts a page of events, each with the recordings it shows.
func (s *Server) withClips(ctx context.Context, events []persistence.Event) ([]eventJSON, error) {
	ids := make([]persistence.EventID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	clips := map[persistence.EventID][]persistence.Clip{}
	if s.clips != nil {
		var err error
		if clips, err = s.clips.EventClips(ctx, ids, maxEventClips+1); err != nil {
			return nil, err
		}
	}
	out := make([]eventJSON, len(events))
	for i, e := range events {
		found := clips[e.ID]
		out[i] = eventJSON{Event: wire.FromEvent(e), Clips: make([]clipJSON, 0, len(found)),
			ClipsTruncated: len(found) > maxEventClips}
		for _, c := range found[:min(len(found), maxEventClips)] {
			out[i].Clips = append(out[i].Clips, clipJSON{VideoID: c.VideoID.String(),
				ObjectKey: c.ObjectKey, StartedAt: c.StartedAt.UTC(), EndedAt: c.EndedAt.UTC(),
				DurationMs: c.Duration.Milliseconds(), Codec: c.Codec})
		}
	}
	return out, nil
}
