package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// StreamID identifies a stream session; it is a UUID in text form.
type StreamID string

// StreamStatus is where a stream session stands.
type StreamStatus string

// Stream statuses, as the stream_sessions.status CHECK constraint spells
// them.
const (
	StreamRequested StreamStatus = "requested"
	StreamStreaming StreamStatus = "streaming"
	StreamEnded     StreamStatus = "ended"
)

// Stream is a row of stream_sessions. Zero times and empty strings stand
// for NULL, so the value travels in actor messages as plain data.
type Stream struct {
	ID                StreamID
	UserID            UserID
	CameraDeviceID    DeviceID
	RequesterDeviceID DeviceID
	Status            StreamStatus
	MediaMode         string
	EndReason         string
	EndedBy           DeviceID
	CommandID         CommandID
	CreatedAt         time.Time
	UpdatedAt         time.Time
	RequestExpiresAt  time.Time
	StartedAt         time.Time
	EndedAt           time.Time
}

// Participant reports whether id is the stream's camera or requester.
func (s Stream) Participant(id DeviceID) bool {
	return id == s.CameraDeviceID || id == s.RequesterDeviceID
}

// NewStream is what a stream request stores.
type NewStream struct {
	UserID            UserID
	CameraDeviceID    DeviceID
	RequesterDeviceID DeviceID
	MediaMode         string
	CreatedAt         time.Time
	RequestExpiresAt  time.Time
}

// Streams runs the queries behind stream sessions.
type Streams struct {
	pool *pgxpool.Pool
}

// NewStreams returns the stream queries over pool.
func NewStreams(pool *pgxpool.Pool) *Streams { return &Streams{pool: pool} }

const streamColumns = `s.id, s.user_id, s.camera_device_id, s.requester_device_id, s.status,
	s.media_mode, coalesce(s.end_reason, ''), coalesce(s.ended_by::text, ''),
	coalesce(s.command_id::text, ''), s.created_at, s.updated_at, s.request_expires_at,
	s.started_at, s.ended_at`

func scanStream(row pgx.Row) (Stream, error) {
	var s Stream
	var started, ended *time.Time
	err := row.Scan(&s.ID, &s.UserID, &s.CameraDeviceID, &s.RequesterDeviceID, &s.Status,
		&s.MediaMode, &s.EndReason, &s.EndedBy, &s.CommandID, &s.CreatedAt, &s.UpdatedAt,
		&s.RequestExpiresAt, &started, &ended)
	if errors.Is(err, pgx.ErrNoRows) {
		return Stream{}, ErrNotFound
	}
	if started != nil {
		s.StartedAt = *started
	}
	if ended != nil {
		s.EndedAt = *ended
	}
	return s, err
}

// CreateStream stores a requested stream session.
func (q *Streams) CreateStream(ctx context.Context, n NewStream) (Stream, error) {
	var s Stream
	err := pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		// One camera's requests are counted and inserted one at a time, so
		// concurrent requests cannot pass the bound together.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`,
			"stream-requests/"+string(n.CameraDeviceID)); err != nil {
			return err
		}
		var open int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM stream_sessions
			WHERE camera_device_id = $1 AND status <> 'ended'`, n.CameraDeviceID).Scan(&open); err != nil {
			return err
		}
		if open >= MaxOpenStreamsPerCamera {
			return ErrTooManyStreams
		}
		var err error
		s, err = scanStream(tx.QueryRow(ctx, `
			INSERT INTO stream_sessions AS s (id, user_id, camera_device_id, requester_device_id,
				media_mode, created_at, updated_at, request_expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
			RETURNING `+streamColumns, newID(), n.UserID, n.CameraDeviceID, n.RequesterDeviceID,
			n.MediaMode, n.CreatedAt, n.RequestExpiresAt))
		return err
	})
	if err != nil {
		return Stream{}, fmt.Errorf("create stream for camera %s: %w", n.CameraDeviceID, goneOf(err))
	}
	return s, nil
}

// MaxOpenStreamsPerCamera bounds the sessions a camera has requested or
// streaming at once: a phone publishes one stream, and each session holds
// a publisher slot and a command.
const MaxOpenStreamsPerCamera = 4

// ErrTooManyStreams means the camera already has MaxOpenStreamsPerCamera
// open sessions.
var ErrTooManyStreams = errors.New("too many open streams for this camera")

// SetStreamCommand records the start_stream command sent for a stream.
func (q *Streams) SetStreamCommand(ctx context.Context, id StreamID, cmd CommandID) error {
	_, err := q.pool.Exec(ctx, `UPDATE stream_sessions SET command_id = $2 WHERE id = $1`, id, cmd)
	if err != nil {
		return fmt.Errorf("stream %s command: %w", id, goneOf(err))
	}
	return nil
}

// StreamByID loads one stream session.
func (q *Streams) StreamByID(ctx context.Context, id StreamID) (Stream, error) {
	s, err := scanStream(q.pool.QueryRow(ctx,
		`SELECT `+streamColumns+` FROM stream_sessions s WHERE s.id = $1`, id))
	if err != nil {
		return Stream{}, fmt.Errorf("stream %s: %w", id, err)
	}
	return s, nil
}

// MarkStreaming moves a requested stream to streaming; changed is false
// when it was not requested any more.
func (q *Streams) MarkStreaming(ctx context.Context, id StreamID, at time.Time) (Stream, bool, error) {
	return q.transition(ctx, id, `UPDATE stream_sessions AS s
		SET status = 'streaming', started_at = $2, updated_at = $2
		WHERE s.id = $1 AND s.status = 'requested' RETURNING `+streamColumns, at)
}

// EndStream ends a stream that has not ended, with a reason and, when a
// device ended it, that device; changed is false when it had ended.
func (q *Streams) EndStream(ctx context.Context, id StreamID, reason string, by DeviceID,
	at time.Time) (Stream, bool, error) {
	return q.transition(ctx, id, `UPDATE stream_sessions AS s
		SET status = 'ended', end_reason = $3, ended_by = $4::uuid, ended_at = $2, updated_at = $2
		WHERE s.id = $1 AND s.status <> 'ended' RETURNING `+streamColumns,
		at, reason, nullIfEmpty(string(by)))
}

// transition runs a conditional UPDATE; without a row it reloads the
// stream, so a missing stream is ErrNotFound and an unchanged one is
// returned as it stands.
func (q *Streams) transition(ctx context.Context, id StreamID, query string,
	args ...any) (Stream, bool, error) {
	s, err := scanStream(q.pool.QueryRow(ctx, query, append([]any{id}, args...)...))
	if err == nil {
		return s, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Stream{}, false, fmt.Errorf("stream %s: %w", id, goneOf(err))
	}
	s, err = q.StreamByID(ctx, id)
	return s, false, err
}

// DeviceStreams lists the streams a device took part in as camera or
// requester, newest first, from after.
func (q *Streams) DeviceStreams(ctx context.Context, device DeviceID, after *Keyset,
	limit int) ([]Stream, error) {
	var at *time.Time
	var atID *string
	if after != nil {
		at, atID = &after.At, &after.ID
	}
	rows, err := q.pool.Query(ctx, `SELECT `+streamColumns+` FROM stream_sessions s
		WHERE (s.camera_device_id = $1 OR s.requester_device_id = $1)
			AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2, $3::uuid))
		ORDER BY s.created_at DESC, s.id DESC LIMIT $4`, device, at, atID, limit)
	if err != nil {
		return nil, fmt.Errorf("list streams of %s: %w", device, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Stream, error) {
		return scanStream(r)
	})
	if err != nil {
		return nil, fmt.Errorf("list streams of %s: %w", device, err)
	}
	return out, nil
}

// OpenStreams returns the sessions not yet ended, the ones a graceful
// shutdown must end.
func (q *Streams) OpenStreams(ctx context.Context) ([]StreamID, error) {
	rows, err := q.pool.Query(ctx, `SELECT id FROM stream_sessions WHERE status <> 'ended'`)
	if err != nil {
		return nil, fmt.Errorf("open streams: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[StreamID])
	if err != nil {
		return nil, fmt.Errorf("open streams: %w", err)
	}
	return ids, nil
}

// EndOpenStreams ends every session not yet ended with reason, in one
// statement, and returns them as ended. Start-up calls it: no media or
// socket survives the process that served those sessions.
func (q *Streams) EndOpenStreams(ctx context.Context, reason string, at time.Time) ([]Stream, error) {
	rows, err := q.pool.Query(ctx, `UPDATE stream_sessions AS s
		SET status = 'ended', end_reason = $1, ended_at = $2, updated_at = $2
		WHERE s.status <> 'ended' RETURNING `+streamColumns, reason, at)
	if err != nil {
		return nil, fmt.Errorf("end open streams: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Stream, error) {
		return scanStream(r)
	})
	if err != nil {
		return nil, fmt.Errorf("end open streams: %w", err)
	}
	return out, nil
}

// UserOpenStreams returns the user's sessions not yet ended: the ones
// a device of the user losing its link or being disabled may concern.
// A camera has at most MaxOpenStreamsPerCamera of them.
func (q *Streams) UserOpenStreams(ctx context.Context, user UserID) ([]Stream, error) {
	rows, err := q.pool.Query(ctx, `SELECT `+streamColumns+` FROM stream_sessions s
		WHERE s.user_id = $1 AND s.status <> 'ended'`, user)
	if err != nil {
		return nil, fmt.Errorf("open streams of user %s: %w", user, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Stream, error) {
		return scanStream(r)
	})
	if err != nil {
		return nil, fmt.Errorf("open streams of user %s: %w", user, err)
	}
	return out, nil
}
