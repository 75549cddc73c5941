package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// NewRecording is one segment of a live stream that the server recorded
// and stored at ObjectKey in Bucket.
type NewRecording struct {
	UserID      UserID
	CameraID    DeviceID
	StreamID    StreamID
	Bucket      string
	ObjectKey   string
	FileName    string
	ContentType string
	Size        int64
	Codec       string
	StartedAt   time.Time
	EndedAt     time.Time
	Duration    time.Duration
}

// RecordingStored is what SaveRecording did: the video row's id, and how
// many motion events it was linked to.
type RecordingStored struct {
	VideoID      uuid.UUID
	LinkedEvents int
}

// SaveRecording stores an uploaded recording as an uploaded video of kind
// recording, and links it to the camera's events that were open during it
// and have no video yet, in one transaction.
//
// It is idempotent: saving the same key again (an uploader retrying after
// its first attempt stored the row) updates the one row, found through the
// unique (bucket, object_key). A key already held by a phone's upload is
// ErrConflict and the upload's row is left alone.
func (v *Videos) SaveRecording(ctx context.Context, n NewRecording) (RecordingStored, error) {
	var out RecordingStored
	err := pgx.BeginFunc(ctx, v.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO videos (id, user_id, device_id, bucket, object_key, file_name,
				content_type, size_bytes, status, uploaded_at, kind, stream_id, started_at,
				ended_at, duration_ms, codec)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'uploaded', now(), 'recording', $9, $10,
				$11, $12, $13)
			ON CONFLICT (bucket, object_key) DO UPDATE SET size_bytes = excluded.size_bytes,
				updated_at = now()
			WHERE videos.kind = 'recording'
			RETURNING id`,
			uuid.Must(uuid.NewV7()), n.UserID, n.CameraID, n.Bucket, n.ObjectKey, n.FileName,
			n.ContentType, n.Size, n.StreamID, n.StartedAt, n.EndedAt,
			n.Duration.Milliseconds(), n.Codec).Scan(&out.VideoID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("recording %q: %w: the key holds an upload", n.ObjectKey, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("save recording %q: %w", n.ObjectKey, goneOf(err))
		}
		tag, err := tx.Exec(ctx, `
			UPDATE events SET video_id = $1
			WHERE camera_device_id = $2 AND video_id IS NULL
				AND started_at <= $4 AND (ended_at IS NULL OR ended_at >= $3)`,
			out.VideoID, n.CameraID, n.StartedAt, n.EndedAt)
		if err != nil {
			return fmt.Errorf("link recording %q to events: %w", n.ObjectKey, err)
		}
		out.LinkedEvents = int(tag.RowsAffected())
		return nil
	})
	return out, err
}

// Clip is a recording that shows part of a motion event.
type Clip struct {
	VideoID   uuid.UUID
	ObjectKey string
	StartedAt time.Time
	EndedAt   time.Time
	Duration  time.Duration
	Codec     string
}

// EventClips finds, for each event, the uploaded recordings of its camera
// that overlap it (an open event runs until now), oldest first, at most
// limit per event.
func (v *Videos) EventClips(ctx context.Context, events []EventID, limit int) (map[EventID][]Clip, error) {
	out := make(map[EventID][]Clip, len(events))
	if len(events) == 0 {
		return out, nil
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = string(e)
	}
	rows, err := v.pool.Query(ctx, `
		SELECT e.id, c.id, c.object_key, c.started_at, c.ended_at, c.duration_ms,
			coalesce(c.codec, '')
		FROM events e CROSS JOIN LATERAL (
			SELECT r.id, r.object_key, r.started_at, r.ended_at, r.duration_ms, r.codec
			FROM videos r
			WHERE r.device_id = e.camera_device_id AND r.user_id = e.user_id
				AND r.kind = 'recording' AND r.status = 'uploaded'
				AND r.started_at <= coalesce(e.ended_at, 'infinity') AND r.ended_at >= e.started_at
			ORDER BY r.started_at
			LIMIT $2) c
		WHERE e.id = ANY($1::uuid[])
		ORDER BY e.id, c.started_at`, ids, limit)
	if err != nil {
		return nil, fmt.Errorf("clips of %d events: %w", len(events), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id EventID
		var c Clip
		var ms int64
		if err := rows.Scan(&id, &c.VideoID, &c.ObjectKey, &c.StartedAt, &c.EndedAt, &ms,
			&c.Codec); err != nil {
			return nil, fmt.Errorf("clips of %d events: %w", len(events), err)
		}
		c.Duration = time.Duration(ms) * time.Millisecond
		out[id] = append(out[id], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clips of %d events: %w", len(events), err)
	}
	return out, nil
}
