package actors

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// gatedCommands is the real command store whose batches wait for the test
// to let each one through, and which shows the test each batch's kinds.
type gatedCommands struct {
	*persistence.Commands
	batches chan []persistence.CommandWriteKind
	release chan struct{}
}

func (g *gatedCommands) ApplyCommandWrites(ctx context.Context,
	writes []persistence.CommandWrite) ([]persistence.CommandWritten, error) {
	kinds := make([]persistence.CommandWriteKind, len(writes))
	for i, w := range writes {
		kinds[i] = w.Kind
	}
	g.batches <- kinds
	<-g.release
	return g.Commands.ApplyCommandWrites(ctx, writes)
}

// TestCameraBatchesWritesAndKeepsItsSocketInOrder: while one delivery
// commits, the next command's delivery waits to form the next batch, and
// an event for the socket waits behind both, so the camera sees frames in
// the order its actor handled them.
func TestCameraBatchesWritesAndKeepsItsSocketInOrder(t *testing.T) {
	pool, _ := pgtest.New(t)
	devices := persistence.NewDevices(pool)
	gate := &gatedCommands{Commands: persistence.NewCommands(pool),
		batches: make(chan []persistence.CommandWriteKind, 8), release: make(chan struct{})}
	sys := New(Config{Store: devices, Commands: gate, Events: persistence.NewEvents(pool),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(sys.Shutdown)
	camera := newDevice(t, pool, devices)
	ctx := context.Background()
	clientID := newClient(t, devices)
	if _, err := pool.Exec(ctx, `INSERT INTO device_links (id, user_id, camera_device_id, client_device_id)
		VALUES ($1, 'u1', $2, $3)`, uuid.New(), camera, clientID); err != nil {
		t.Fatal(err)
	}
	command := func(key string) persistence.Command {
		now := time.Now().UTC()
		c, _, err := gate.CreateCommand(ctx, persistence.NewCommand{UserID: "u1", SourceDeviceID: clientID,
			TargetDeviceID: camera, Type: "take_snapshot", Payload: json.RawMessage(`{}`),
			IdempotencyKey: key, CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first, second := command("first"), command("second")

	conn, got := probe(sys)
	pid := sys.Directory().Get(KindDevice, string(camera))
	sys.Root().Send(pid, &ConnectionOpened{Conn: conn, TokenHash: []byte("hash")})
	sys.Root().Send(pid, &DeliverCommand{Command: first})
	if kinds := <-gate.batches; len(kinds) != 1 || kinds[0] != persistence.WriteDelivered {
		t.Fatalf("first batch %v, want one delivery", kinds)
	}
	// The first batch is held; these arrive while it commits.
	sys.Root().Send(pid, &DeliverCommand{Command: second})
	sys.Root().Send(pid, &DeliverEvent{Event: "stream:requested", Data: []byte(`{}`)})
	presence(t, sys, camera) // the actor has handled both once it answers this

	gate.release <- struct{}{}
	// The second delivery, then frames waiting behind it (the event, and
	// any presence news the socket was due), which need no write.
	kinds := <-gate.batches
	stored := 0
	for _, k := range kinds {
		if k != persistence.WriteNone {
			stored++
		}
	}
	if len(kinds) < 2 || kinds[0] != persistence.WriteDelivered || stored != 1 {
		t.Fatalf("second batch %v, want the second delivery and the frames waiting behind it", kinds)
	}
	gate.release <- struct{}{}

	var order []string
	for len(order) < 3 {
		e := expectMsg[*SendEvent](t, got, 5*time.Second)
		switch e.Event {
		case "command:received":
			var c struct{ ID string }
			if err := json.Unmarshal(e.Data, &c); err != nil {
				t.Fatal(err)
			}
			order = append(order, c.ID)
		case "stream:requested":
			order = append(order, e.Event)
		}
	}
	want := []string{string(first.ID), string(second.ID), "stream:requested"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("socket got %v, want %v", order, want)
		}
	}
	for _, c := range []persistence.Command{first, second} {
		if stored, _ := gate.CommandByID(ctx, c.ID); stored.Status != persistence.CommandDelivered {
			t.Fatalf("command %s stored as %q, want delivered", c.ID, stored.Status)
		}
	}
}
