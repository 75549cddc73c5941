package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

// CommandStore is what the command routes need from persistence.
type CommandStore interface {
	CreateCommand(ctx context.Context, n persistence.NewCommand) (persistence.Command, bool, error)
	ListCommands(ctx context.Context, f persistence.CommandFilter) ([]persistence.Command, error)
}

var (
	errNotLinked = newError(fiber.StatusForbidden, "NOT_LINKED",
		"the source device is not linked to targetDeviceId")
	errCameraDisabled = newError(fiber.StatusConflict, "DEVICE_DISABLED",
		"the camera is disabled: it cannot receive commands")
	errNotClient = newError(fiber.StatusForbidden, "NOT_A_CLIENT",
		"only a client device sends commands")
)

func (s *Server) mountCommands() {
	s.app.Post("/commands", s.requireUserOrDevice, s.createCommand)
	s.app.Get("/commands", s.requireUserOrDevice, s.listCommands)
	s.app.Post("/commands/:commandId/ack", s.requireDevice, s.ackCommand)
}

// createCommand stores the command, then hands it to the camera's actor.
// Postgres holds it before the answer, so an accepted command is never
// lost; a retry with the same idempotencyKey answers the same command.
//
//	@Summary	Send a command to a linked camera
//	@Description	A client device sends it with its token; a user names sourceDeviceId. 201 when created,
//	@Description	200 when idempotencyKey returns an existing command.
//	@Tags	commands
//	@Accept	json
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Security	deviceBearer
//	@Param	body body commandRequest true "the command"
//	@Success	201 {object} object{command=wire.Command}
//	@Success	200 {object} object{command=wire.Command}
//	@Failure	400,401,403,404,409,413 {object} errorBody "the contract's error body"
//	@Router	/commands [post]
func (s *Server) createCommand(c *fiber.Ctx) error {
	var req commandRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	n, ttl, err := req.validate(s.commandTTL, s.commandTTLMax)
	if err != nil {
		return err
	}

	source, err := s.commandSource(c, req.SourceDeviceID)
	if err != nil {
		return err
	}

	now := s.now().UTC()
	n.UserID, n.SourceDeviceID, n.CreatedAt, n.ExpiresAt = source.UserID, source.ID, now, now.Add(ttl)
	cmd, created, err := s.issueCommand(c.UserContext(), n)
	if err != nil {
		if deviceOrNil(c) != nil {
			return commandRefusal(goneError(err, errDeviceGone, "source_device_id"))
		}
		return commandRefusal(goneError(err, errUserGone))
	}

	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
		s.log.Info("command accepted", "userID", cmd.UserID, "deviceID", cmd.TargetDeviceID,
			"commandID", cmd.ID, "commandType", cmd.Type)
	}
	return c.Status(status).JSON(fiber.Map{"command": wire.FromCommand(cmd)})
}

// commandRefusal names why the store refused a command; the link and the
// camera's status are checked by the insert itself.
func commandRefusal(err error) error {
	switch {
	case errors.Is(err, persistence.ErrNotLinked):
		return errNotLinked
	case errors.Is(err, persistence.ErrDisabled):
		return errCameraDisabled
	case errors.Is(err, persistence.ErrIdempotencyReused):
		return newError(fiber.StatusConflict, "IDEMPOTENCY_KEY_REUSED",
			"idempotencyKey already names a command with another target, type or payload")
	}
	return err
}

// issueCommand is the one way a command reaches a camera: it is stored,
// then handed to the camera's actor. POST /commands and stream requests
// (start_stream) both go through it.
func (s *Server) issueCommand(ctx context.Context, n persistence.NewCommand) (persistence.Command,
	bool, error) {
	cmd, created, err := s.commands.CreateCommand(ctx, n)
	if err != nil {
		return cmd, created, err
	}
	s.handOver(cmd, created)
	return cmd, created, nil
}

// handOver tells the source that its command is queued and gives a queued
// command to the camera's actor. A retried request hands it over again,
// which the actor ignores when it already holds it.
func (s *Server) handOver(cmd persistence.Command, created bool) {
	root, dir := s.actors.Root(), s.actors.Directory()
	if created {
		root.Send(dir.Get(actors.KindDevice, string(cmd.SourceDeviceID)),
			&actors.CommandStatusChanged{Command: cmd})
	}
	if cmd.Status == persistence.CommandQueued {
		root.Send(dir.Get(actors.KindDevice, string(cmd.TargetDeviceID)),
			&actors.DeliverCommand{Command: cmd})
	}
}

// commandSource is the client device the command comes from: the device
// of the token, or the user's device named by sourceDeviceId.
func (s *Server) commandSource(c *fiber.Ctx, named string) (persistence.Device, error) {
	if d := deviceOrNil(c); d != nil {
		if named != "" && named != string(d.ID) {
			return persistence.Device{}, newError(fiber.StatusForbidden, "DEVICE_MISMATCH",
				"sourceDeviceId must be the device of the token, or left out")
		}
		if d.Role != persistence.RoleClient {
			return persistence.Device{}, errNotClient
		}
		return *d, nil
	}
	id, err := parseUUID("sourceDeviceId", named)
	if err != nil {
		return persistence.Device{}, err
	}
	d, err := s.devices.UserDevice(c.UserContext(), userOf(c).ID, persistence.DeviceID(id))
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return d, newError(fiber.StatusNotFound, "DEVICE_NOT_FOUND",
			"sourceDeviceId is not one of your devices")
	case err != nil:
		return d, err
	case d.Role != persistence.RoleClient:
		return d, newError(fiber.StatusUnprocessableEntity, "WRONG_ROLE",
			"sourceDeviceId must name a device with role client")
	case d.Status != persistence.StatusActive:
		return d, newError(fiber.StatusConflict, "DEVICE_DISABLED", "sourceDeviceId names a disabled device")
	}
	return d, nil
}

// listCommands answers a device the commands it sent or received, and a
// user the commands of all their devices; newest first.
//
//	@Summary	List commands, newest first
//	@Tags	commands
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Security	deviceBearer
//	@Param	deviceId query string false "a device, as source or target" format(uuid)
//	@Param	status query string false "command status" Enums(queued,delivered,acknowledged,rejected,expired)
//	@Param	limit query int false "page size"
//	@Param	cursor query string false "nextCursor of the previous page"
//	@Success	200 {object} object{commands=[]wire.Command,nextCursor=string}
//	@Failure	400,401,403,404 {object} errorBody "the contract's error body"
//	@Router	/commands [get]
func (s *Server) listCommands(c *fiber.Ctx) error {
	limit, after, err := pageOf(c)
	if err != nil {
		return err
	}
	deviceID, err := queryUUID(c, "deviceId")
	if err != nil {
		return err
	}
	status := c.Query("status")
	if status != "" && !validCommandStatus(status) {
		return badRequest("INVALID_STATUS",
			"status must be queued, delivered, acknowledged, rejected or expired")
	}

	f := persistence.CommandFilter{DeviceID: persistence.DeviceID(deviceID),
		Status: persistence.CommandStatus(status), After: after, Limit: limit + 1}
	if d := deviceOrNil(c); d != nil {
		f.Viewer = d.ID
	} else {
		f.UserID = userOf(c).ID
	}
	cmds, err := s.commands.ListCommands(c.UserContext(), f)
	if err != nil {
		return err
	}

	cmds, next := nextCursor(cmds, limit, func(c persistence.Command) (time.Time, string) {
		return c.CreatedAt, string(c.ID)
	})
	return c.JSON(fiber.Map{"commands": wire.All(cmds, wire.FromCommand), "nextCursor": next})
}

// ackCommand is the HTTP form of command:ack. The device's own actor
// records it, so an ack races neither delivery nor expiry.
//
//	@Summary	Answer a command (the HTTP fallback of command:ack)
//	@Tags	commands
//	@Accept	json
//	@Produce	json
//	@Security	deviceBearer
//	@Param	commandId path string true "command id" format(uuid)
//	@Param	body body ackRequest true "status is acknowledged or rejected"
//	@Success	200 {object} object{command=wire.Command}
//	@Failure	400,401,403,404,409 {object} errorBody "the contract's error body"
//	@Router	/commands/{commandId}/ack [post]
func (s *Server) ackCommand(c *fiber.Ctx) error {
	id, err := parseUUID("commandId", c.Params("commandId"))
	if err != nil {
		return err
	}
	var req ackRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	status, err := req.validate()
	if err != nil {
		return err
	}

	d := deviceOf(c)
	res, err := s.actors.Ask(actors.KindDevice, string(d.ID), &actors.AckCommand{
		CommandID: persistence.CommandID(id), Status: status, Reason: req.Reason}, s.actorTimeout)
	switch r := res.(type) {
	case *actors.CommandAnswer:
		return c.JSON(fiber.Map{"command": wire.FromCommand(r.Command)})
	case *actors.Refused:
		return refusalError(r, "command")
	}
	return s.unavailable(c.UserContext(), d, &Error{Status: fiber.StatusServiceUnavailable,
		Code: "DEVICE_UNAVAILABLE", Message: "the ack could not be recorded; send it again", Err: err})
}

// refusalError turns an actor's refusal into the answer.
func refusalError(r *actors.Refused, what string) error {
	switch r.Reason {
	case actors.RefusedNotTarget:
		return newError(fiber.StatusForbidden, "NOT_COMMAND_TARGET",
			"only the command's target device may answer it")
	case actors.RefusedFinal:
		return newError(fiber.StatusConflict, "COMMAND_FINAL", "the command is already "+string(r.Status))
	}
	return newError(fiber.StatusNotFound, strings.ToUpper(what)+"_NOT_FOUND", "no such "+what)
}
