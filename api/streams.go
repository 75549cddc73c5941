package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/persistence"
)

// StreamStore is what the stream routes need from persistence; changes of
// a stream's state go through its actor.
type StreamStore interface {
	CreateStream(ctx context.Context, n persistence.NewStream) (persistence.Stream, error)
	SetStreamCommand(ctx context.Context, id persistence.StreamID, cmd persistence.CommandID) error
	StreamByID(ctx context.Context, id persistence.StreamID) (persistence.Stream, error)
	DeviceStreams(ctx context.Context, device persistence.DeviceID, after *persistence.Keyset,
		limit int) ([]persistence.Stream, error)
	UserOpenStreams(ctx context.Context, user persistence.UserID) ([]persistence.Stream, error)
}

// Media modes and providers (MEDIA_MODE, MEDIA_PROVIDER).
const (
	MediaModeSFU    = actors.MediaModeSFU
	MediaModeLegacy = "legacy"
	ProviderPion    = "pion"
	ProviderMock    = "mock"
)

// MediaOptions says how stream media flows and what devices are told.
type MediaOptions struct {
	// Mode is MediaModeSFU or MediaModeLegacy; Provider is ProviderPion
	// or ProviderMock. The SFU routes need both SFU and pion.
	Mode     string
	Provider string
	// TURN makes the iceServers of credentials.
	TURN media.TURNConfig
	// RequestTimeout bounds how long a request waits for the camera to
	// accept; default actors.DefaultStreamRequestTimeout.
	RequestTimeout time.Duration
}

func (m MediaOptions) withDefaults() MediaOptions {
	if m.Mode == "" {
		m.Mode = MediaModeSFU
	}
	if m.Provider == "" {
		m.Provider = ProviderPion
	}
	if m.RequestTimeout == 0 {
		m.RequestTimeout = actors.DefaultStreamRequestTimeout
	}
	if m.TURN.TTL == 0 {
		m.TURN.TTL = media.DefaultTURNTTL
	}
	return m
}

// transportTimeout bounds a request's wait for an SDP exchange: the
// actor's own bound plus a margin so its answer, not a timeout, arrives.
const transportTimeout = actors.NegotiationTimeout + 2*time.Second

var (
	errStreamNotFound  = newError(fiber.StatusNotFound, "STREAM_NOT_FOUND", "no such stream session")
	errNotStreamCamera = newError(fiber.StatusForbidden, "NOT_STREAM_CAMERA",
		"only the stream's camera may do this")
	errNotViewer = newError(fiber.StatusForbidden, "NOT_STREAM_VIEWER",
		"only a client device linked to the stream's camera may do this")
	errNotParticipant = newError(fiber.StatusForbidden, "NOT_STREAM_PARTICIPANT",
		"only the stream's camera or requester may do this")
	errStreamUnavailable = newError(fiber.StatusServiceUnavailable, "STREAM_UNAVAILABLE",
		"the stream session did not answer; try again")
)

func (s *Server) mountStreams() {
	if s.streams == nil {
		return
	}
	dev := s.requireDevice
	s.app.Post("/streams/request", dev, s.requestStream)
	s.app.Get("/streams/me/list", dev, s.listStreams)
	s.app.Post("/streams/:streamSessionId/accept", dev, s.acceptStream)
	s.app.Post("/streams/:streamSessionId/end", dev, s.endStream)
	s.app.Get("/streams/:streamSessionId/publish-credentials", dev, s.publishCredentials)
	s.app.Get("/streams/:streamSessionId/subscribe-credentials", dev, s.subscribeCredentials)
	s.app.Get("/streams/:streamSessionId/playback-token", dev, s.playbackToken)
	s.mountSFU()
	s.mountWHIP()
}

// requestStream stores a requested stream and sends its camera a
// start_stream command through the command flow.
//
//	@Summary	A client asks a linked camera to stream
//	@Description	The camera receives a start_stream command.
//	@Tags	streams
//	@Accept	json
//	@Produce	json
//	@Security	deviceBearer
//	@Param	body body object{cameraDeviceId=string} true "the camera"
//	@Success	201 {object} object{streamSession=wire.Stream,command=wire.Command}
//	@Failure	400,401,403,404,409 {object} errorBody "the contract's error body"
//	@Router	/streams/request [post]
func (s *Server) requestStream(c *fiber.Ctx) error {
	var req struct {
		CameraDeviceID string `json:"cameraDeviceId"`
	}
	if err := parseBody(c, &req); err != nil {
		return err
	}
	camera, err := parseUUID("cameraDeviceId", req.CameraDeviceID)
	if err != nil {
		return err
	}

	d := deviceOf(c)
	if d.Role != persistence.RoleClient {
		return newError(fiber.StatusForbidden, "NOT_A_CLIENT", "only a client device requests a stream")
	}
	link, err := s.devices.LinkStateOf(c.UserContext(), persistence.DeviceID(camera), d.ID)
	switch {
	case err != nil:
		return err
	case !link.Linked:
		return newError(fiber.StatusForbidden, "NOT_LINKED", "this device is not linked to cameraDeviceId")
	case link.CameraDisabled:
		return newError(fiber.StatusConflict, "DEVICE_DISABLED",
			"the camera is disabled: it cannot stream")
	}

	now := s.now().UTC()
	expires := now.Add(s.media.RequestTimeout)
	st, err := s.streams.CreateStream(c.UserContext(), persistence.NewStream{UserID: d.UserID,
		CameraDeviceID: persistence.DeviceID(camera), RequesterDeviceID: d.ID,
		MediaMode: s.media.Mode, CreatedAt: now, RequestExpiresAt: expires})
	if errors.Is(err, persistence.ErrTooManyStreams) {
		return newError(fiber.StatusConflict, "TOO_MANY_STREAMS", fmt.Sprintf(
			"the camera already has %d open streams; end one first", persistence.MaxOpenStreamsPerCamera))
	}
	if err != nil {
		return goneError(err, errDeviceGone, "requester_device_id")
	}
	cmd, _, err := s.issueCommand(c.UserContext(), persistence.NewCommand{UserID: d.UserID,
		SourceDeviceID: d.ID, TargetDeviceID: st.CameraDeviceID, Type: "start_stream",
		Payload:   []byte(`{"streamSessionId":"` + string(st.ID) + `"}`),
		CreatedAt: now, ExpiresAt: expires})
	if err != nil {
		return commandRefusal(goneError(err, errDeviceGone, "source_device_id"))
	}
	if err := s.streams.SetStreamCommand(c.UserContext(), st.ID, cmd.ID); err != nil {
		return goneError(err, errDeviceGone, "requester_device_id")
	}
	st.CommandID = cmd.ID
	s.actors.Root().Send(s.actors.Directory().Get(actors.KindStream, string(st.ID)),
		&actors.AnnounceRequest{})

	s.log.Info("stream requested", "userID", d.UserID, "deviceID", st.CameraDeviceID,
		"streamID", st.ID, "commandID", cmd.ID)
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"streamSession": wire.FromStream(st),
		"command": wire.FromCommand(cmd)})
}

// listStreams answers the device's streams as camera or requester,
// newest first.
//
//	@Summary	The device's stream sessions, newest first
//	@Tags	streams
//	@Produce	json
//	@Security	deviceBearer
//	@Param	limit query int false "page size"
//	@Param	cursor query string false "nextCursor of the previous page"
//	@Success	200 {object} object{streamSessions=[]wire.Stream,nextCursor=string}
//	@Failure	400,401 {object} errorBody "the contract's error body"
//	@Router	/streams/me/list [get]
func (s *Server) listStreams(c *fiber.Ctx) error {
	limit, after, err := pageOf(c)
	if err != nil {
		return err
	}
	list, err := s.streams.DeviceStreams(c.UserContext(), deviceOf(c).ID, after, limit+1)
	if err != nil {
		return err
	}
	list, next := nextCursor(list, limit, func(st persistence.Stream) (time.Time, string) {
		return st.CreatedAt, string(st.ID)
	})
	return c.JSON(fiber.Map{"streamSessions": wire.All(list, wire.FromStream), "nextCursor": next})
}

// acceptStream serves POST /streams/{streamSessionId}/accept.
//
//	@Summary	The camera accepts a stream request
//	@Tags	streams
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Success	200 {object} object{streamSession=wire.Stream}
//	@Failure	400,401,403,404,409,503 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/accept [post]
func (s *Server) acceptStream(c *fiber.Ctx) error {
	st, err := s.streamFor(c, asCamera)
	if err != nil {
		return err
	}
	return s.answerStream(c, st, &actors.AcceptStream{DeviceID: deviceOf(c).ID})
}

// endStream serves POST /streams/{streamSessionId}/end.
//
//	@Summary	The camera or the requester ends a stream
//	@Tags	streams
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Success	200 {object} object{streamSession=wire.Stream}
//	@Failure	400,401,403,404,503 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/end [post]
func (s *Server) endStream(c *fiber.Ctx) error {
	st, err := s.streamFor(c, asParticipant)
	if err != nil {
		return err
	}
	return s.answerStream(c, st, &actors.EndStream{DeviceID: deviceOf(c).ID})
}

// answerStream asks the stream's actor and answers the session.
func (s *Server) answerStream(c *fiber.Ctx, st persistence.Stream, msg any) error {
	res, err := s.askStream(st.ID, msg, s.actorTimeout)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"streamSession": wire.FromStream(res.(*actors.StreamAnswer).Stream)})
}

// streamAccess is who may use a stream route.
type streamAccess int

const (
	// asCamera: the stream's camera.
	asCamera streamAccess = iota
	// asParticipant: the camera or the requester.
	asParticipant
	// asViewer: a client linked to the camera (the requester is one).
	asViewer
	// asAnyone: the camera or a linked client.
	asAnyone
)

// streamFor loads the stream of the route and checks that the device of
// the request may use it. Another user's stream is not found.
func (s *Server) streamFor(c *fiber.Ctx, access streamAccess) (persistence.Stream, error) {
	id, err := parseUUID("streamSessionId", c.Params("streamSessionId"))
	if err != nil {
		return persistence.Stream{}, err
	}
	st, err := s.streams.StreamByID(c.UserContext(), persistence.StreamID(id))
	if errors.Is(err, persistence.ErrNotFound) {
		return st, errStreamNotFound
	}
	if err != nil {
		return st, err
	}
	return st, s.mayUse(c.UserContext(), st, deviceOf(c), access)
}

// mayUse checks one device's access to a stream.
func (s *Server) mayUse(ctx context.Context, st persistence.Stream, d persistence.Device,
	access streamAccess) error {
	if d.UserID != st.UserID {
		return errStreamNotFound
	}
	isCamera := d.ID == st.CameraDeviceID
	switch access {
	case asCamera:
		if !isCamera {
			return errNotStreamCamera
		}
		return nil
	case asParticipant:
		if !st.Participant(d.ID) {
			return errNotParticipant
		}
		return nil
	case asAnyone:
		if isCamera {
			return nil
		}
	}
	if d.Role != persistence.RoleClient {
		return errNotViewer
	}
	link, err := s.devices.LinkStateOf(ctx, st.CameraDeviceID, d.ID)
	if err != nil {
		return err
	}
	if !link.Linked {
		return errNotViewer
	}
	return nil
}

// askStream asks a stream's actor and turns a refusal into the answer.
func (s *Server) askStream(id persistence.StreamID, msg any, timeout time.Duration) (any, error) {
	res, err := s.actors.Ask(actors.KindStream, string(id), msg, timeout)
	if err != nil {
		return nil, &Error{Status: errStreamUnavailable.Status, Code: errStreamUnavailable.Code,
			Message: errStreamUnavailable.Message, Err: err}
	}
	switch r := res.(type) {
	case *actors.StreamRefused:
		return nil, streamRefusalError(r)
	case *actors.RequestFailed:
		return nil, errStreamUnavailable
	}
	return res, nil
}

// revokeFromStreams tells the user's open streams, those of camera when it
// is set, that device lost its right to them, once Postgres holds the
// change; each actor cuts the device off if it takes part. A failure is
// logged: the change stands, and the device's access checks refuse it
// from now on, but a transport it already has stays open.
func (s *Server) revokeFromStreams(ctx context.Context, user persistence.UserID,
	camera, device persistence.DeviceID, reason actors.RevokeReason) {
	if s.streams == nil {
		return
	}
	open, err := s.streams.UserOpenStreams(ctx, user)
	if err != nil {
		s.log.Error("could not cut a device off its streams", "userID", user, "deviceID", device,
			"err", err)
		return
	}
	msg := &actors.DeviceRevoked{DeviceID: device, Reason: reason}
	for _, st := range open {
		if camera == "" || st.CameraDeviceID == camera {
			s.actors.Root().Send(s.actors.Directory().Get(actors.KindStream, string(st.ID)), msg)
		}
	}
}
