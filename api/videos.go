package api

import (
	"errors"
	"log/slog"
	"path"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// videos serves /videos: presigned uploads and downloads of a user's
// recordings, which live under the user's own prefix in the bucket.
type videos struct {
	log   *slog.Logger
	store ObjectStore
	meta  VideoStore
}

type uploadURLRequest struct {
	FileName    string `json:"fileName"`
	DeviceID    string `json:"deviceId"`
	Prefix      string `json:"prefix"`
	ContentType string `json:"contentType"`
	// ExpiresIn is the URL's lifetime in seconds.
	ExpiresIn *expirySeconds `json:"expiresIn"`
}

// uploadURLResponse tells the client where to PUT the bytes and which
// headers to send with them; other headers break the signature.
type uploadURLResponse struct {
	UploadURL string            `json:"uploadUrl"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ObjectKey string            `json:"objectKey"`
	ExpiresAt time.Time         `json:"expiresAt" format:"date-time"`
	VideoID   string            `json:"videoId"`
}

type downloadURLResponse struct {
	DownloadURL string    `json:"downloadUrl"`
	ExpiresAt   time.Time `json:"expiresAt" format:"date-time"`
}

// uploadTarget is a validated upload request.
type uploadTarget struct {
	fileName    string
	device      uuid.UUID
	prefix      string
	contentType string
	expiry      time.Duration
}

func parseUploadTarget(c *fiber.Ctx) (uploadTarget, error) {
	var req uploadURLRequest
	if err := parseBody(c, &req); err != nil {
		return uploadTarget{}, err
	}
	var t uploadTarget
	var err error
	if t.fileName, err = cleanFileName(req.FileName); err != nil {
		return t, err
	}
	if t.device, err = uuid.Parse(req.DeviceID); err != nil {
		return t, badRequest("INVALID_DEVICE_ID", "deviceId must be a device id (a UUID)")
	}
	if t.prefix, err = cleanPrefix(req.Prefix); err != nil {
		return t, err
	}
	if t.contentType, err = cleanContentType(req.ContentType, t.fileName); err != nil {
		return t, err
	}
	t.expiry, err = urlExpiry(req.ExpiresIn)
	return t, err
}

// uploadURL hands out a presigned PUT for a new object under
// users/<user>/devices/<device>/[prefix/]<unique id>/<file name>.
//
//	@Summary	A presigned PUT for a new video
//	@Description	PUT the file to uploadUrl with exactly headers.
//	@Tags	videos
//	@Accept	json
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	body body uploadURLRequest true "what is uploaded"
//	@Success	200 {object} uploadURLResponse
//	@Failure	400,401,403,404,409,413,503 {object} errorBody "the contract's error body"
//	@Router	/videos/upload-url [post]
func (v *videos) uploadURL(c *fiber.Ctx) error {
	t, err := parseUploadTarget(c)
	if err != nil {
		return err
	}

	user := userOf(c)
	ctx := c.UserContext()
	err = v.meta.CheckDeviceOwner(ctx, user.ID, t.device)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return newError(fiber.StatusNotFound, "DEVICE_NOT_FOUND", "no such device of yours")
	case errors.Is(err, persistence.ErrDisabled):
		return errDeviceDisabled
	case err != nil:
		return err
	}
	key := userPrefix(user.ID) + "devices/" + t.device.String() + "/" + t.prefix +
		uuid.NewString() + "/" + t.fileName
	if err := checkNewKey(key); err != nil {
		return err
	}

	if err := v.store.EnsureBucket(ctx); err != nil {
		return err
	}
	video, err := v.meta.CreateVideo(ctx, persistence.NewVideo{UserID: user.ID,
		DeviceID: t.device, Bucket: v.store.Bucket(), ObjectKey: key, FileName: t.fileName,
		ContentType: t.contentType})
	if err != nil {
		return goneError(err, errUserGone)
	}
	expires := expiresAt(t.expiry)
	u, headers, err := v.store.PresignPut(ctx, key, t.contentType, t.expiry)
	if err != nil {
		return err
	}

	v.log.Info("upload url issued", "userID", user.ID, "deviceID", t.device,
		"videoID", video.ID, "expiresAt", expires)
	return c.JSON(uploadURLResponse{UploadURL: u.String(), Method: fiber.MethodPut,
		Headers: flatHeaders(headers), ObjectKey: key, ExpiresAt: expires,
		VideoID: video.ID.String()})
}

// downloadURL hands out a presigned GET for one of the user's objects.
// Seeing the object marks its video uploaded.
//
//	@Summary	A presigned GET for one of the user's videos
//	@Description	Names the video by objectKey or, as motion events do (their videoId), by videoId
//	@Description	(an extension); exactly one of the two.
//	@Tags	videos
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	objectKey query string false "the object's key"
//	@Param	videoId query string false "the video's id, instead of objectKey" format(uuid)
//	@Param	expiresIn query int false "seconds, 1..604800"
//	@Success	200 {object} downloadURLResponse
//	@Failure	400,401,403,404,503 {object} errorBody "the contract's error body"
//	@Router	/videos/download-url [get]
func (v *videos) downloadURL(c *fiber.Ctx) error {
	expiry, err := queryExpiry(c)
	if err != nil {
		return err
	}
	user := userOf(c)
	key, err := v.downloadKey(c, user.ID)
	if err != nil {
		return err
	}
	if err := checkOwnedKey(user.ID, key); err != nil {
		return err
	}

	ctx := c.UserContext()
	obj, err := v.statObject(c, key)
	if err != nil {
		return err
	}
	seen := []persistence.SeenObject{{Key: obj.Key, Size: obj.Size}}
	if err := v.meta.MarkUploaded(ctx, v.store.Bucket(), seen); err != nil {
		return err
	}
	rows, err := v.meta.UserVideosByKey(ctx, user.ID, v.store.Bucket(), []string{key})
	if err != nil {
		return err
	}
	if !v.keep(ctx, user.ID, obj, rows[key]) {
		return newError(fiber.StatusNotFound, "OBJECT_NOT_FOUND", "no such object")
	}
	expires := expiresAt(expiry)
	u, err := v.store.PresignGet(ctx, key, expiry)
	if err != nil {
		return err
	}
	return c.JSON(downloadURLResponse{DownloadURL: u.String(), ExpiresAt: expires})
}

// downloadKey is the object a download names: objectKey as given, or the
// key of the user's video videoId. An app showing a motion event has only
// its videoId, and finding the key in GET /videos fails past the 1,000
// objects a listing holds.
func (v *videos) downloadKey(c *fiber.Ctx, user persistence.UserID) (string, error) {
	key, rawID := c.Query("objectKey"), c.Query("videoId")
	switch {
	case rawID == "" && !c.Context().QueryArgs().Has("videoId"):
		return key, nil
	case key != "":
		return "", badRequest("INVALID_QUERY", "give objectKey or videoId, not both")
	}
	id, err := parseUUID("videoId", rawID)
	if err != nil {
		return "", err
	}
	video, err := v.meta.UserVideo(c.UserContext(), user, v.store.Bucket(), uuid.MustParse(id))
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return "", errVideoNotFound
	case err != nil:
		return "", err
	case video.Status == persistence.VideoDeleted:
		return "", errVideoNotFound
	}
	return video.ObjectKey, nil
}

var errVideoNotFound = newError(fiber.StatusNotFound, "VIDEO_NOT_FOUND", "no such video")

// statObject is store.Stat with a missing object as the contract's 404.
func (v *videos) statObject(c *fiber.Ctx, key string) (objectstore.Object, error) {
	obj, err := v.store.Stat(c.UserContext(), key)
	if errors.Is(err, persistence.ErrNotFound) {
		return obj, newError(fiber.StatusNotFound, "OBJECT_NOT_FOUND", "no such object")
	}
	return obj, err
}

// remove deletes one of the user's objects and marks its video deleted.
// The row stays so that an object stored again through the video's
// still-valid upload URL is recognised and removed (see keep).
//
//	@Summary	Delete one of the user's videos
//	@Tags	videos
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Param	objectKey query string true "the object's key"
//	@Success	200 {object} object{objectKey=string,deleted=bool}
//	@Failure	400,401,403,503 {object} errorBody "the contract's error body"
//	@Router	/videos [delete]
func (v *videos) remove(c *fiber.Ctx) error {
	key := c.Query("objectKey")
	user := userOf(c)
	if err := checkOwnedKey(user.ID, key); err != nil {
		return err
	}

	ctx := c.UserContext()
	_, err := v.store.Stat(ctx, key)
	stored := err == nil
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	if stored {
		if err := v.store.Remove(ctx, key); err != nil {
			return err
		}
	}
	hadRow, err := v.meta.MarkDeleted(ctx, v.store.Bucket(), key)
	if err != nil {
		return err
	}
	if !stored && !hadRow {
		return newError(fiber.StatusNotFound, "OBJECT_NOT_FOUND", "no such object")
	}

	v.log.Info("video deleted", "userID", user.ID, "objectKey", key)
	return c.JSON(fiber.Map{"objectKey": key, "deleted": true})
}

// fileNameOf is the last segment of a key: the file name for objects that
// have no metadata row.
func fileNameOf(key string) string { return path.Base(key) }
