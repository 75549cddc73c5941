package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LinkID identifies a camera-client link; it is a UUID in text form.
type LinkID string

// Link lets a client device watch and command a camera.
type Link struct {
	ID             LinkID
	UserID         UserID
	CameraDeviceID DeviceID
	ClientDeviceID DeviceID
	CreatedAt      time.Time
}

// EndError says which end of a link was refused, so that the caller can
// name the field.
type EndError struct {
	End Role
	Err error
}

func (e *EndError) Error() string { return fmt.Sprintf("%s end: %v", e.End, e.Err) }

func (e *EndError) Unwrap() error { return e.Err }

const linkColumns = `l.id, l.user_id, l.camera_device_id, l.client_device_id, l.created_at`

func scanLink(row pgx.Row) (Link, error) {
	var l Link
	err := row.Scan(&l.ID, &l.UserID, &l.CameraDeviceID, &l.ClientDeviceID, &l.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Link{}, ErrNotFound
	}
	return l, err
}

// CreateLink links the user's camera to the user's client. Each end must be
// the user's (else ErrNotFound), have its role (ErrWrongRole) and be active
// (ErrDisabled), all wrapped in an EndError. A pair already linked is
// ErrConflict, decided by the unique constraint so that racing requests
// cannot both win. Both rows are locked so a concurrent role change waits.
func (s *Devices) CreateLink(ctx context.Context, userID UserID, camera, client DeviceID) (Link, error) {
	var link Link
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The user row first: delete-user locks it before cascading to the
		// devices, so taking the same order makes it wait for this link
		// instead of deadlocking with the device locks below.
		if err := lockUser(ctx, tx, userID); err != nil {
			return err
		}
		if err := checkEnd(ctx, tx, userID, camera, RoleCamera); err != nil {
			return err
		}
		if err := checkEnd(ctx, tx, userID, client, RoleClient); err != nil {
			return err
		}
		var err error
		link, err = scanLink(tx.QueryRow(ctx, `
			INSERT INTO device_links AS l (id, user_id, camera_device_id, client_device_id)
			VALUES ($1, $2, $3, $4) RETURNING `+linkColumns, newID(), userID, camera, client))
		return err
	})
	if isUniqueViolation(err) {
		return Link{}, fmt.Errorf("link %s to %s: %w", camera, client, ErrConflict)
	}
	if err != nil {
		return Link{}, fmt.Errorf("link %s to %s: %w", camera, client, goneOf(err))
	}
	return link, nil
}

// lockUser holds the user row until the transaction ends; a user deleted
// meanwhile is ErrGone on user_id, as the insert's foreign key would say.
func lockUser(ctx context.Context, tx pgx.Tx, userID UserID) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM "user" WHERE "id" = $1 FOR KEY SHARE`, userID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return &GoneError{Column: "user_id", Err: err}
	}
	return err
}

func checkEnd(ctx context.Context, tx pgx.Tx, userID UserID, id DeviceID, want Role) error {
	var role Role
	var status DeviceStatus
	err := tx.QueryRow(ctx, `SELECT role, status FROM devices
		WHERE id = $1 AND user_id = $2 FOR SHARE`, id, userID).Scan(&role, &status)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return &EndError{End: want, Err: ErrNotFound}
	case err != nil:
		return err
	case role != want:
		return &EndError{End: want, Err: ErrWrongRole}
	case status != StatusActive:
		return &EndError{End: want, Err: ErrDisabled}
	}
	return nil
}

// ListLinks returns the user's links, oldest first.
func (s *Devices) ListLinks(ctx context.Context, userID UserID) ([]Link, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+linkColumns+` FROM device_links l
		WHERE l.user_id = $1 ORDER BY l.created_at, l.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list links of user %s: %w", userID, err)
	}
	links, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Link, error) {
		return scanLink(r)
	})
	if err != nil {
		return nil, fmt.Errorf("list links of user %s: %w", userID, err)
	}
	return links, nil
}

// DeleteLink removes the user's link and returns it; another user's link is
// ErrNotFound.
func (s *Devices) DeleteLink(ctx context.Context, userID UserID, id LinkID) (Link, error) {
	l, err := scanLink(s.pool.QueryRow(ctx, `DELETE FROM device_links l
		WHERE l.id = $1 AND l.user_id = $2 RETURNING `+linkColumns, id, userID))
	if err != nil {
		return Link{}, fmt.Errorf("delete link %s: %w", id, err)
	}
	return l, nil
}

// LinkByID returns a link whoever owns it; link actors load themselves
// with it.
func (s *Devices) LinkByID(ctx context.Context, id LinkID) (Link, error) {
	l, err := scanLink(s.pool.QueryRow(ctx, `SELECT `+linkColumns+` FROM device_links l
		WHERE l.id = $1`, id))
	if err != nil {
		return Link{}, fmt.Errorf("link %s: %w", id, err)
	}
	return l, nil
}

// LinkState is what a command needs to know of a camera-client pair.
type LinkState struct {
	Linked         bool
	CameraDisabled bool
}

// LinkStateOf reports whether camera and client are linked and whether
// the camera is disabled.
func (s *Devices) LinkStateOf(ctx context.Context, camera, client DeviceID) (LinkState, error) {
	var st LinkState
	err := s.pool.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM device_links
				WHERE camera_device_id = $1 AND client_device_id = $2),
			EXISTS (SELECT 1 FROM devices WHERE id = $1 AND status = 'disabled')`,
		camera, client).Scan(&st.Linked, &st.CameraDisabled)
	if err != nil {
		return st, fmt.Errorf("link of %s to %s: %w", camera, client, err)
	}
	return st, nil
}
