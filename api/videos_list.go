package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// videoJSON is one of the user's objects, with what the videos table knows
// about it. deviceId is null once the device is deleted.
type videoJSON struct {
	ObjectKey    string     `json:"objectKey"`
	VideoID      *string    `json:"videoId"`
	DeviceID     *string    `json:"deviceId"`
	FileName     string     `json:"fileName"`
	ContentType  string     `json:"contentType,omitempty"`
	Size         int64      `json:"size"`
	Status       string     `json:"status"`
	LastModified time.Time  `json:"lastModified" format:"date-time"`
	CreatedAt    *time.Time `json:"createdAt" format:"date-time"`
}

type videoListResponse struct {
	Videos []videoJSON `json:"videos"`
	// Truncated says that more objects exist than the listing holds.
	Truncated bool `json:"truncated"`
}

// list answers the user's videos that storage holds, and marks the ones it
// sees uploaded. Uploads still pending are not objects yet and are not
// listed; objects without a live video row are not the user's videos
// (see keep).
//
//	@Summary	The user's videos in storage
//	@Tags	videos
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Success	200 {object} videoListResponse
//	@Failure	401,503 {object} errorBody "the contract's error body"
//	@Router	/videos [get]
func (v *videos) list(c *fiber.Ctx) error {
	user := userOf(c)
	ctx := c.UserContext()
	objects, truncated, err := v.store.List(ctx, userPrefix(user.ID), listLimit)
	if err != nil {
		return err
	}

	seen := make([]persistence.SeenObject, len(objects))
	keys := make([]string, len(objects))
	for i, o := range objects {
		seen[i] = persistence.SeenObject{Key: o.Key, Size: o.Size}
		keys[i] = o.Key
	}
	if err := v.meta.MarkUploaded(ctx, v.store.Bucket(), seen); err != nil {
		return err
	}
	rows, err := v.meta.UserVideosByKey(ctx, user.ID, v.store.Bucket(), keys)
	if err != nil {
		return err
	}

	out := videoListResponse{Videos: make([]videoJSON, 0, len(objects)), Truncated: truncated}
	for _, o := range objects {
		if v.keep(ctx, user.ID, o, rows[o.Key]) {
			out.Videos = append(out.Videos, videoOf(o, rows[o.Key]))
		}
	}
	return c.JSON(out)
}

// keep reports whether an object under the user's prefix is one of the
// user's videos: it has a row that is not deleted. Every upload URL is
// issued with a row, so an object of a deleted video was stored again
// through its still-valid URL: keep removes it from storage. An object
// without any row was not stored through Vigil (or its row predates
// deleted rows): it is left in place for the admin, who lists the whole
// bucket, and is not shown to the user. row is zero when there is none.
func (v *videos) keep(ctx context.Context, user persistence.UserID, o objectstore.Object,
	row persistence.Video) bool {
	switch {
	case row.ObjectKey == "":
		v.log.Warn("object without a video row not listed", "userID", user, "objectKey", o.Key)
		return false
	case row.Status == persistence.VideoDeleted:
		if err := v.store.Remove(ctx, o.Key); err != nil {
			v.log.Warn("remove object of a deleted video", "userID", user, "objectKey", o.Key,
				"err", err)
			return false
		}
		v.log.Info("removed object of a deleted video stored again", "userID", user,
			"objectKey", o.Key)
		return false
	}
	return true
}

// videoOf joins an object with its row.
func videoOf(o objectstore.Object, row persistence.Video) videoJSON {
	v := videoJSON{ObjectKey: o.Key, FileName: fileNameOf(o.Key), Size: o.Size,
		Status: string(persistence.VideoUploaded), LastModified: o.LastModified.UTC()}
	id := row.ID.String()
	v.VideoID, v.FileName, v.ContentType = &id, row.FileName, row.ContentType
	v.CreatedAt = &row.CreatedAt
	if row.DeviceID != nil {
		device := row.DeviceID.String()
		v.DeviceID = &device
	}
	return v
}
