package api

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
)

// DefaultActorTimeout bounds how long a request waits for an actor's
// answer. Actors answer in microseconds unless Postgres is slow, and their
// own Postgres calls are bounded by five seconds.
const DefaultActorTimeout = 6 * time.Second

// DeviceStore is what the device and link routes need from persistence.
type DeviceStore interface {
	CreateDevice(ctx context.Context, n persistence.NewDevice) (persistence.Device, error)
	ListDevices(ctx context.Context, userID persistence.UserID) ([]persistence.Device, error)
	UserDevice(ctx context.Context, userID persistence.UserID,
		id persistence.DeviceID) (persistence.Device, error)
	DeviceByTokenHash(ctx context.Context, hash []byte) (persistence.Device, error)
	UpdateDevice(ctx context.Context, userID persistence.UserID, id persistence.DeviceID,
		p persistence.DevicePatch) (persistence.Device, error)
	ReplaceToken(ctx context.Context, userID persistence.UserID, id persistence.DeviceID,
		hash []byte) (persistence.Device, error)
	CreateLink(ctx context.Context, userID persistence.UserID,
		camera, client persistence.DeviceID) (persistence.Link, error)
	ListLinks(ctx context.Context, userID persistence.UserID) ([]persistence.Link, error)
	DeleteLink(ctx context.Context, userID persistence.UserID,
		id persistence.LinkID) (persistence.Link, error)
	LinkStateOf(ctx context.Context, camera, client persistence.DeviceID) (persistence.LinkState, error)
}

var (
	errDeviceNotFound = newError(fiber.StatusNotFound, "DEVICE_NOT_FOUND", "no such device")
	errDeviceDisabled = newError(fiber.StatusConflict, "DEVICE_DISABLED",
		"the device is disabled; set its status to active first")
)

// deviceError turns the store's sentinels into answers.
func deviceError(err error) error {
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return errDeviceNotFound
	case errors.Is(err, persistence.ErrDisabled):
		return errDeviceDisabled
	case errors.Is(err, persistence.ErrHasLinks):
		return newError(fiber.StatusConflict, "DEVICE_HAS_LINKS",
			"the device's role cannot change while it has links; delete them first")
	}
	return err
}

func (s *Server) mountDevices() {
	user := s.sessions.requireUser
	s.app.Post("/devices/register", user, s.registerDevice)
	s.app.Get("/devices", user, s.listDevices)
	s.app.Patch("/devices/:deviceId", user, s.patchDevice)
	s.app.Post("/devices/:deviceId/token", user, s.rotateToken)
	s.app.Post("/devices/:deviceId/heartbeat", s.requireDevice, s.heartbeat)
	s.app.Post("/device-links", user, s.createLink)
	s.app.Get("/device-links", user, s.listLinks)
	s.app.Delete("/device-links/:linkId", user, s.deleteLink)
	s.app.Get("/ws", s.requireUpgrade, s.requireSocketDevice, s.socketHandler())
}

// registerDevice serves POST /devices/register.
//
//	@Summary	Register a device and get its token once
//	@Tags	devices
//	@Accept	json
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	body body registerRequest true "role is camera or client"
//	@Success	201 {object} registerResponse
//	@Failure	400,401,403,413 {object} errorBody "the contract's error body"
//	@Router	/devices/register [post]
func (s *Server) registerDevice(c *fiber.Ctx) error {
	var req registerRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	n, err := req.validate()
	if err != nil {
		return err
	}

	u := userOf(c)
	token, hash := newDeviceToken()
	n.UserID, n.TokenHash = u.ID, hash
	d, err := s.devices.CreateDevice(c.UserContext(), n)
	if err != nil {
		return goneError(err, errUserGone)
	}

	s.log.Info("device registered", "userID", u.ID, "deviceID", d.ID, "role", d.Role)
	return c.Status(fiber.StatusCreated).JSON(registerResponse{
		Device: toDeviceJSON(d, false, time.Time{}), DeviceToken: token})
}

// listDevices answers the user's devices with their live presence, asked
// of all their actors at once. An actor that does not answer counts as
// offline: it is passivating, so no socket or heartbeat keeps it.
//
//	@Summary	The user's devices, with presence
//	@Tags	devices
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Success	200 {object} object{devices=[]deviceJSON}
//	@Failure	401,503 {object} errorBody "the contract's error body"
//	@Router	/devices [get]
func (s *Server) listDevices(c *fiber.Ctx) error {
	devices, err := s.devices.ListDevices(c.UserContext(), userOf(c).ID)
	if err != nil {
		return err
	}

	futures := make([]*actor.Future, len(devices))
	for i, d := range devices {
		pid := s.actors.Directory().Get(actors.KindDevice, string(d.ID))
		futures[i] = s.actors.Root().RequestFuture(pid, &actors.GetPresence{}, s.actorTimeout)
	}
	out := make([]deviceJSON, len(devices))
	for i, d := range devices {
		res, _ := futures[i].Result()
		r, _ := res.(*actors.PresenceReport)
		if r == nil {
			r = &actors.PresenceReport{}
		}
		out[i] = toDeviceJSON(d, r.Online, r.LastSeenAt)
	}
	return c.JSON(fiber.Map{"devices": out})
}

// patchDevice serves PATCH /devices/{deviceId}.
//
//	@Summary	Change a device's name, role, metadata or status
//	@Description	Disabling revokes the token and closes the device's socket.
//	@Tags	devices
//	@Accept	json
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	deviceId path string true "device id" format(uuid)
//	@Param	body body patchRequest true "fields to change; status is active or disabled"
//	@Success	200 {object} object{device=deviceJSON}
//	@Failure	400,401,403,404,409 {object} errorBody "the contract's error body"
//	@Router	/devices/{deviceId} [patch]
func (s *Server) patchDevice(c *fiber.Ctx) error {
	id, err := parseUUID("deviceId", c.Params("deviceId"))
	if err != nil {
		return err
	}
	var req patchRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	patch, err := req.validate()
	if err != nil {
		return err
	}

	u := userOf(c)
	d, err := s.devices.UpdateDevice(c.UserContext(), u.ID, persistence.DeviceID(id), patch)
	if err != nil {
		return deviceError(err)
	}
	if d.Status == persistence.StatusDisabled {
		// Before the device's actor closes its socket, so its streams end
		// with this reason rather than by its going offline.
		s.revokeFromStreams(c.UserContext(), u.ID, "", d.ID, actors.RevokedDisabled)
	}
	var msg any = &actors.GetPresence{}
	if patch.Status != nil {
		msg = &actors.TokenChanged{TokenHash: d.TokenHash, Status: d.Status}
		s.log.Info("device status set", "userID", u.ID, "deviceID", d.ID, "status", d.Status)
	}
	report := s.tellDevice(d.ID, msg)
	return c.JSON(fiber.Map{"device": toDeviceJSON(d, report.Online, report.LastSeenAt)})
}

// rotateToken issues a new token; the old one stops working and its socket
// is closed.
//
//	@Summary	Replace a device's token
//	@Description	The old token stops working at once and its socket closes.
//	@Tags	devices
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	deviceId path string true "device id" format(uuid)
//	@Success	200 {object} registerResponse
//	@Failure	400,401,403,404,409 {object} errorBody "the contract's error body"
//	@Router	/devices/{deviceId}/token [post]
func (s *Server) rotateToken(c *fiber.Ctx) error {
	id, err := parseUUID("deviceId", c.Params("deviceId"))
	if err != nil {
		return err
	}

	u := userOf(c)
	token, hash := newDeviceToken()
	d, err := s.devices.ReplaceToken(c.UserContext(), u.ID, persistence.DeviceID(id), hash)
	if err != nil {
		return deviceError(err)
	}
	report := s.tellDevice(d.ID, &actors.TokenChanged{TokenHash: hash, Status: d.Status})

	s.log.Info("device token rotated", "userID", u.ID, "deviceID", d.ID)
	return c.JSON(registerResponse{Device: toDeviceJSON(d, report.Online, report.LastSeenAt),
		DeviceToken: token})
}

// tellDevice asks the device's actor to apply a change Postgres already
// holds. Postgres is the source of truth, so an actor that does not answer
// does not fail the request; it reloads from Postgres when it next starts.
func (s *Server) tellDevice(id persistence.DeviceID, msg any) *actors.PresenceReport {
	res, err := s.actors.Ask(actors.KindDevice, string(id), msg, s.actorTimeout)
	if r, ok := res.(*actors.PresenceReport); ok && err == nil {
		return r
	}
	s.log.Error("device actor did not confirm a change", "deviceID", id, "err", err)
	return &actors.PresenceReport{}
}

// heartbeat serves POST /devices/{deviceId}/heartbeat.
//
//	@Summary	Refresh a device's presence and telemetry
//	@Description	The body is optional.
//	@Tags	devices
//	@Accept	json
//	@Produce	json
//	@Security	deviceBearer
//	@Param	deviceId path string true "the calling device's id" format(uuid)
//	@Param	body body heartbeatRequest false "telemetry"
//	@Success	200 {object} object{device=deviceJSON}
//	@Failure	400,401,403,404 {object} errorBody "the contract's error body"
//	@Router	/devices/{deviceId}/heartbeat [post]
func (s *Server) heartbeat(c *fiber.Ctx) error {
	id, err := parseUUID("deviceId", c.Params("deviceId"))
	if err != nil {
		return err
	}
	var req heartbeatRequest
	if len(c.Body()) > 0 {
		if err := parseBody(c, &req); err != nil {
			return err
		}
	}
	telemetry, err := req.telemetry()
	if err != nil {
		return err
	}

	d := deviceOf(c)
	if string(d.ID) != id {
		return newError(fiber.StatusForbidden, "DEVICE_MISMATCH",
			"the device token belongs to another device")
	}
	res, err := s.actors.Ask(actors.KindDevice, id, &actors.HeartbeatReceived{Telemetry: telemetry},
		s.actorTimeout)
	report, ok := res.(*actors.PresenceReport)
	if err != nil || !ok {
		return s.unavailable(c.UserContext(), d, &Error{Status: fiber.StatusServiceUnavailable,
			Code: "DEVICE_UNAVAILABLE", Message: "the heartbeat could not be recorded; try again shortly",
			Err: err})
	}

	d.Telemetry = telemetry
	return c.JSON(fiber.Map{"device": toDeviceJSON(d, report.Online, report.LastSeenAt)})
}
