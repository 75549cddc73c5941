package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// TestServeThatCannotListenLeavesLiveStreamsAlone: a second `vigil serve`
// on the same database whose port is taken must fail before it ends, as
// left open by a crash, the streams the first process is serving.
func TestServeThatCannotListenLeavesLiveStreamsAlone(t *testing.T) {
	ctx := context.Background()
	pool, dbURL := pgtest.New(t)
	user, _, err := persistence.NewAccounts(pool).CreateUser(ctx, "T", "live@example.com", "hash",
		persistence.NewSession{Token: "live", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	devices := persistence.NewDevices(pool)
	cam, err := devices.CreateDevice(ctx, persistence.NewDevice{UserID: user.ID, Name: "cam",
		Role: persistence.RoleCamera, TokenHash: []byte("h1")})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := devices.CreateDevice(ctx, persistence.NewDevice{UserID: user.ID, Name: "phone",
		Role: persistence.RoleClient, TokenHash: []byte("h2")})
	if err != nil {
		t.Fatal(err)
	}
	streams := persistence.NewStreams(pool)
	s, err := streams.CreateStream(ctx, persistence.NewStream{UserID: user.ID, CameraDeviceID: cam.ID,
		RequesterDeviceID: cli.ID, MediaMode: actors.MediaModeSFU, CreatedAt: time.Now(),
		RequestExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := streams.MarkStreaming(ctx, s.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for k, v := range map[string]string{
		"DATABASE_URL": dbURL, "BETTER_AUTH_SECRET": "serve-test-secret-0123456789abcdef0123",
		"PORT": strconv.Itoa(taken.Addr().(*net.TCPAddr).Port), "VIGIL_LISTEN_HOST": "127.0.0.1",
		"LOG_LEVEL": "error", "VIGIL_ENV": "development", "MINIO_ENDPOINT": "",
	} {
		t.Setenv(k, v)
	}
	err = run(ctx, []string{"serve"})
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("serve on a taken port: %v, want a listen error", err)
	}
	got, err := streams.StreamByID(ctx, s.ID)
	if err != nil || got.Status != persistence.StreamStreaming {
		t.Fatalf("after the failed start the stream is %q (%v), want streaming", got.Status, err)
	}
}
