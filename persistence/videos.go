package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// VideoStatus is where a video's upload stands.
type VideoStatus string

// Video statuses: pending from the moment an upload URL is handed out,
// uploaded once the object has been seen in storage, deleted once the
// user or the admin deleted it. A deleted row stays, because the upload
// URL may still be valid: an object seen at its key again is removed.
const (
	VideoPending  VideoStatus = "pending"
	VideoUploaded VideoStatus = "uploaded"
	VideoDeleted  VideoStatus = "deleted"
)

// Video is a row of the videos table: what Vigil knows about one object.
type Video struct {
	ID     uuid.UUID
	UserID UserID
	// DeviceID is nil once the device that recorded the video is deleted.
	DeviceID    *uuid.UUID
	Bucket      string
	ObjectKey   string
	FileName    string
	ContentType string
	// Size is nil until the object is seen in storage.
	Size       *int64
	Status     VideoStatus
	CreatedAt  time.Time
	UpdatedAt  time.Time
	UploadedAt *time.Time
}

// NewVideo is what is known when an upload URL is handed out. Rows of
// URLs never used stay pending; nothing sweeps them yet.
type NewVideo struct {
	UserID      UserID
	DeviceID    uuid.UUID
	Bucket      string
	ObjectKey   string
	FileName    string
	ContentType string
}

// SeenObject is an object found in storage: its key and size.
type SeenObject struct {
	Key  string
	Size int64
}

// Videos runs the queries behind the video routes.
type Videos struct {
	pool *pgxpool.Pool
}

// NewVideos returns the video queries over pool.
func NewVideos(pool *pgxpool.Pool) *Videos { return &Videos{pool: pool} }

const videoColumns = `id, user_id, device_id, bucket, object_key, file_name, content_type,
	size_bytes, status, created_at, updated_at, uploaded_at`

func scanVideo(row pgx.Row) (Video, error) {
	var v Video
	err := row.Scan(&v.ID, &v.UserID, &v.DeviceID, &v.Bucket, &v.ObjectKey, &v.FileName,
		&v.ContentType, &v.Size, &v.Status, &v.CreatedAt, &v.UpdatedAt, &v.UploadedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Video{}, ErrNotFound
	}
	return v, err
}

// CheckDeviceOwner returns nil when the device exists, belongs to the user
// and is active; ErrNotFound when it is not the user's (another user's
// device is not visible), and ErrDisabled when it is disabled.
func (v *Videos) CheckDeviceOwner(ctx context.Context, user UserID, device uuid.UUID) error {
	var status DeviceStatus
	err := v.pool.QueryRow(ctx,
		`SELECT status FROM devices WHERE id = $1 AND user_id = $2`, device, user).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("device %s of user %s: %w", device, user, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("find device %s: %w", device, err)
	}
	if status == StatusDisabled {
		return fmt.Errorf("device %s: %w", device, ErrDisabled)
	}
	return nil
}

// CreateVideo records a pending upload. A key already recorded in the
// bucket is ErrConflict.
func (v *Videos) CreateVideo(ctx context.Context, n NewVideo) (Video, error) {
	video, err := scanVideo(v.pool.QueryRow(ctx, `
		INSERT INTO videos (id, user_id, device_id, bucket, object_key, file_name, content_type)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+videoColumns,
		uuid.Must(uuid.NewV7()), n.UserID, n.DeviceID, n.Bucket, n.ObjectKey, n.FileName,
		n.ContentType))
	if isUniqueViolation(err) {
		return Video{}, fmt.Errorf("video %q: %w", n.ObjectKey, ErrConflict)
	}
	if err != nil {
		return Video{}, fmt.Errorf("create video %q: %w", n.ObjectKey, goneOf(err))
	}
	return video, nil
}

// MarkUploaded records that the objects were seen in the bucket, with
// their sizes. Keys without a row, and deleted videos, are left alone.
func (v *Videos) MarkUploaded(ctx context.Context, bucket string, seen []SeenObject) error {
	if len(seen) == 0 {
		return nil
	}
	keys := make([]string, len(seen))
	sizes := make([]int64, len(seen))
	for i, s := range seen {
		keys[i], sizes[i] = s.Key, s.Size
	}
	_, err := v.pool.Exec(ctx, `
		UPDATE videos SET status = 'uploaded', size_bytes = s.size, updated_at = now(),
			uploaded_at = coalesce(uploaded_at, now())
		FROM unnest($2::text[], $3::bigint[]) AS s (key, size)
		WHERE videos.bucket = $1 AND videos.object_key = s.key
			AND (videos.status = 'pending'
				OR (videos.status = 'uploaded' AND videos.size_bytes IS DISTINCT FROM s.size))`,
		bucket, keys, sizes)
	if err != nil {
		return fmt.Errorf("mark %d videos uploaded: %w", len(seen), err)
	}
	return nil
}

// UserVideosByKey returns the user's videos among keys in bucket, by key,
// deleted ones included.
func (v *Videos) UserVideosByKey(ctx context.Context, user UserID, bucket string,
	keys []string) (map[string]Video, error) {
	rows, err := v.pool.Query(ctx, `
		SELECT `+videoColumns+` FROM videos
		WHERE user_id = $1 AND bucket = $2 AND object_key = ANY($3)`, user, bucket, keys)
	if err != nil {
		return nil, fmt.Errorf("find videos of user %s: %w", user, err)
	}
	defer rows.Close()
	out := make(map[string]Video, len(keys))
	for rows.Next() {
		video, err := scanVideo(rows)
		if err != nil {
			return nil, fmt.Errorf("read videos of user %s: %w", user, err)
		}
		out[video.ObjectKey] = video
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read videos of user %s: %w", user, err)
	}
	return out, nil
}

// UserVideo returns the user's video id in bucket, deleted or not.
// Another user's video, or one in another bucket, is ErrNotFound.
func (v *Videos) UserVideo(ctx context.Context, user UserID, bucket string,
	id uuid.UUID) (Video, error) {
	video, err := scanVideo(v.pool.QueryRow(ctx, `
		SELECT `+videoColumns+` FROM videos
		WHERE id = $1 AND user_id = $2 AND bucket = $3`, id, user, bucket))
	if errors.Is(err, pgx.ErrNoRows) {
		return video, fmt.Errorf("video %s of user %s: %w", id, user, ErrNotFound)
	}
	if err != nil {
		return video, fmt.Errorf("find video %s of user %s: %w", id, user, err)
	}
	return video, nil
}

// MarkDeleted marks the video at key in bucket deleted and reports whether
// there was a video that was not deleted already.
func (v *Videos) MarkDeleted(ctx context.Context, bucket, key string) (bool, error) {
	// Motion events stop naming a deleted video, so no client is offered
	// a recording that can no longer be downloaded.
	var n int
	err := v.pool.QueryRow(ctx, `
		WITH d AS (
			UPDATE videos SET status = 'deleted', updated_at = now()
			WHERE bucket = $1 AND object_key = $2 AND status <> 'deleted'
			RETURNING id
		), e AS (
			UPDATE events SET video_id = NULL WHERE video_id IN (SELECT id FROM d)
		)
		SELECT count(*) FROM d`, bucket, key).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("mark video %q deleted: %w", key, err)
	}
	return n > 0, nil
}
