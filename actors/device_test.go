package actors

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// panickyStore is the real store, made to panic once on the next heartbeat
// the way a bug in a dependency would.
type panickyStore struct {
	*persistence.Devices
	armed atomic.Bool
}

func (s *panickyStore) RecordHeartbeat(ctx context.Context, id persistence.DeviceID, at time.Time,
	telemetry json.RawMessage) error {
	if s.armed.CompareAndSwap(true, false) {
		panic("injected heartbeat failure")
	}
	return s.Devices.RecordHeartbeat(ctx, id, at, telemetry)
}

// newSystem starts an actor system over a fresh database holding one
// device, and returns both.
func newSystem(t *testing.T, cfg Config) (*System, persistence.DeviceID, *panickyStore) {
	t.Helper()
	pool, _ := pgtest.New(t)
	store := &panickyStore{Devices: persistence.NewDevices(pool)}
	cfg.Store, cfg.Logger = store, slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Commands, cfg.Events = persistence.NewCommands(pool), persistence.NewEvents(pool)
	sys := New(cfg)
	t.Cleanup(sys.Shutdown)
	return sys, newDevice(t, pool, store.Devices), store
}

func newDevice(t *testing.T, pool *pgxpool.Pool, store *persistence.Devices) persistence.DeviceID {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO "user" (id, name, email) VALUES ('u1', 'U', 'u@x.test')`); err != nil {
		t.Fatal(err)
	}
	d, err := store.CreateDevice(ctx, persistence.NewDevice{UserID: "u1", Name: "cam",
		Role: persistence.RoleCamera, TokenHash: []byte("hash")})
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// newClient stores a client device of the user newDevice made.
func newClient(t *testing.T, store *persistence.Devices) persistence.DeviceID {
	t.Helper()
	d, err := store.CreateDevice(context.Background(), persistence.NewDevice{UserID: "u1", Name: "phone",
		Role: persistence.RoleClient, TokenHash: []byte("hash2")})
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// probe is a stand-in connection actor: it forwards what it receives to a
// channel so the test can see it.
func probe(sys *System) (*actor.PID, chan any) {
	got := make(chan any, 64)
	pid := sys.Root().Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch msg := ctx.Message().(type) {
		case *watch:
			ctx.Watch(msg.pid)
		case *actor.Started, *actor.Stopping, *actor.Stopped:
		default:
			got <- msg
		}
	}))
	return pid, got
}

// watch asks a probe to watch pid.
type watch struct{ pid *actor.PID }

func expectMsg[T any](t *testing.T, got chan any, wait time.Duration) T {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case m := <-got:
			if v, ok := m.(T); ok {
				return v
			}
		case <-timeout:
			var zero T
			t.Fatalf("no %T within %v", zero, wait)
			return zero
		}
	}
}

func presence(t *testing.T, sys *System, id persistence.DeviceID) *PresenceReport {
	t.Helper()
	res, err := sys.Ask(KindDevice, string(id), &GetPresence{}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return res.(*PresenceReport)
}

func TestDeviceActorPassivatesWhenIdleAndReloadsFromPostgres(t *testing.T) {
	sys, id, _ := newSystem(t, Config{IdleTimeout: 100 * time.Millisecond,
		HeartbeatTTL: 150 * time.Millisecond})
	obs, got := probe(sys)

	res, err := sys.Ask(KindDevice, string(id), &HeartbeatReceived{Telemetry: []byte(`{}`)}, 5*time.Second)
	if err != nil || !res.(*PresenceReport).Online {
		t.Fatalf("heartbeat answered %#v, %v", res, err)
	}
	seen := res.(*PresenceReport).LastSeenAt
	sys.Root().Send(obs, &watch{pid: sys.Directory().Get(KindDevice, string(id))})

	term := expectMsg[*actor.Terminated](t, got, 3*time.Second)
	if term.Who.Id != "device/"+string(id) {
		t.Fatalf("terminated %v", term.Who)
	}
	r := presence(t, sys, id)
	if r.Online || !r.LastSeenAt.Equal(seen.Truncate(time.Microsecond)) {
		t.Fatalf("reloaded presence %+v, want offline, last seen %v", r, seen)
	}
}

func TestDeviceActorStaysWhileASocketIsOpen(t *testing.T) {
	sys, id, _ := newSystem(t, Config{IdleTimeout: 50 * time.Millisecond})
	conn, got := probe(sys)
	pid := sys.Directory().Get(KindDevice, string(id))
	sys.Root().Send(pid, &ConnectionOpened{Conn: conn, TokenHash: []byte("hash")})
	sys.Root().Send(conn, &watch{pid: pid})

	time.Sleep(400 * time.Millisecond)
	select {
	case m := <-got:
		t.Fatalf("device actor sent %T while its socket was open", m)
	default:
	}
	if !presence(t, sys, id).Online {
		t.Fatal("device with an open socket is offline")
	}
}

func TestDeviceActorRestartsAfterPanicAndKeepsItsSocket(t *testing.T) {
	sys, id, store := newSystem(t, Config{})
	conn, got := probe(sys)
	pid := sys.Directory().Get(KindDevice, string(id))
	sys.Root().Send(pid, &ConnectionOpened{Conn: conn, TokenHash: []byte("hash")})
	sys.Root().Send(conn, &watch{pid: pid})
	if !presence(t, sys, id).Online {
		t.Fatal("not online after the socket opened")
	}

	store.armed.Store(true)
	if _, err := sys.Ask(KindDevice, string(id), &HeartbeatReceived{}, 300*time.Millisecond); err == nil {
		t.Fatal("the panicking heartbeat was answered")
	}
	expectMsg[*DeviceRestarted](t, got, 2*time.Second)
	if p := presence(t, sys, id); p.Online {
		t.Fatal("the new incarnation kept live state it cannot have")
	}

	sys.Root().Send(pid, &ConnectionOpened{Conn: conn, TokenHash: []byte("hash")})
	if !presence(t, sys, id).Online {
		t.Fatal("the socket could not open itself again after the restart")
	}
	sys.Root().Send(pid, &DeliverEvent{Event: "ping", Data: []byte(`{}`)})
	if ev := expectMsg[*SendEvent](t, got, 2*time.Second); ev.Event != "ping" {
		t.Fatalf("event %+v", ev)
	}
	select {
	case m := <-got:
		if _, ok := m.(*actor.Terminated); ok {
			t.Fatal("the device actor was stopped instead of restarted")
		}
	default:
	}
}
