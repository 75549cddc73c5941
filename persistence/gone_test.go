package persistence_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// wantGone fails unless err is ErrGone naming column, and not a 500's
// bare Postgres error.
func wantGone(t *testing.T, what string, err error, column string) {
	t.Helper()
	var g *persistence.GoneError
	if !errors.Is(err, persistence.ErrGone) || !errors.As(err, &g) || g.Column != column {
		t.Fatalf("%s: %v, want ErrGone on %s", what, err, column)
	}
}

// TestInsertsNamingDeletedRows checks each insert a client triggers: when
// the user or a device it names is gone (as when delete-user commits
// between a route's checks and its insert) the foreign key's refusal is
// ErrGone naming the column, which the API answers 401/404.
func TestInsertsNamingDeletedRows(t *testing.T) {
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	now := time.Now()
	user, camera := seedDevice(t, pool, "gone@example.com")
	cam := persistence.DeviceID(camera.String())
	ghostUser := persistence.UserID(uuid.NewString())
	ghostDevice := persistence.DeviceID(uuid.NewString())

	devices := persistence.NewDevices(pool)
	_, err := devices.CreateDevice(ctx, persistence.NewDevice{UserID: ghostUser, Name: "x",
		Role: persistence.RoleClient, TokenHash: []byte("h")})
	wantGone(t, "device of a deleted user", err, "user_id")

	client, err := devices.CreateDevice(ctx, persistence.NewDevice{UserID: user, Name: "c",
		Role: persistence.RoleClient, TokenHash: []byte("c")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = devices.CreateLink(ctx, ghostUser, cam, client.ID)
	wantGone(t, "link of a deleted user", err, "user_id")
	if _, err := devices.CreateLink(ctx, user, cam, client.ID); err != nil {
		t.Fatal(err)
	}

	_, _, err = persistence.NewCommands(pool).CreateCommand(ctx, persistence.NewCommand{
		UserID: ghostUser, SourceDeviceID: client.ID, TargetDeviceID: cam, Type: "ping",
		Payload: []byte(`{}`), CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
	wantGone(t, "command of a deleted user", err, "user_id")

	_, _, err = persistence.NewEvents(pool).StartEvent(ctx, persistence.NewEvent{UserID: user,
		CameraDeviceID: ghostDevice, StartedAt: now})
	wantGone(t, "event of a deleted camera", err, "camera_device_id")

	streams := persistence.NewStreams(pool)
	_, err = streams.CreateStream(ctx, persistence.NewStream{UserID: user, CameraDeviceID: cam,
		RequesterDeviceID: ghostDevice, MediaMode: "single_server_sfu", CreatedAt: now,
		RequestExpiresAt: now.Add(time.Minute)})
	wantGone(t, "stream for a deleted requester", err, "requester_device_id")

	videos := persistence.NewVideos(pool)
	_, err = videos.CreateVideo(ctx, persistence.NewVideo{UserID: user,
		DeviceID: uuid.MustParse(string(ghostDevice)), Bucket: "b", ObjectKey: "k",
		FileName: "a.mp4", ContentType: "video/mp4"})
	wantGone(t, "video of a deleted device", err, "device_id")
	_, err = videos.CreateVideo(ctx, persistence.NewVideo{UserID: ghostUser, DeviceID: camera,
		Bucket: "b", ObjectKey: "k2", FileName: "a.mp4", ContentType: "video/mp4"})
	wantGone(t, "video of a deleted user", err, "user_id")

	_, err = persistence.NewAccounts(pool).CreateSession(ctx, ghostUser,
		persistence.NewSession{Token: "t", ExpiresAt: now.Add(time.Hour)})
	wantGone(t, "session of a deleted user", err, "userId")

	// A refusal for another reason stays what it was.
	_, err = devices.CreateLink(ctx, user, cam, client.ID)
	if !errors.Is(err, persistence.ErrConflict) || errors.Is(err, persistence.ErrGone) {
		t.Fatalf("link again: %v, want ErrConflict only", err)
	}
}
