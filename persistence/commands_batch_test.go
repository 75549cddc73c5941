package persistence_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// TestApplyCommandWrites runs every kind of change in one batch, including
// changes that must not happen, and checks both the outcomes and the rows.
func TestApplyCommandWrites(t *testing.T) {
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	user, camera := seedDevice(t, pool, "batch@example.com")
	client := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO devices (id, user_id, name, role) VALUES ($1, $2, 'cli', 'client');
		`, client, user); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO device_links (id, user_id, camera_device_id, client_device_id)
		VALUES ($1, $2, $3, $4)`, uuid.New(), user, camera, client); err != nil {
		t.Fatal(err)
	}
	cmds := persistence.NewCommands(pool)
	now := time.Now().UTC().Truncate(time.Microsecond)
	create := func(key string, ttl time.Duration) persistence.CommandID {
		t.Helper()
		c, created, err := cmds.CreateCommand(ctx, persistence.NewCommand{UserID: user,
			SourceDeviceID: persistence.DeviceID(client.String()), TargetDeviceID: persistence.DeviceID(camera.String()),
			Type: "take_snapshot", Payload: []byte(`{}`), IdempotencyKey: key, CreatedAt: now, ExpiresAt: now.Add(ttl)})
		if err != nil || !created {
			t.Fatalf("create %s: %v %v", key, created, err)
		}
		return c.ID
	}
	a, b, old, gone := create("a", time.Minute), create("b", time.Minute), create("old", time.Second), create("gone", time.Minute)
	target := persistence.DeviceID(camera.String())
	later := now.Add(2 * time.Second)

	writes := []persistence.CommandWrite{
		{Kind: persistence.WriteDelivered, ID: a, At: now},
		{Kind: persistence.WriteNone, ID: a},
		{Kind: persistence.WriteComplete, ID: a, Target: target, Status: persistence.CommandAcknowledged, At: now},
		// a is final now: neither change may happen.
		{Kind: persistence.WriteComplete, ID: a, Target: target, Status: persistence.CommandRejected, At: now},
		{Kind: persistence.WriteDelivered, ID: a, At: now},
		// Only the target may answer.
		{Kind: persistence.WriteComplete, ID: b, Target: persistence.DeviceID(client.String()),
			Status: persistence.CommandAcknowledged, At: now},
		{Kind: persistence.WriteComplete, ID: b, Target: target, Status: persistence.CommandRejected,
			Reason: "busy", At: now},
		// old is past its time to live at later: no delivery, no answer, but it expires.
		{Kind: persistence.WriteDelivered, ID: old, At: later},
		{Kind: persistence.WriteComplete, ID: old, Target: target, Status: persistence.CommandAcknowledged, At: later},
		{Kind: persistence.WriteExpire, ID: old, At: later},
		// gone has time left: it does not expire, but it can be withdrawn.
		{Kind: persistence.WriteExpire, ID: gone, At: later},
		{Kind: persistence.WriteWithdraw, ID: gone, Reason: "unlinked", At: later},
	}
	want := []struct {
		changed bool
		status  persistence.CommandStatus
	}{
		{true, persistence.CommandDelivered}, {false, ""}, {true, persistence.CommandAcknowledged},
		{false, ""}, {false, ""}, {false, ""}, {true, persistence.CommandRejected},
		{false, ""}, {false, ""}, {true, persistence.CommandExpired},
		{false, ""}, {true, persistence.CommandExpired},
	}
	out, err := cmds.ApplyCommandWrites(ctx, writes)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(writes) {
		t.Fatalf("%d outcomes for %d writes", len(out), len(writes))
	}
	for i, w := range want {
		if out[i].Changed != w.changed || (w.changed && out[i].Command.Status != w.status) {
			t.Errorf("write %d (kind %d): changed %v status %q, want %v %q", i, writes[i].Kind,
				out[i].Changed, out[i].Command.Status, w.changed, w.status)
		}
	}

	for id, wantStatus := range map[persistence.CommandID]persistence.CommandStatus{
		a: persistence.CommandAcknowledged, b: persistence.CommandRejected,
		old: persistence.CommandExpired, gone: persistence.CommandExpired} {
		c, err := cmds.CommandByID(ctx, id)
		if err != nil || c.Status != wantStatus {
			t.Errorf("%s stored as %q (%v), want %q", id, c.Status, err, wantStatus)
		}
	}
	if c, _ := cmds.CommandByID(ctx, a); c.DeliveredAt.IsZero() || c.CompletedAt.IsZero() {
		t.Errorf("a: delivered at %v, completed at %v; want both set", c.DeliveredAt, c.CompletedAt)
	}
	if c, _ := cmds.CommandByID(ctx, b); c.Reason != "busy" {
		t.Errorf("b's reason %q, want busy", c.Reason)
	}
}

// TestApplyCommandWritesAllOrNothing: a batch that fails part way changes
// nothing, so the actor may treat every change in it as not made.
func TestApplyCommandWritesAllOrNothing(t *testing.T) {
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	user, camera := seedDevice(t, pool, "atomic@example.com")
	client := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO devices (id, user_id, name, role) VALUES ($1, $2, 'cli', 'client')`,
		client, user); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO device_links (id, user_id, camera_device_id, client_device_id)
		VALUES ($1, $2, $3, $4)`, uuid.New(), user, camera, client); err != nil {
		t.Fatal(err)
	}
	cmds := persistence.NewCommands(pool)
	now := time.Now().UTC()
	c, _, err := cmds.CreateCommand(ctx, persistence.NewCommand{UserID: user,
		SourceDeviceID: persistence.DeviceID(client.String()), TargetDeviceID: persistence.DeviceID(camera.String()),
		Type: "take_snapshot", Payload: []byte(`{}`), CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	// The second write breaks the status CHECK constraint: Postgres
	// refuses it after running the first, and rolls both back.
	_, err = cmds.ApplyCommandWrites(ctx, []persistence.CommandWrite{
		{Kind: persistence.WriteDelivered, ID: c.ID, At: now},
		{Kind: persistence.WriteComplete, ID: c.ID, Target: persistence.DeviceID(camera.String()),
			Status: "exploded", At: now},
	})
	if err == nil {
		t.Fatal("a batch breaking a constraint succeeded")
	}
	if got, _ := cmds.CommandByID(ctx, c.ID); got.Status != persistence.CommandQueued {
		t.Fatalf("after a failed batch the command is %q, want queued", got.Status)
	}
}
