package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// videoJSON is one of the user's objects, with what the videos table knows
// about it. Objects stored without Vigil's upload URL (none yet) have no
// row: their deviceId and createdAt are null.
type videoJSON struct {
	ObjectKey    string     `json:"objectKey"`
	VideoID      *string    `json:"videoId"`
	DeviceID     *string    `json:"deviceId"`
	FileName     string     `json:"fileName"`
	ContentType  string     `json:"contentType,omitempty"`
	Size         int64      `json:"size"`
	Status       string     `json:"status"`
	LastModified time.Time  `json:"lastModified"`
	CreatedAt    *time.Time `json:"createdAt"`
}

type videoListResponse struct {
	Videos []videoJSON `json:"videos"`
	// Truncated says that more objects exist than the listing holds.
	Truncated bool `json:"truncated"`
}

// list answers the objects under the user's prefix, as storage has them,
// and marks the ones it sees uploaded. Uploads still pending are not
// objects yet and are not listed.
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
		out.Videos = append(out.Videos, videoOf(o, rows[o.Key]))
	}
	return c.JSON(out)
}

// videoOf joins an object with its row; row is zero when there is none.
func videoOf(o objectstore.Object, row persistence.Video) videoJSON {
	v := videoJSON{ObjectKey: o.Key, FileName: fileNameOf(o.Key), Size: o.Size,
		Status: string(persistence.VideoUploaded), LastModified: o.LastModified.UTC()}
	if row.ObjectKey == "" {
		return v
	}
	id := row.ID.String()
	v.VideoID, v.FileName, v.ContentType = &id, row.FileName, row.ContentType
	v.CreatedAt = &row.CreatedAt
	if row.DeviceID != nil {
		device := row.DeviceID.String()
		v.DeviceID = &device
	}
	return v
}
