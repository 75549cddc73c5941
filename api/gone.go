package api

import (
	"context"
	"errors"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/persistence"
)

// Answers for a request that raced the deletion of its own caller
// (delete-user, or DELETE /devices/{id}): the credentials it passed with a
// moment ago no longer work, so it is the 401 the next request will get.
var (
	errUserGone = newError(fiber.StatusUnauthorized, "UNAUTHORIZED",
		"the account was deleted; sign in again")
	errDeviceGone = newError(fiber.StatusUnauthorized, "INVALID_DEVICE_TOKEN",
		"this device was deleted; its token no longer works")
)

// goneError answers a write Postgres refused because a row it names was
// deleted while the request ran. The user, or a column in self (the
// caller's own device), gone is selfGone: the caller's credentials are
// gone with it. Any other device gone is 404. Other errors pass through.
func goneError(err error, selfGone *Error, self ...string) error {
	var g *persistence.GoneError
	if !errors.As(err, &g) {
		return err
	}
	if g.Column == "user_id" || g.Column == "userId" || slices.Contains(self, g.Column) {
		return withCause(selfGone, err)
	}
	return &Error{Status: fiber.StatusNotFound, Code: "DEVICE_NOT_FOUND",
		Message: "a device this request names was deleted", Err: err}
}

// unavailable answers a device's request whose actor did not carry it out.
// When the device itself was deleted meanwhile its actor cannot load it,
// and "send it again" would never succeed: that is errDeviceGone. Only a
// device that still exists gets the 503 unavailable.
func (s *Server) unavailable(ctx context.Context, d persistence.Device, unavailable *Error) error {
	_, err := s.devices.UserDevice(ctx, d.UserID, d.ID)
	if errors.Is(err, persistence.ErrNotFound) {
		return withCause(errDeviceGone, unavailable)
	}
	return unavailable
}

// withCause copies a shared answer with the error behind it, for the log.
func withCause(e *Error, cause error) *Error {
	return &Error{Status: e.Status, Code: e.Code, Message: e.Message, Err: cause}
}
