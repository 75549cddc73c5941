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

// CommandID identifies a command; it is a UUID in text form.
type CommandID string

// CommandStatus is where a command stands.
type CommandStatus string

// Command statuses, as the commands.status CHECK constraint spells them.
// Queued and delivered are pending; the other three are final.
const (
	CommandQueued       CommandStatus = "queued"
	CommandDelivered    CommandStatus = "delivered"
	CommandAcknowledged CommandStatus = "acknowledged"
	CommandRejected     CommandStatus = "rejected"
	CommandExpired      CommandStatus = "expired"
)

// Final reports whether no further status change can happen.
func (s CommandStatus) Final() bool {
	return s == CommandAcknowledged || s == CommandRejected || s == CommandExpired
}

// ErrIdempotencyReused means an idempotency key already names a command
// with another target, type or payload.
var ErrIdempotencyReused = errors.New("idempotency key used for another command")

// Command is a row of commands. Zero times and empty strings stand for
// NULL, so that the value can travel in actor messages as plain data.
type Command struct {
	ID             CommandID
	UserID         UserID
	SourceDeviceID DeviceID
	TargetDeviceID DeviceID
	Type           string
	Payload        json.RawMessage
	Status         CommandStatus
	Reason         string
	IdempotencyKey string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time
	DeliveredAt    time.Time
	CompletedAt    time.Time
}

// NewCommand is what accepting a command stores.
type NewCommand struct {
	UserID         UserID
	SourceDeviceID DeviceID
	TargetDeviceID DeviceID
	Type           string
	Payload        json.RawMessage
	IdempotencyKey string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Commands runs the queries behind commands.
type Commands struct {
	pool *pgxpool.Pool
}

// NewCommands returns the command queries over pool.
func NewCommands(pool *pgxpool.Pool) *Commands { return &Commands{pool: pool} }

const commandColumns = `c.id, c.user_id, c.source_device_id, c.target_device_id, c.command_type,
	c.payload, c.status, coalesce(c.reason, ''), coalesce(c.idempotency_key, ''), c.created_at,
	c.updated_at, c.expires_at, c.delivered_at, c.completed_at`

func scanCommand(row pgx.Row) (Command, error) {
	var c Command
	var delivered, completed *time.Time
	err := row.Scan(&c.ID, &c.UserID, &c.SourceDeviceID, &c.TargetDeviceID, &c.Type, &c.Payload,
		&c.Status, &c.Reason, &c.IdempotencyKey, &c.CreatedAt, &c.UpdatedAt, &c.ExpiresAt,
		&delivered, &completed)
	if errors.Is(err, pgx.ErrNoRows) {
		return Command{}, ErrNotFound
	}
	if delivered != nil {
		c.DeliveredAt = *delivered
	}
	if completed != nil {
		c.CompletedAt = *completed
	}
	return c, err
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ErrNotLinked means the source of a command is not linked to its target.
var ErrNotLinked = errors.New("source not linked to target")

// createCommandSQL inserts the command only when source and target are
// linked and the target is not disabled, and says which of the two failed,
// in one round trip and from one snapshot: no check can go stale before
// the insert. pair always yields one row; ins at most one.
const createCommandSQL = `
	WITH pair AS (
		SELECT EXISTS (SELECT 1 FROM device_links
				WHERE camera_device_id = $4::uuid AND client_device_id = $3::uuid) AS linked,
			EXISTS (SELECT 1 FROM devices WHERE id = $4::uuid AND status = 'disabled') AS disabled
	), ins AS (
		INSERT INTO commands AS c (id, user_id, source_device_id, target_device_id,
			command_type, payload, idempotency_key, created_at, updated_at, expires_at)
		SELECT $1::uuid, $2::text, $3::uuid, $4::uuid, $5::text, $6::jsonb, $7::text,
			$8::timestamptz, $8::timestamptz, $9::timestamptz
		FROM pair WHERE pair.linked AND NOT pair.disabled
		ON CONFLICT (source_device_id, idempotency_key) DO NOTHING
		RETURNING ` + commandColumns + `
	)
	SELECT pair.linked, pair.disabled, c.* FROM pair LEFT JOIN ins c ON true`

// CreateCommand stores a queued command and reports whether it is new. It
// stores nothing for a source not linked to the target (ErrNotLinked) or a
// disabled target (ErrDisabled). A repeated idempotency key of the same
// source returns the command stored first, or ErrIdempotencyReused when it
// asked for something else.
func (s *Commands) CreateCommand(ctx context.Context, n NewCommand) (Command, bool, error) {
	var linked, disabled bool
	c, inserted, err := scanOptionalCommand(s.pool.QueryRow(ctx, createCommandSQL, newID(), n.UserID,
		n.SourceDeviceID, n.TargetDeviceID, n.Type, n.Payload, nullIfEmpty(n.IdempotencyKey),
		n.CreatedAt, n.ExpiresAt), &linked, &disabled)
	switch {
	case err != nil:
		return Command{}, false, fmt.Errorf("create command for %s: %w", n.TargetDeviceID, goneOf(err))
	case !linked:
		return Command{}, false, fmt.Errorf("command from %s to %s: %w", n.SourceDeviceID,
			n.TargetDeviceID, ErrNotLinked)
	case disabled:
		return Command{}, false, fmt.Errorf("command to %s: %w", n.TargetDeviceID, ErrDisabled)
	case inserted:
		return c, true, nil
	}
	c, err = scanCommand(s.pool.QueryRow(ctx, `SELECT `+commandColumns+` FROM commands c
		WHERE c.source_device_id = $1 AND c.idempotency_key = $2`,
		n.SourceDeviceID, n.IdempotencyKey))
	if err != nil {
		return Command{}, false, fmt.Errorf("command with key %q: %w", n.IdempotencyKey, err)
	}
	if c.TargetDeviceID != n.TargetDeviceID || c.Type != n.Type || !samePayload(c.Payload, n.Payload) {
		return Command{}, false, fmt.Errorf("command with key %q: %w", n.IdempotencyKey,
			ErrIdempotencyReused)
	}
	return c, false, nil
}

// scanOptionalCommand scans lead columns, then a command's columns that
// are all NULL when there is no command (an outer join); it reports
// whether there was one.
func scanOptionalCommand(row pgx.Row, lead ...any) (Command, bool, error) {
	var c Command
	var id, source, target *string
	var user, typ, status *string
	var created, updated, expires, delivered, completed *time.Time
	var reason, key *string
	err := row.Scan(append(lead, &id, &user, &source, &target, &typ, &c.Payload, &status, &reason,
		&key, &created, &updated, &expires, &delivered, &completed)...)
	if err != nil || id == nil {
		return Command{}, false, err
	}
	c.ID, c.UserID, c.SourceDeviceID = CommandID(*id), UserID(*user), DeviceID(*source)
	c.TargetDeviceID, c.Type, c.Status = DeviceID(*target), *typ, CommandStatus(*status)
	c.Reason, c.IdempotencyKey = *reason, *key
	c.CreatedAt, c.UpdatedAt, c.ExpiresAt = *created, *updated, *expires
	if delivered != nil {
		c.DeliveredAt = *delivered
	}
	if completed != nil {
		c.CompletedAt = *completed
	}
	return c, true, nil
}

// samePayload compares two JSON objects by value: jsonb does not keep the
// key order or spacing of what was sent.
func samePayload(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ax, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(ax) == string(by)
}

// CommandByID returns a command whoever owns it.
func (s *Commands) CommandByID(ctx context.Context, id CommandID) (Command, error) {
	c, err := scanCommand(s.pool.QueryRow(ctx, `SELECT `+commandColumns+` FROM commands c
		WHERE c.id = $1`, id))
	if err != nil {
		return Command{}, fmt.Errorf("command %s: %w", id, err)
	}
	return c, nil
}

// The conditional status changes a camera's actor makes through
// ApplyCommandWrites. Each changes the row only from a state it may leave
// and returns it; no row means the change did not happen.
const (
	// markDeliveredSQL: a queued command not expired at $2 is delivered.
	markDeliveredSQL = `UPDATE commands AS c
	SET status = 'delivered', delivered_at = $2, updated_at = $2
	WHERE c.id = $1 AND c.status = 'queued' AND c.expires_at > $2
	RETURNING ` + commandColumns

	// completeSQL: the target $2 answers ($3: acknowledged or rejected) a
	// pending command not expired at $5.
	completeSQL = `UPDATE commands AS c
	SET status = $3, reason = $4, completed_at = $5, updated_at = $5
	WHERE c.id = $1 AND c.target_device_id = $2 AND c.status IN ('queued', 'delivered')
		AND c.expires_at > $5
	RETURNING ` + commandColumns

	// expireSQL: a pending command whose time to live passed at $2 expires.
	expireSQL = `UPDATE commands AS c
	SET status = 'expired', completed_at = $2, updated_at = $2
	WHERE c.id = $1 AND c.status IN ('queued', 'delivered') AND c.expires_at <= $2
	RETURNING ` + commandColumns

	// withdrawSQL: a pending command expires early with reason $3, because
	// its source lost the link that allowed it.
	withdrawSQL = `UPDATE commands AS c
	SET status = 'expired', completed_at = $2, updated_at = $2, reason = $3
	WHERE c.id = $1 AND c.status IN ('queued', 'delivered')
	RETURNING ` + commandColumns
)

// PendingCommands returns the commands waiting on target, oldest first.
func (s *Commands) PendingCommands(ctx context.Context, target DeviceID) ([]Command, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+commandColumns+` FROM commands c
		WHERE c.target_device_id = $1 AND c.status IN ('queued', 'delivered')
		ORDER BY c.created_at, c.id`, target)
	if err != nil {
		return nil, fmt.Errorf("pending commands of %s: %w", target, err)
	}
	cmds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Command, error) {
		return scanCommand(r)
	})
	if err != nil {
		return nil, fmt.Errorf("pending commands of %s: %w", target, err)
	}
	return cmds, nil
}

// CommandFilter selects commands to list. Viewer limits them to commands
// the device sent or received; otherwise UserID does.
type CommandFilter struct {
	UserID UserID
	Viewer DeviceID
	// DeviceID keeps commands the device sent or received.
	DeviceID DeviceID
	Status   CommandStatus
	After    *Keyset
	Limit    int
}

// ListCommands returns commands newest first, from after f.After.
func (s *Commands) ListCommands(ctx context.Context, f CommandFilter) ([]Command, error) {
	var after *time.Time
	var afterID *string
	if f.After != nil {
		after, afterID = &f.After.At, &f.After.ID
	}
	rows, err := s.pool.Query(ctx, `SELECT `+commandColumns+` FROM commands c
		WHERE ($1::text IS NULL OR c.user_id = $1)
			AND ($2::uuid IS NULL OR c.source_device_id = $2 OR c.target_device_id = $2)
			AND ($3::uuid IS NULL OR c.source_device_id = $3 OR c.target_device_id = $3)
			AND ($4::text IS NULL OR c.status = $4)
			AND ($5::timestamptz IS NULL OR (c.created_at, c.id) < ($5, $6::uuid))
		ORDER BY c.created_at DESC, c.id DESC LIMIT $7`,
		nullIfEmpty(string(f.UserID)), nullIfEmpty(string(f.Viewer)),
		nullIfEmpty(string(f.DeviceID)), nullIfEmpty(string(f.Status)), after, afterID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list commands: %w", err)
	}
	cmds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Command, error) {
		return scanCommand(r)
	})
	if err != nil {
		return nil, fmt.Errorf("list commands: %w", err)
	}
	return cmds, nil
}

// CamerasWithWork returns the devices that have pending commands or open
// motion events: after a restart their actors must run to deliver, expire
// and close them.
func (s *Commands) CamerasWithWork(ctx context.Context) ([]DeviceID, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT target_device_id FROM commands WHERE status IN ('queued', 'delivered')
		UNION SELECT camera_device_id FROM events WHERE status = 'open'`)
	if err != nil {
		return nil, fmt.Errorf("cameras with pending work: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[DeviceID])
	if err != nil {
		return nil, fmt.Errorf("cameras with pending work: %w", err)
	}
	return ids, nil
}

// Keyset is a position in a list ordered newest first by a time and an id.
type Keyset struct {
	At time.Time
	ID string
}
