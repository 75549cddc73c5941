package actors

import (
	"errors"
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
	pid, err := d.root.SpawnNamed(props, name)
	if err != nil && !errors.Is(err, actor.ErrNameExists) {
		return d.root.ActorSystem().NewLocalPID(name)
	}
	return pid
}

// supervision is the strategy of the guardian of directory actors.
func supervision() actor.SupervisorStrategy {
	return actor.NewOneForOneStrategy(maxRestarts, restartWindow, actor.DefaultDecider)
}

// idOf returns the id part of a directory actor's name.
func idOf(ctx actor.Context, kind Kind) string {
	return ctx.Self().Id[len(kind)+1:]
}
