package actors

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/media"
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
	// DefaultStreamRequestTimeout is how long a stream request waits for
	// the camera to accept (STREAM_REQUEST_TIMEOUT): a phone woken by a
	// push notification needs tens of seconds to start its camera.
	DefaultStreamRequestTimeout = 60 * time.Second
	// DefaultMotionOpenTimeout is how long a camera may stay offline with
	// motion open before Vigil closes its events: long enough to ride out
	// a phone switching networks.
	DefaultMotionOpenTimeout = 5 * time.Minute
	// DefaultStreamOfflineGrace is how long an open stream waits for its
	// camera or requester to come back online (STREAM_OFFLINE_GRACE): a
	// phone's socket drops when it moves from Wi-Fi to mobile data and is
	// back within seconds, while its media, on its own peer connection,
	// goes on or fails by itself.
	DefaultStreamOfflineGrace = 30 * time.Second
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

// CommandStore is what camera actors need to deliver, answer and expire
// commands. Every change is conditional and reports whether it happened.
type CommandStore interface {
	PendingCommands(ctx context.Context, target persistence.DeviceID) ([]persistence.Command, error)
	ApplyCommandWrites(ctx context.Context, writes []persistence.CommandWrite) ([]persistence.CommandWritten, error)
	CommandByID(ctx context.Context, id persistence.CommandID) (persistence.Command, error)
	CamerasWithWork(ctx context.Context) ([]persistence.DeviceID, error)
}

// EventStore is what camera actors need to record motion.
type EventStore interface {
	StartEvent(ctx context.Context, n persistence.NewEvent) (persistence.Event, bool, error)
	EndEvent(ctx context.Context, camera persistence.DeviceID, id persistence.EventID,
		end persistence.EventEnd) (persistence.Event, bool, error)
	OpenEvents(ctx context.Context, camera persistence.DeviceID) ([]persistence.EventID, error)
	CloseOpenEvents(ctx context.Context, camera persistence.DeviceID, at time.Time,
		reason string) ([]persistence.Event, error)
}

// StreamStore is what stream session actors need from Postgres. Every
// change is conditional and reports whether it happened.
type StreamStore interface {
	StreamByID(ctx context.Context, id persistence.StreamID) (persistence.Stream, error)
	MarkStreaming(ctx context.Context, id persistence.StreamID,
		at time.Time) (persistence.Stream, bool, error)
	EndStream(ctx context.Context, id persistence.StreamID, reason string, by persistence.DeviceID,
		at time.Time) (persistence.Stream, bool, error)
	OpenStreams(ctx context.Context) ([]persistence.StreamID, error)
	EndOpenStreams(ctx context.Context, reason string, at time.Time) ([]persistence.Stream, error)
}

// Config configures the actor system.
type Config struct {
	Store    Store
	Commands CommandStore
	Events   EventStore
	Logger   *slog.Logger
	// IdleTimeout and HeartbeatTTL default to DefaultIdleTimeout and
	// DefaultHeartbeatTTL.
	IdleTimeout  time.Duration
	HeartbeatTTL time.Duration
	// MotionOpenTimeout bounds how long an offline camera's motion stays
	// open; default DefaultMotionOpenTimeout.
	MotionOpenTimeout time.Duration
	// StreamOfflineGrace is how long a stream waits for an offline camera
	// or requester before it ends; default DefaultStreamOfflineGrace.
	StreamOfflineGrace time.Duration
	// Streams stores stream sessions; nil turns stream actors off (every
	// request to one is refused as not found).
	Streams StreamStore
	// SFU is the media plane stream actors open rooms on; nil means there
	// is none (MEDIA_MODE=legacy or MEDIA_PROVIDER=mock).
	SFU *media.SFU
	// Recording records SFU streams; nil records nothing.
	Recording *RecordingConfig
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// System is Vigil's protoactor actor system with its directory.
type System struct {
	actors *actor.ActorSystem
	dir    *Directory
	cfg    *Config // read-only after New
	stats  *stats
	stop   sync.Once
}

// New starts an actor system.
func New(cfg Config) *System {
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.HeartbeatTTL == 0 {
		cfg.HeartbeatTTL = DefaultHeartbeatTTL
	}
	if cfg.MotionOpenTimeout == 0 {
		cfg.MotionOpenTimeout = DefaultMotionOpenTimeout
	}
	if cfg.StreamOfflineGrace == 0 {
		cfg.StreamOfflineGrace = DefaultStreamOfflineGrace
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	protoLog := cfg.Logger.With("component", "protoactor")
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return protoLog
	}))
	s := &System{actors: as, cfg: &cfg, stats: newStats()}
	s.dir = newDirectory(as.Root, map[Kind]*actor.Props{
		KindDevice: s.Counted(KindDevice, deviceProps(&cfg, s)),
		KindLink:   s.Counted(KindLink, linkProps(&cfg, s)),
		KindStream: s.Counted(KindStream, streamProps(&cfg, s)),
	})
	return s
}

// Root is the context from which code outside actors sends and requests.
func (s *System) Root() *actor.RootContext { return s.actors.Root }

// Directory is the one way to reach device, link and stream actors.
func (s *System) Directory() *Directory { return s.dir }

// Shutdown stops the actor system. Sockets should be closed first, so that
// device actors have recorded when their devices were last seen.
// Calling it again does nothing: protoactor's own Shutdown may run once.
func (s *System) Shutdown() { s.stop.Do(s.actors.Shutdown) }

// Recover activates the actors of cameras that Postgres says have pending
// commands or open motion, so that after a restart their commands expire
// and their motion closes on time even if the camera never reconnects.
// Delivery itself waits for the camera's socket.
func (s *System) Recover(ctx context.Context) (int, error) {
	ids, err := s.cfg.Commands.CamerasWithWork(ctx)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		s.actors.Root.Send(s.dir.Get(KindDevice, string(id)), &ResumeWork{})
	}
	return len(ids), nil
}

// EndStreamsLeftOpen ends, as server_restart, the sessions a previous
// process left open: it crashed or was killed before StopStreams ran.
// Their peer connections, rooms and sockets died with it, so none can go
// on; a client that still wants to watch requests a new stream. Call it at
// start-up, before serving: no one is told, since every socket went with
// the old process; GET /streams/me/list shows the reason.
//
// It assumes one process serves every session. In a cluster, "not ended"
// would not mean "abandoned": each session would need its owning node and
// a lease renewed by that node in stream_sessions, and start-up (or any
// node, periodically) would end only sessions whose owner's lease lapsed.
func (s *System) EndStreamsLeftOpen(ctx context.Context) (int, error) {
	if s.cfg.Streams == nil {
		return 0, nil
	}
	ended, err := s.cfg.Streams.EndOpenStreams(ctx, EndReasonServerRestart, s.cfg.Now().UTC())
	if err != nil {
		return 0, err
	}
	for range ended {
		s.stats.streamsEnded.add(EndReasonServerRestart)
	}
	return len(ended), nil
}

// StopStreams ends the open sessions (server_shutdown) and closes their
// rooms, each within timeout. Call it while sockets are still open, so
// participants hear why, and before the SFU closes: protoactor's Shutdown
// does not stop actors, so peer connections would otherwise outlive it.
// It reports how many open sessions it reached.
func (s *System) StopStreams(ctx context.Context, timeout time.Duration) (int, error) {
	if s.cfg.Streams == nil {
		return 0, nil
	}
	ids, err := s.cfg.Streams.OpenStreams(ctx)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if _, err := s.Ask(KindStream, string(id), &ServerStopping{}, timeout); err != nil {
			s.cfg.Logger.Warn("stream did not stop", "streamID", id, "err", err)
		}
	}
	return len(ids), nil
}

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
