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

// DeviceID identifies a device; it is a UUID in text form.
type DeviceID string

// Role is what a device does: a camera films, a client watches and commands.
type Role string

// Device roles, as the devices.role CHECK constraint spells them.
const (
	RoleCamera Role = "camera"
	RoleClient Role = "client"
)

// DeviceStatus says whether a device may authenticate.
type DeviceStatus string

// Device statuses, as the devices.status CHECK constraint spells them.
const (
	StatusActive   DeviceStatus = "active"
	StatusDisabled DeviceStatus = "disabled"
)

var (
	// ErrWrongRole means a device's role does not fit what was asked.
	ErrWrongRole = errors.New("wrong device role")
	// ErrDisabled means the device is disabled.
	ErrDisabled = errors.New("device disabled")
	// ErrHasLinks means the change would break the device's links.
	ErrHasLinks = errors.New("device has links")
)

// Device is a row of devices. TokenHash is the SHA-256 of the current
// device token, nil once revoked.
type Device struct {
	ID              DeviceID
	UserID          UserID
	Name            string
	Role            Role
	Platform        *string
	Metadata        json.RawMessage
	Status          DeviceStatus
	TokenHash       []byte
	LastSeenAt      *time.Time
	LastHeartbeatAt *time.Time
	Telemetry       json.RawMessage
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// NewDevice is what registering a device stores.
type NewDevice struct {
	UserID    UserID
	Name      string
	Role      Role
	Platform  *string
	Metadata  json.RawMessage
	TokenHash []byte
}

// DevicePatch holds the fields a PATCH changes; nil leaves one as it is.
// Disabling also revokes the token.
type DevicePatch struct {
	Name     *string
	Role     *Role
	Metadata json.RawMessage
	Status   *DeviceStatus
}

// Devices runs the queries behind devices and their links.
type Devices struct {
	pool *pgxpool.Pool
}

// NewDevices returns the device queries over pool.
func NewDevices(pool *pgxpool.Pool) *Devices { return &Devices{pool: pool} }

const deviceColumns = `d.id, d.user_id, d.name, d.role, d.platform, d.metadata, d.status,
	d.token_hash, d.last_seen_at, d.last_heartbeat_at, d.telemetry, d.created_at, d.updated_at`

func scanDevice(row pgx.Row) (Device, error) {
	var d Device
	err := row.Scan(&d.ID, &d.UserID, &d.Name, &d.Role, &d.Platform, &d.Metadata, &d.Status,
		&d.TokenHash, &d.LastSeenAt, &d.LastHeartbeatAt, &d.Telemetry, &d.CreatedAt, &d.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Device{}, ErrNotFound
	}
	return d, err
}

// CreateDevice stores a new active device.
func (s *Devices) CreateDevice(ctx context.Context, n NewDevice) (Device, error) {
	meta := n.Metadata
	if meta == nil {
		meta = json.RawMessage("{}")
	}
	d, err := scanDevice(s.pool.QueryRow(ctx, `
		INSERT INTO devices AS d (id, user_id, name, role, platform, metadata, token_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+deviceColumns,
		newID(), n.UserID, n.Name, n.Role, n.Platform, meta, n.TokenHash))
	if err != nil {
		return Device{}, fmt.Errorf("create device for user %s: %w", n.UserID, goneOf(err))
	}
	return d, nil
}

// ListDevices returns a user's devices, oldest first.
func (s *Devices) ListDevices(ctx context.Context, userID UserID) ([]Device, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deviceColumns+` FROM devices d
		WHERE d.user_id = $1 ORDER BY d.created_at, d.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list devices of user %s: %w", userID, err)
	}
	devices, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) {
		return scanDevice(r)
	})
	if err != nil {
		return nil, fmt.Errorf("list devices of user %s: %w", userID, err)
	}
	return devices, nil
}

// UserDevice returns the user's device id; another user's is ErrNotFound.
func (s *Devices) UserDevice(ctx context.Context, userID UserID, id DeviceID) (Device, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices d
		WHERE d.id = $1 AND d.user_id = $2`, id, userID))
	if err != nil {
		return Device{}, fmt.Errorf("device %s: %w", id, err)
	}
	return d, nil
}

// DeviceByTokenHash returns the active device whose token hashes to hash.
func (s *Devices) DeviceByTokenHash(ctx context.Context, hash []byte) (Device, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices d
		WHERE d.token_hash = $1 AND d.status = 'active'`, hash))
	if err != nil {
		return Device{}, fmt.Errorf("device by token: %w", err)
	}
	return d, nil
}

// UpdateDevice applies p to the user's device. A role change while the
// device has links is ErrHasLinks: the links' roles would no longer hold.
// The row is locked first so that a concurrent link cannot slip in.
func (s *Devices) UpdateDevice(ctx context.Context, userID UserID, id DeviceID,
	p DevicePatch) (Device, error) {
	var d Device
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanDevice(tx.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices d
			WHERE d.id = $1 AND d.user_id = $2 FOR UPDATE`, id, userID))
		if err != nil {
			return err
		}
		if p.Role != nil && *p.Role != cur.Role {
			if err := checkNoLinks(ctx, tx, id); err != nil {
				return err
			}
		}
		d, err = scanDevice(tx.QueryRow(ctx, `
			UPDATE devices AS d SET
				name = coalesce($2, d.name),
				role = coalesce($3, d.role),
				metadata = coalesce($4, d.metadata),
				status = coalesce($5, d.status),
				token_hash = CASE WHEN $5 = 'disabled' THEN NULL ELSE d.token_hash END,
				updated_at = now()
			WHERE d.id = $1
			RETURNING `+deviceColumns, id, p.Name, p.Role, p.Metadata, p.Status))
		return err
	})
	if err != nil {
		return Device{}, fmt.Errorf("update device %s: %w", id, err)
	}
	return d, nil
}

func checkNoLinks(ctx context.Context, tx pgx.Tx, id DeviceID) error {
	var linked bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM device_links
		WHERE camera_device_id = $1 OR client_device_id = $1)`, id).Scan(&linked)
	if err != nil {
		return err
	}
	if linked {
		return ErrHasLinks
	}
	return nil
}

// ReplaceToken gives the user's active device a new token hash, which
// invalidates the old token. A disabled device is ErrDisabled.
func (s *Devices) ReplaceToken(ctx context.Context, userID UserID, id DeviceID,
	hash []byte) (Device, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, `
		UPDATE devices AS d SET token_hash = $3, updated_at = now()
		WHERE d.id = $1 AND d.user_id = $2 AND d.status = 'active'
		RETURNING `+deviceColumns, id, userID, hash))
	if errors.Is(err, ErrNotFound) {
		if _, gerr := s.UserDevice(ctx, userID, id); gerr == nil {
			err = ErrDisabled
		}
	}
	if err != nil {
		return Device{}, fmt.Errorf("replace token of device %s: %w", id, err)
	}
	return d, nil
}

// RecordHeartbeat stores a heartbeat's time and what it reported.
func (s *Devices) RecordHeartbeat(ctx context.Context, id DeviceID, at time.Time,
	telemetry json.RawMessage) error {
	_, err := s.pool.Exec(ctx, `UPDATE devices SET last_seen_at = $2, last_heartbeat_at = $2,
		telemetry = $3 WHERE id = $1`, id, at, telemetry)
	if err != nil {
		return fmt.Errorf("record heartbeat of device %s: %w", id, err)
	}
	return nil
}

// RecordSeen stores when the device was last seen.
func (s *Devices) RecordSeen(ctx context.Context, id DeviceID, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE devices SET last_seen_at = $2 WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("record device %s seen: %w", id, err)
	}
	return nil
}

// DeviceState is what a device actor loads when it starts: its row and
// its links, each with the device at the other end.
type DeviceState struct {
	Device Device
	Links  map[LinkID]DeviceID
}

// LoadDeviceState returns the device's row and links; an unknown device is
// ErrNotFound.
func (s *Devices) LoadDeviceState(ctx context.Context, id DeviceID) (DeviceState, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices d
		WHERE d.id = $1`, id))
	if err != nil {
		return DeviceState{}, fmt.Errorf("load device %s: %w", id, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, CASE WHEN camera_device_id = $1 THEN client_device_id ELSE camera_device_id END
		FROM device_links WHERE camera_device_id = $1 OR client_device_id = $1`, id)
	if err != nil {
		return DeviceState{}, fmt.Errorf("load links of device %s: %w", id, err)
	}
	defer rows.Close()
	links := make(map[LinkID]DeviceID)
	for rows.Next() {
		var link LinkID
		var peer DeviceID
		if err := rows.Scan(&link, &peer); err != nil {
			return DeviceState{}, fmt.Errorf("load links of device %s: %w", id, err)
		}
		links[link] = peer
	}
	if err := rows.Err(); err != nil {
		return DeviceState{}, fmt.Errorf("load links of device %s: %w", id, err)
	}
	return DeviceState{Device: d, Links: links}, nil
}
