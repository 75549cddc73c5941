package actors

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// Defaults for Config.
const (
	// DefaultIdleTimeout is how long a device or link actor with nothing
	// live to keep waits for a message before it passivates.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultHeartbeatTTL keeps a device online after an HTTP heartbeat:
	// three missed heartbeats at the mobile app's 30 s interval.
	DefaultHeartbeatTTL = 90 * time.Second
)

// storeTimeout bounds each Postgres call an actor makes, so a slow database
// holds an actor's mailbox for at most this long.
const storeTimeout = 5 * time.Second

// Store is what the actors need from Postgres.
type Store interface {
	LoadDeviceState(ctx context.Context, id persistence.DeviceID) (persistence.DeviceState, error)
	RecordSeen(ctx context.Context, id persistence.DeviceID, at time.Time) error
	RecordHeartbeat(ctx context.Context, id persistence.DeviceID, at time.Time,
		telemetry json.RawMessage) error
	LinkByID(ctx context.Context, id persistence.LinkID) (persistence.Link, error)
}

// Config configures the actor system.
type Config struct {
	Store  Store
	Logger *slog.Logger
	// IdleTimeout and HeartbeatTTL default to DefaultIdleTimeout and
	// DefaultHeartbeatTTL.
	IdleTimeout  time.Duration
	HeartbeatTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// System is Vigil's protoactor actor system with its directory.
type System struct {
	actors *actor.ActorSystem
	dir    *Directory
}

// New starts an actor system.
func New(cfg Config) *System {
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.HeartbeatTTL == 0 {
		cfg.HeartbeatTTL = DefaultHeartbeatTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	protoLog := cfg.Logger.With("component", "protoactor")
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return protoLog
	}))
	s := &System{actors: as}
	s.dir = newDirectory(as.Root, deviceProps(&cfg, s), linkProps(&cfg, s))
	return s
}

// Root is the context from which code outside actors sends and requests.
func (s *System) Root() *actor.RootContext { return s.actors.Root }

// Directory is the one way to reach device and link actors.
func (s *System) Directory() *Directory { return s.dir }

// Shutdown stops the actor system. Sockets should be closed first, so that
// device actors have recorded when their devices were last seen.
func (s *System) Shutdown() { s.actors.Shutdown() }

// Ask sends msg to the actor of kind and id and waits at most timeout for
// its answer. It is for code outside actors only: an actor that waits on
// another can deadlock. A message that reached a passivating actor is sent
// once more, to its fresh activation.
func (s *System) Ask(kind Kind, id string, msg any, timeout time.Duration) (any, error) {
	for attempt := 0; ; attempt++ {
		pid := s.dir.Get(kind, id)
		res, err := s.actors.Root.RequestFuture(pid, msg, timeout).Result()
		if _, lost := res.(*actor.DeadLetterResponse); lost && attempt == 0 {
			continue
		}
		if errors.Is(err, actor.ErrTimeout) || res == nil {
			return nil, ErrUnavailable
		}
		if _, lost := res.(*actor.DeadLetterResponse); lost {
			return nil, ErrUnavailable
		}
		return res, err
	}
}

// ErrUnavailable means an actor did not answer in time.
var ErrUnavailable = errors.New("actor did not answer")
