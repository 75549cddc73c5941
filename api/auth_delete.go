package api

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/persistence"
)

// sessionFreshAge is Better Auth's default session.freshAge (one day): a
// session older than this must give the password to delete its user.
const sessionFreshAge = 24 * time.Hour

type deleteUserRequest struct {
	Password    string `json:"password"`
	Token       string `json:"token"`
	CallbackURL string `json:"callbackURL"`
}

type deleteUserResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message" example:"User deleted"`
}

// deleteUser deletes the signed-in user and everything they own, as Better
// Auth's delete-user route does with user.deleteUser enabled and no
// verification email.
//
//	@Summary	Delete the signed-in user
//	@Description	Better Auth's delete-user. With password, it must be the user's; without,
//	@Description	the session must be under a day old (400 SESSION_EXPIRED). The user's
//	@Description	sessions, devices (their sockets close with 4003), links, commands, events,
//	@Description	streams and video rows are deleted; objects in storage are not.
//	@Tags	accounts
//	@Accept	json
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	body body deleteUserRequest false "password is optional; token is not issued by Vigil"
//	@Success	200 {object} deleteUserResponse
//	@Failure	400,401,403,404 {object} errorBody "the contract's error body"
//	@Router	/api/auth/delete-user [post]
func (s *Server) deleteUser(acc *accounts, c *fiber.Ctx) error {
	var req deleteUserRequest
	if len(c.Body()) > 0 {
		if err := parseAuthBody(c, &req); err != nil {
			return err
		}
	}
	if req.Token != "" {
		return newError(fiber.StatusNotFound, "INVALID_TOKEN",
			"Vigil sends no deletion emails, so no deletion token is valid")
	}

	auth := c.Locals(authedKey{}).(*authed)
	if err := confirmDeletion(c, acc, auth, req.Password); err != nil {
		return err
	}

	ctx := c.UserContext()
	var devices []persistence.Device
	if s.devices != nil && s.actors != nil {
		var err error
		if devices, err = s.devices.ListDevices(ctx, auth.user.ID); err != nil {
			return err
		}
	}
	s.endUserStreams(ctx, auth.user.ID)
	if err := acc.store.DeleteUser(ctx, auth.user.ID); err != nil &&
		!errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	// A live actor closes its socket; one this activates finds its device
	// gone and stops, so telling every device is safe.
	for _, d := range devices {
		s.actors.Root().Send(s.actors.Directory().Get(actors.KindDevice, string(d.ID)),
			&actors.TokenChanged{Status: persistence.StatusDisabled})
	}
	s.log.Info("user deleted", "userID", auth.user.ID, "devices", len(devices))
	s.sessions.clearCookies(c)
	return c.JSON(deleteUserResponse{Success: true, Message: "User deleted"})
}

// confirmDeletion checks the password when one is given, or else that the
// session is fresh.
func confirmDeletion(c *fiber.Ctx, acc *accounts, auth *authed, password string) error {
	if password == "" {
		if acc.sessions.now().Sub(auth.session.CreatedAt) > sessionFreshAge {
			return badRequest("SESSION_EXPIRED",
				"the session is over a day old: sign in again or give the password")
		}
		return nil
	}
	ctx := c.UserContext()
	_, hash, err := acc.store.CredentialByEmail(ctx, auth.user.Email)
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && hash == "") {
		return badRequest("CREDENTIAL_ACCOUNT_NOT_FOUND", "the user has no password to check")
	}
	if err != nil {
		return err
	}
	switch err := acc.hasher.Verify(ctx, hash, password); {
	case errors.Is(err, betterauth.ErrMismatch), errors.Is(err, betterauth.ErrMalformedHash):
		return badRequest("INVALID_PASSWORD", "Invalid password")
	case err != nil:
		return err
	}
	return nil
}

// endUserStreams ends the user's open streams before their rows go, so
// participants hear stream:ended (user_deleted) and every peer connection
// and recording stops. A stream that starts meanwhile, or an actor that
// does not answer in time, is released when it next tries to record its
// end and finds the row gone.
func (s *Server) endUserStreams(ctx context.Context, user persistence.UserID) {
	if s.streams == nil || s.actors == nil {
		return
	}
	open, err := s.streams.UserOpenStreams(ctx, user)
	if err != nil {
		s.log.Warn("could not list a deleted user's open streams", "userID", user, "err", err)
		return
	}
	for _, st := range open {
		_, err := s.actors.Ask(actors.KindStream, string(st.ID), &actors.EndStream{
			DeviceID: st.CameraDeviceID, Reason: actors.EndReasonUserDeleted}, s.actorTimeout)
		if err != nil {
			s.log.Warn("could not end a deleted user's stream", "streamID", st.ID, "err", err)
		}
	}
}
