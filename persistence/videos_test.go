package persistence_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// seedDevice stores a user with one camera and returns both ids.
func seedDevice(t *testing.T, pool *pgxpool.Pool, email string) (persistence.UserID, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	user, _, err := persistence.NewAccounts(pool).CreateUser(ctx, "T", email, "hash",
		persistence.NewSession{Token: email, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	device := uuid.New()
	_, err = pool.Exec(ctx,
		`INSERT INTO devices (id, user_id, name, role) VALUES ($1, $2, 'cam', 'camera')`, device, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	return user.ID, device
}

func TestVideoLifecycle(t *testing.T) {
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	videos := persistence.NewVideos(pool)
	alice, camera := seedDevice(t, pool, "alice@example.com")
	bob, _ := seedDevice(t, pool, "bob@example.com")

	if err := videos.CheckDeviceOwner(ctx, alice, camera); err != nil {
		t.Fatalf("alice's own camera: %v", err)
	}
	if err := videos.CheckDeviceOwner(ctx, bob, camera); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("bob asking for alice's camera: %v, want ErrNotFound", err)
	}

	n := persistence.NewVideo{UserID: alice, DeviceID: camera, Bucket: "b", ObjectKey: "k1",
		FileName: "a.mp4", ContentType: "video/mp4"}
	v, err := videos.CreateVideo(ctx, n)
	if err != nil || v.Status != persistence.VideoPending || v.Size != nil || v.UploadedAt != nil {
		t.Fatalf("created %+v, %v; want a pending video without size", v, err)
	}
	if _, err := videos.CreateVideo(ctx, n); !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("same key again: %v, want ErrConflict", err)
	}

	seen := []persistence.SeenObject{{Key: "k1", Size: 42}, {Key: "no-row", Size: 1}}
	if err := videos.MarkUploaded(ctx, "b", seen); err != nil {
		t.Fatal(err)
	}
	got, err := videos.UserVideosByKey(ctx, alice, "b", []string{"k1", "no-row"})
	if err != nil || len(got) != 1 {
		t.Fatalf("alice's videos: %+v, %v; want k1 only", got, err)
	}
	if k1 := got["k1"]; k1.Status != persistence.VideoUploaded || k1.Size == nil || *k1.Size != 42 ||
		k1.UploadedAt == nil {
		t.Fatalf("after MarkUploaded: %+v", k1)
	}
	if other, _ := videos.UserVideosByKey(ctx, bob, "b", []string{"k1"}); len(other) != 0 {
		t.Fatalf("bob sees %+v", other)
	}

	event := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO events (id, user_id, camera_device_id, started_at, video_id)
		VALUES ($1, $2, $3, now(), $4)`, event, alice, camera, v.ID); err != nil {
		t.Fatal(err)
	}
	if had, err := videos.MarkDeleted(ctx, "b", "k1"); !had || err != nil {
		t.Fatalf("delete: %v, %v", had, err)
	}
	var linked *uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT video_id FROM events WHERE id = $1`, event).Scan(&linked); err != nil ||
		linked != nil {
		t.Fatalf("after the delete the motion event still names video %v (%v)", linked, err)
	}
	if had, err := videos.MarkDeleted(ctx, "b", "k1"); had || err != nil {
		t.Fatalf("delete again: %v, %v; want nothing deleted", had, err)
	}
	// Seeing the object again (a late PUT through its URL) does not undo
	// the delete.
	if err := videos.MarkUploaded(ctx, "b", []persistence.SeenObject{{Key: "k1", Size: 7}}); err != nil {
		t.Fatal(err)
	}
	got, err = videos.UserVideosByKey(ctx, alice, "b", []string{"k1"})
	if err != nil || got["k1"].Status != persistence.VideoDeleted {
		t.Fatalf("after delete and MarkUploaded: %+v, %v; want k1 deleted", got, err)
	}
}

func TestCheckDeviceOwnerRefusesADisabledDevice(t *testing.T) {
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	alice, camera := seedDevice(t, pool, "alice@example.com")
	if _, err := pool.Exec(ctx, `UPDATE devices SET status = 'disabled' WHERE id = $1`, camera); err != nil {
		t.Fatal(err)
	}
	err := persistence.NewVideos(pool).CheckDeviceOwner(ctx, alice, camera)
	if !errors.Is(err, persistence.ErrDisabled) {
		t.Fatalf("disabled camera: %v, want ErrDisabled", err)
	}
}

func TestVideoOutlivesItsDevice(t *testing.T) {
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	videos := persistence.NewVideos(pool)
	alice, camera := seedDevice(t, pool, "alice@example.com")
	_, err := videos.CreateVideo(ctx, persistence.NewVideo{UserID: alice, DeviceID: camera,
		Bucket: "b", ObjectKey: "k", FileName: "a.mp4", ContentType: "video/mp4"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM devices WHERE id = $1`, camera); err != nil {
		t.Fatal(err)
	}
	got, err := videos.UserVideosByKey(ctx, alice, "b", []string{"k"})
	if err != nil || got["k"].ObjectKey != "k" || got["k"].DeviceID != nil {
		t.Fatalf("after the device went: %+v, %v; want the row without a device", got, err)
	}
}
