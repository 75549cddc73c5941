package actors

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/persistence"
)

// countedKinds are the kinds Stats reports. The API's connection actors,
// one per socket, are left out: counting would give each an extra
// context allocation, and the API's socket counts say as much.
var countedKinds = []Kind{KindDevice, KindLink, KindStream}

// Stats is a snapshot of what the actors have done since the system
// started, for /metrics. Postgres stays the source of truth for what is
// stored; these count what happened in this process.
type Stats struct {
	// Actors running now, and messages they have received (lifecycle
	// messages included), by kind.
	Actors   map[Kind]int64
	Messages map[Kind]uint64
	// Commands counts status changes, queued (created) included.
	Commands map[string]uint64
	// Motion counts motion:detected and motion:ended fan-outs: one per
	// event, whatever the number of linked clients.
	Motion map[string]uint64
	// StreamsEnded counts stream sessions ended, by end reason.
	StreamsEnded map[string]uint64
}

// stats holds the counters behind Stats. Its maps are filled in
// newStats and only read after, so concurrent adds need nothing but the
// atomics.
type stats struct {
	actors       map[Kind]*atomic.Int64
	messages     map[Kind]*atomic.Uint64
	commands     labelled
	motion       labelled
	streamsEnded labelled
}

func newStats() *stats {
	s := &stats{actors: map[Kind]*atomic.Int64{}, messages: map[Kind]*atomic.Uint64{},
		commands: newLabelled(string(persistence.CommandQueued),
			string(persistence.CommandDelivered), string(persistence.CommandAcknowledged),
			string(persistence.CommandRejected), string(persistence.CommandExpired)),
		motion: newLabelled(EventMotionDetected, EventMotionEnded),
		streamsEnded: newLabelled(EndReasonEnded, EndReasonRejected, EndReasonTimedOut,
			EndReasonCameraOffline, EndReasonRequesterOffline, EndReasonCameraLeft,
			EndReasonServerShutdown, EndReasonServerRestart, EndReasonCameraDisabled,
			EndReasonRequesterDisabled, EndReasonRequesterUnlinked, EndReasonUserDeleted),
	}
	for _, k := range countedKinds {
		s.actors[k], s.messages[k] = new(atomic.Int64), new(atomic.Uint64)
	}
	return s
}

// counting is protoactor receiver middleware that counts an actor kind's
// messages and, from its lifecycle messages, how many run. A restart
// delivers Restarting and then Started to the same actor, so Restarting
// takes back the count Started will add again.
func (s *stats) counting(kind Kind) actor.ReceiverMiddleware {
	running, received := s.actors[kind], s.messages[kind]
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			received.Add(1)
			switch env.Message.(type) {
			case *actor.Started:
				running.Add(1)
			case *actor.Stopped, *actor.Restarting:
				running.Add(-1)
			}
			next(c, env)
		}
	}
}

func (s *stats) snapshot() Stats {
	out := Stats{Actors: map[Kind]int64{}, Messages: map[Kind]uint64{},
		Commands: s.commands.snapshot(), Motion: s.motion.snapshot(),
		StreamsEnded: s.streamsEnded.snapshot()}
	for _, k := range countedKinds {
		out.Actors[k], out.Messages[k] = s.actors[k].Load(), s.messages[k].Load()
	}
	return out
}

// labelled counts by a label drawn from a fixed set; a value outside it
// counts as "other", so a new status cannot grow the map at run time.
type labelled map[string]*atomic.Uint64

func newLabelled(labels ...string) labelled {
	l := labelled{"other": new(atomic.Uint64)}
	for _, v := range labels {
		l[v] = new(atomic.Uint64)
	}
	return l
}

func (l labelled) add(label string) {
	c, ok := l[label]
	if !ok {
		c = l["other"]
	}
	c.Add(1)
}

func (l labelled) snapshot() map[string]uint64 {
	out := make(map[string]uint64, len(l))
	for k, v := range l {
		out[k] = v.Load()
	}
	return out
}

// Stats returns what the actors have counted so far.
func (s *System) Stats() Stats { return s.stats.snapshot() }

// Counted makes props count their actors' messages and lifecycle in
// Stats under kind, which must be one of the kinds Stats reports.
func (s *System) Counted(kind Kind, props *actor.Props) *actor.Props {
	if _, ok := s.stats.actors[kind]; !ok {
		return props
	}
	return props.Configure(actor.WithReceiverMiddleware(s.stats.counting(kind)))
}
