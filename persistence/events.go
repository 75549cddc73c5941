package persistence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EventID identifies a motion event; it is a UUID in text form.
type EventID string

// EventStatus says whether motion is still going on.
type EventStatus string

// Event statuses, as the events.status CHECK constraint spells them.
const (
	EventOpen   EventStatus = "open"
	EventClosed EventStatus = "closed"
)

// Event is a row of events. Zero values stand for NULL, so that the value
// can travel in actor messages as plain data; HasScore tells a score of 0
// from none.
type Event struct {
	ID             EventID
	UserID         UserID
	CameraDeviceID DeviceID
	Status         EventStatus
	ClientEventID  string
	Score          float64
	HasScore       bool
	Metadata       json.RawMessage
	StartedAt      time.Time
	EndedAt        time.Time
	EndReason      string
	VideoID        string
	CreatedAt      time.Time
}

// NewEvent is what a camera reports when motion starts.
type NewEvent struct {
	UserID         UserID
	CameraDeviceID DeviceID
	ClientEventID  string
	Score          *float64
	Metadata       json.RawMessage
	StartedAt      time.Time
}

// EventEnd is what a camera reports when motion ends, or what Vigil
// records when it closes an event itself (Reason set).
type EventEnd struct {
	EndedAt  time.Time
	Metadata json.RawMessage
	Reason   string
}

// Events runs the queries behind motion events.
type Events struct {
	pool *pgxpool.Pool
}

// NewEvents returns the event queries over pool.
func NewEvents(pool *pgxpool.Pool) *Events { return &Events{pool: pool} }

const eventColumns = `e.id, e.user_id, e.camera_device_id, e.status,
	coalesce(e.client_event_id, ''), e.score, e.metadata, e.started_at, e.ended_at,
	coalesce(e.end_reason, ''), coalesce(e.video_id::text, ''), e.created_at`

func scanEvent(row pgx.Row) (Event, error) {
	var e Event
	var score *float64
	var ended *time.Time
	err := row.Scan(&e.ID, &e.UserID, &e.CameraDeviceID, &e.Status, &e.ClientEventID, &score,
		&e.Metadata, &e.StartedAt, &ended, &e.EndReason, &e.VideoID, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Event{}, ErrNotFound
	}
	if score != nil {
		e.Score, e.HasScore = *score, true
	}
	if ended != nil {
		e.EndedAt = *ended
	}
	return e, err
}

func collectEvents(rows pgx.Rows, err error) ([]Event, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) { return scanEvent(r) })
}

// StartEvent stores an open event and reports whether it is new. A
// repeated client event id of the same camera returns the first event.
func (s *Events) StartEvent(ctx context.Context, n NewEvent) (Event, bool, error) {
	meta := n.Metadata
	if meta == nil {
		meta = json.RawMessage("{}")
	}
	e, err := scanEvent(s.pool.QueryRow(ctx, `
		INSERT INTO events AS e (id, user_id, camera_device_id, client_event_id, score,
			metadata, started_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (camera_device_id, client_event_id) DO NOTHING
		RETURNING `+eventColumns, newID(), n.UserID, n.CameraDeviceID,
		nullIfEmpty(n.ClientEventID), n.Score, meta, n.StartedAt))
	if err == nil {
		return e, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Event{}, false, fmt.Errorf("start event of %s: %w", n.CameraDeviceID, goneOf(err))
	}
	e, err = scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events e
		WHERE e.camera_device_id = $1 AND e.client_event_id = $2`,
		n.CameraDeviceID, n.ClientEventID))
	if err != nil {
		return Event{}, false, fmt.Errorf("event %q of %s: %w", n.ClientEventID, n.CameraDeviceID, err)
	}
	return e, false, nil
}

// EndEvent closes camera's open event id and reports whether it changed.
// New metadata keys are merged into the event's. An event of another
// camera is ErrNotFound; one already closed is returned unchanged.
func (s *Events) EndEvent(ctx context.Context, camera DeviceID, id EventID,
	end EventEnd) (Event, bool, error) {
	meta := end.Metadata
	if meta == nil {
		meta = json.RawMessage("{}")
	}
	e, err := scanEvent(s.pool.QueryRow(ctx, `
		UPDATE events AS e SET status = 'closed', ended_at = greatest($3, e.started_at),
			metadata = e.metadata || $4, end_reason = $5
		WHERE e.id = $1 AND e.camera_device_id = $2 AND e.status = 'open'
		RETURNING `+eventColumns, id, camera, end.EndedAt, meta, nullIfEmpty(end.Reason)))
	if err == nil {
		return e, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Event{}, false, fmt.Errorf("end event %s: %w", id, err)
	}
	e, err = scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events e
		WHERE e.id = $1 AND e.camera_device_id = $2`, id, camera))
	if err != nil {
		return Event{}, false, fmt.Errorf("event %s: %w", id, err)
	}
	return e, false, nil
}

// OpenEvents returns the ids of camera's open events.
func (s *Events) OpenEvents(ctx context.Context, camera DeviceID) ([]EventID, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM events
		WHERE camera_device_id = $1 AND status = 'open'`, camera)
	if err != nil {
		return nil, fmt.Errorf("open events of %s: %w", camera, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[EventID])
	if err != nil {
		return nil, fmt.Errorf("open events of %s: %w", camera, err)
	}
	return ids, nil
}

// CloseOpenEvents closes every open event of camera with reason, oldest
// first, and returns them.
func (s *Events) CloseOpenEvents(ctx context.Context, camera DeviceID, at time.Time,
	reason string) ([]Event, error) {
	events, err := collectEvents(s.pool.Query(ctx, `
		WITH closed AS (
			UPDATE events AS e SET status = 'closed', ended_at = greatest($2, e.started_at),
				end_reason = $3
			WHERE e.camera_device_id = $1 AND e.status = 'open'
			RETURNING e.*)
		SELECT `+eventColumns+` FROM closed e ORDER BY e.started_at, e.id`, camera, at, reason))
	if err != nil {
		return nil, fmt.Errorf("close open events of %s: %w", camera, err)
	}
	return events, nil
}

// EventFilter selects a user's events to list.
type EventFilter struct {
	UserID   UserID
	CameraID DeviceID
	From, To time.Time
	Status   EventStatus
	After    *Keyset
	Limit    int
}

// ListEvents returns events newest first by start, from after f.After.
// The keyset (started_at, id) makes pages neither skip nor repeat rows
// while new events are inserted.
func (s *Events) ListEvents(ctx context.Context, f EventFilter) ([]Event, error) {
	var after, from, to *time.Time
	var afterID *string
	if f.After != nil {
		after, afterID = &f.After.At, &f.After.ID
	}
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	events, err := collectEvents(s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events e
		WHERE e.user_id = $1
			AND ($2::uuid IS NULL OR e.camera_device_id = $2)
			AND ($3::timestamptz IS NULL OR e.started_at >= $3)
			AND ($4::timestamptz IS NULL OR e.started_at < $4)
			AND ($5::text IS NULL OR e.status = $5)
			AND ($6::timestamptz IS NULL OR (e.started_at, e.id) < ($6, $7::uuid))
		ORDER BY e.started_at DESC, e.id DESC LIMIT $8`,
		f.UserID, nullIfEmpty(string(f.CameraID)), from, to, nullIfEmpty(string(f.Status)),
		after, afterID, f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list events of user %s: %w", f.UserID, err)
	}
	return events, nil
}
