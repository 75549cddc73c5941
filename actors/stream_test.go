package actors

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// newStreamFixture starts an actor system over a fresh database holding a
// camera, a client and a stream the client requested that expires at
// expires.
func newStreamFixture(t *testing.T, expires time.Time) (*System, *persistence.Streams,
	persistence.Stream) {
	t.Helper()
	sys, streams, s, _ := newStreamFixtureWithPool(t, expires)
	return sys, streams, s
}

// newStreamFixtureWithPool is newStreamFixture with the database's pool.
func newStreamFixtureWithPool(t *testing.T, expires time.Time) (*System, *persistence.Streams,
	persistence.Stream, *pgxpool.Pool) {
	t.Helper()
	pool, _ := pgtest.New(t)
	devices, streams := persistence.NewDevices(pool), persistence.NewStreams(pool)
	sys := New(Config{Store: devices, Commands: persistence.NewCommands(pool),
		Events: persistence.NewEvents(pool), Streams: streams,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(sys.Shutdown)
	cam := newDevice(t, pool, devices)
	ctx := context.Background()
	cliID := newClient(t, devices)
	s, err := streams.CreateStream(ctx, persistence.NewStream{UserID: "u1", CameraDeviceID: cam,
		RequesterDeviceID: cliID, MediaMode: MediaModeSFU, CreatedAt: time.Now(),
		RequestExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	return sys, streams, s, pool
}

// streamStatus asks the stream's actor for its session.
func streamStatus(t *testing.T, sys *System, id persistence.StreamID) persistence.Stream {
	t.Helper()
	res, err := sys.Ask(KindStream, string(id), &GetStream{}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return res.(*StreamAnswer).Stream
}

func TestStreamActorCarriesOnFromPostgresAfterItStops(t *testing.T) {
	sys, _, s := newStreamFixture(t, time.Now().Add(time.Hour))
	stop := func() {
		pid := sys.Directory().Get(KindStream, string(s.ID))
		if err := sys.Root().PoisonFuture(pid).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if got := streamStatus(t, sys, s.ID); got.Status != persistence.StreamRequested {
		t.Fatalf("new stream is %s", got.Status)
	}
	stop()
	res, err := sys.Ask(KindStream, string(s.ID), &AcceptStream{DeviceID: s.RequesterDeviceID}, time.Second)
	if r, ok := res.(*StreamRefused); err != nil || !ok || r.Reason != StreamNotCamera {
		t.Fatalf("requester accepting: %#v %v", res, err)
	}
	res, err = sys.Ask(KindStream, string(s.ID), &AcceptStream{DeviceID: s.CameraDeviceID}, time.Second)
	if _, ok := res.(*StreamAnswer); err != nil || !ok {
		t.Fatalf("camera accepting: %#v %v", res, err)
	}
	stop()
	if got := streamStatus(t, sys, s.ID); got.Status != persistence.StreamStreaming || got.StartedAt.IsZero() {
		t.Fatalf("after a restart the stream is %s", got.Status)
	}
}

func TestStreamsLeftOpenByAPreviousProcessEndAtStartUp(t *testing.T) {
	sys, streams, requested := newStreamFixture(t, time.Now().Add(time.Hour))
	ctx := context.Background()
	open := func() persistence.Stream {
		s, err := streams.CreateStream(ctx, persistence.NewStream{UserID: "u1",
			CameraDeviceID: requested.CameraDeviceID, RequesterDeviceID: requested.RequesterDeviceID,
			MediaMode: MediaModeSFU, CreatedAt: time.Now(), RequestExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	streaming, ended := open(), open()
	if _, _, err := streams.MarkStreaming(ctx, streaming.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := streams.EndStream(ctx, ended.ID, EndReasonEnded, "", time.Now()); err != nil {
		t.Fatal(err)
	}

	n, err := sys.EndStreamsLeftOpen(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ended %d streams left open, err %v; want 2", n, err)
	}
	for id, want := range map[persistence.StreamID]string{requested.ID: EndReasonServerRestart,
		streaming.ID: EndReasonServerRestart, ended.ID: EndReasonEnded} {
		got, err := streams.StreamByID(ctx, id)
		if err != nil || got.Status != persistence.StreamEnded || got.EndReason != want ||
			got.EndedAt.IsZero() {
			t.Fatalf("stream %s after start-up: %+v %v; want ended as %s", id, got, err, want)
		}
	}
	// Their actors start from the ended rows: the camera can no longer
	// accept or publish to them.
	res, err := sys.Ask(KindStream, string(requested.ID), &AcceptStream{DeviceID: requested.CameraDeviceID},
		time.Second)
	if r, ok := res.(*StreamRefused); err != nil || !ok || r.Reason != StreamWrongState {
		t.Fatalf("accepting a stream ended at start-up: %#v %v", res, err)
	}
	if n, err := sys.EndStreamsLeftOpen(ctx); err != nil || n != 0 {
		t.Fatalf("a second start-up ended %d streams, err %v", n, err)
	}
}

func TestStopStreamsEndsOpenSessionsAsServerShutdown(t *testing.T) {
	sys, streams, s := newStreamFixture(t, time.Now().Add(time.Hour))
	n, err := sys.StopStreams(context.Background(), time.Second)
	if err != nil || n != 1 {
		t.Fatalf("stopped %d streams, err %v", n, err)
	}
	got, err := streams.StreamByID(context.Background(), s.ID)
	if err != nil || got.Status != persistence.StreamEnded || got.EndReason != EndReasonServerShutdown {
		t.Fatalf("after StopStreams: %+v %v", got, err)
	}
	if n, _ := sys.StopStreams(context.Background(), time.Second); n != 0 {
		t.Fatalf("a second stop found %d open streams", n)
	}
}

// TestStreamWhoseRowIsGoneStopsInsteadOfRetrying: a session deleted with
// its user under a live actor is released the first time the actor tries
// to record its end, not retried forever.
func TestStreamWhoseRowIsGoneStopsInsteadOfRetrying(t *testing.T) {
	sys, _, s, pool := newStreamFixtureWithPool(t, time.Now().Add(time.Hour))
	if got := streamStatus(t, sys, s.ID); got.Status != persistence.StreamRequested {
		t.Fatalf("status %s", got.Status)
	}
	if _, err := pool.Exec(context.Background(), `DELETE FROM stream_sessions WHERE id = $1`, s.ID); err != nil {
		t.Fatal(err)
	}
	res, err := sys.Ask(KindStream, string(s.ID), &EndStream{DeviceID: s.CameraDeviceID,
		Reason: EndReasonUserDeleted}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := res.(*StreamAnswer); !ok || a.Stream.Status != persistence.StreamEnded {
		t.Fatalf("ending a stream whose row is gone answered %#v", res)
	}
	_, running := sys.actors.ProcessRegistry.GetLocal(string(KindStream) + "/" + string(s.ID))
	for deadline := time.Now().Add(5 * time.Second); running && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		_, running = sys.actors.ProcessRegistry.GetLocal(string(KindStream) + "/" + string(s.ID))
	}
	if running {
		t.Fatal("the stream's actor still runs after its row went")
	}
}
