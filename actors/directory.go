package actors

import (
	"errors"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Kind names a kind of actor that is reached by id.
type Kind string

// The kinds of actor the directory knows.
const (
	KindDevice Kind = "device"
	KindLink   Kind = "link"
	KindStream Kind = "stream"
)

// Supervision of directory actors: a failing actor is restarted in place,
// keeping its PID and mailbox, at most maxRestarts times in restartWindow;
// past that it is stopped and the next message activates a fresh one.
const (
	maxRestarts   = 5
	restartWindow = 10 * time.Second
)

// Directory finds the actor of a kind and id, activating it on demand with
// protoactor's named spawn: the name "kind/id" is unique in the process,
// so two concurrent lookups get the same actor. It holds no live state of
// its own, which is what lets it become protoactor's cluster lookup later.
type Directory struct {
	root  *actor.RootContext
	props map[Kind]*actor.Props // set at construction, read-only after

	// spawning serialises lookups of one name with its spawn. protoactor
	// (v0.0.0-20240822) adds a new process to its registry before it
	// registers the mailbox's dispatcher, so a lookup that finds the name
	// taken could post into a mailbox that cannot schedule yet (a data race
	// seen under -race, and a nil dispatcher at worst). Holding the name's
	// stripe across SpawnNamed makes such a lookup wait until the spawn is
	// whole. It guards no state of its own.
	spawning [64]sync.Mutex
}

func newDirectory(root *actor.RootContext, props map[Kind]*actor.Props) *Directory {
	return &Directory{root: root, props: props}
}

// Get returns the PID of the actor kind/id, spawning it when none runs.
// A kind the directory does not know yields a PID nothing answers at, so
// messages to it end as dead letters.
func (d *Directory) Get(kind Kind, id string) *actor.PID {
	name := string(kind) + "/" + id
	props, ok := d.props[kind]
	if !ok {
		return d.root.ActorSystem().NewLocalPID(name)
	}
	stripe := &d.spawning[fnv32(name)%uint32(len(d.spawning))]
	stripe.Lock()
	pid, err := d.root.SpawnNamed(props, name)
	stripe.Unlock()
	if err != nil && !errors.Is(err, actor.ErrNameExists) {
		return d.root.ActorSystem().NewLocalPID(name)
	}
	return pid
}

// fnv32 is FNV-1a, enough to spread names over the stripes.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// supervision is the strategy of the guardian of directory actors.
func supervision() actor.SupervisorStrategy {
	return actor.NewOneForOneStrategy(maxRestarts, restartWindow, actor.DefaultDecider)
}

// idOf returns the id part of a directory actor's name.
func idOf(ctx actor.Context, kind Kind) string {
	return ctx.Self().Id[len(kind)+1:]
}
