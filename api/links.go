package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
)

// linkJSON is a camera-client link as the contract answers it.
type linkJSON struct {
	ID             persistence.LinkID   `json:"id"`
	UserID         persistence.UserID   `json:"userId"`
	CameraDeviceID persistence.DeviceID `json:"cameraDeviceId"`
	ClientDeviceID persistence.DeviceID `json:"clientDeviceId"`
	CreatedAt      time.Time            `json:"createdAt" format:"date-time"`
}

func toLinkJSON(l persistence.Link) linkJSON {
	return linkJSON{ID: l.ID, UserID: l.UserID, CameraDeviceID: l.CameraDeviceID,
		ClientDeviceID: l.ClientDeviceID, CreatedAt: l.CreatedAt.UTC()}
}

type linkRequest struct {
	CameraDeviceID string `json:"cameraDeviceId"`
	ClientDeviceID string `json:"clientDeviceId"`
}

// linkError names the field of the end that was refused.
func linkError(err error) error {
	var end *persistence.EndError
	if !errors.As(err, &end) {
		if errors.Is(err, persistence.ErrConflict) {
			return newError(fiber.StatusConflict, "LINK_EXISTS", "these devices are already linked")
		}
		return err
	}
	field := "clientDeviceId"
	if end.End == persistence.RoleCamera {
		field = "cameraDeviceId"
	}
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return newError(fiber.StatusNotFound, "DEVICE_NOT_FOUND", field+" is not one of your devices")
	case errors.Is(err, persistence.ErrWrongRole):
		return newError(fiber.StatusUnprocessableEntity, "WRONG_ROLE",
			field+" must name a device with role "+string(end.End))
	case errors.Is(err, persistence.ErrDisabled):
		return newError(fiber.StatusConflict, "DEVICE_DISABLED", field+" names a disabled device")
	}
	return err
}

// createLink serves POST /device-links.
//
//	@Summary	Link a camera to a client device
//	@Tags	devices
//	@Accept	json
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	body body linkRequest true "both devices are the user's"
//	@Success	201 {object} object{link=linkJSON}
//	@Failure	400,401,403,404,409 {object} errorBody "the contract's error body"
//	@Router	/device-links [post]
func (s *Server) createLink(c *fiber.Ctx) error {
	var req linkRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	camera, err := parseUUID("cameraDeviceId", req.CameraDeviceID)
	if err != nil {
		return err
	}
	client, err := parseUUID("clientDeviceId", req.ClientDeviceID)
	if err != nil {
		return err
	}

	u := userOf(c)
	l, err := s.devices.CreateLink(c.UserContext(), u.ID,
		persistence.DeviceID(camera), persistence.DeviceID(client))
	if err != nil {
		return linkError(goneError(err, errUserGone))
	}
	root, dir := s.actors.Root(), s.actors.Directory()
	root.Send(dir.Get(actors.KindDevice, camera), &actors.LinkAdded{LinkID: l.ID, Peer: l.ClientDeviceID})
	root.Send(dir.Get(actors.KindDevice, client), &actors.LinkAdded{LinkID: l.ID, Peer: l.CameraDeviceID})

	s.log.Info("devices linked", "userID", u.ID, "linkID", l.ID)
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"link": toLinkJSON(l)})
}

// listLinks serves GET /device-links.
//
//	@Summary	The user's links
//	@Tags	devices
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Success	200 {object} object{links=[]linkJSON}
//	@Failure	401 {object} errorBody "the contract's error body"
//	@Router	/device-links [get]
func (s *Server) listLinks(c *fiber.Ctx) error {
	links, err := s.devices.ListLinks(c.UserContext(), userOf(c).ID)
	if err != nil {
		return err
	}
	out := make([]linkJSON, len(links))
	for i, l := range links {
		out[i] = toLinkJSON(l)
	}
	return c.JSON(fiber.Map{"links": out})
}

// deleteLink serves DELETE /device-links/{linkId}.
//
//	@Summary	Delete a link
//	@Tags	devices
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	linkId path string true "link id" format(uuid)
//	@Success	200 {object} object{success=bool}
//	@Failure	400,401,403,404 {object} errorBody "the contract's error body"
//	@Router	/device-links/{linkId} [delete]
func (s *Server) deleteLink(c *fiber.Ctx) error {
	id, err := parseUUID("linkId", c.Params("linkId"))
	if err != nil {
		return err
	}

	u := userOf(c)
	l, err := s.devices.DeleteLink(c.UserContext(), u.ID, persistence.LinkID(id))
	if errors.Is(err, persistence.ErrNotFound) {
		return newError(fiber.StatusNotFound, "LINK_NOT_FOUND", "no such link")
	}
	if err != nil {
		return err
	}
	removed := &actors.LinkRemoved{LinkID: l.ID}
	root, dir := s.actors.Root(), s.actors.Directory()
	root.Send(dir.Get(actors.KindDevice, string(l.CameraDeviceID)), removed)
	root.Send(dir.Get(actors.KindDevice, string(l.ClientDeviceID)), removed)
	root.Send(dir.Get(actors.KindLink, id), removed)
	s.revokeFromStreams(c.UserContext(), u.ID, l.CameraDeviceID, l.ClientDeviceID,
		actors.RevokedUnlinked)

	s.log.Info("devices unlinked", "userID", u.ID, "linkID", l.ID)
	return c.JSON(fiber.Map{"success": true})
}
