package actors

import (
	"context"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

// A camera's actor records every status change of its commands (delivered,
// acknowledged, rejected, expired, withdrawn) before it acts on it, but it
// does not wait for Postgres in its mailbox: the changes that arrive while
// one batch commits form the next batch, committed in one transaction.
// An idle camera pays one commit per change, as before; a busy one pays one
// per batch, and its mailbox keeps moving while Postgres syncs the log.
// Changes are applied and their results acted on in arrival order.

// maxWriteBatch bounds one batch, so that one slow commit holds at most
// this many answers.
const maxWriteBatch = 256

// writeSeq numbers batches across the process, so that the outcome of a
// batch sent by a failed incarnation of an actor is never taken for the
// batch of the next one.
var writeSeq atomic.Uint64

// pendingWrite is a status change waiting for its batch, with whoever waits
// for its outcome: the sender of an AckCommand, or the socket whose
// command:ack frame asked for it. One with an event is no change but a
// frame for the socket that waits for the changes before it (see send).
type pendingWrite struct {
	write   persistence.CommandWrite
	replyTo *actor.PID
	frame   *FrameReceived

	event string
	data  []byte
}

// needsStore reports whether w waits for Postgres.
func (w pendingWrite) needsStore() bool {
	return w.event == "" && w.write.Kind != persistence.WriteNone
}

// writeBatch is the batch being committed.
type writeBatch struct {
	seq    uint64
	writes []pendingWrite
}

// commandWritesDone is the outcome of a batch, sent by the goroutine that
// committed it to the actor that asked.
type commandWritesDone struct {
	Seq     uint64
	Written []persistence.CommandWritten
	Err     string
}

// queueWrite adds a status change to the next batch and starts it when no
// batch is in flight.
func (a *deviceActor) queueWrite(ctx actor.Context, w pendingWrite) {
	w.write.At = a.cfg.Now().UTC()
	a.writes = append(a.writes, w)
	a.flushWrites(ctx)
}

// flushWrites commits the waiting changes, unless a batch is in flight;
// its outcome calls flushWrites again. What waits at the front without
// needing Postgres is acted on at once.
func (a *deviceActor) flushWrites(ctx actor.Context) {
	for a.writing == nil && len(a.writes) > 0 && !a.writes[0].needsStore() {
		w := a.writes[0]
		a.writes = a.writes[1:]
		a.written(ctx, w, persistence.CommandWritten{}, false)
	}
	if a.writing != nil || len(a.writes) == 0 {
		return
	}
	n := min(len(a.writes), maxWriteBatch)
	batch := &writeBatch{seq: writeSeq.Add(1), writes: a.writes[:n:n]}
	a.writes = a.writes[n:]
	a.writing = batch

	writes := make([]persistence.CommandWrite, n)
	for i, w := range batch.writes {
		writes[i] = w.write
	}
	store, self, root := a.cfg.Commands, ctx.Self(), ctx.ActorSystem().Root
	go func() {
		c, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		done := &commandWritesDone{Seq: batch.seq}
		written, err := store.ApplyCommandWrites(c, writes)
		if err != nil {
			done.Err = err.Error()
		}
		done.Written = written
		root.Send(self, done)
	}()
}

// writesDone acts on the outcome of the batch in flight, in order, then
// starts the next one.
func (a *deviceActor) writesDone(ctx actor.Context, msg *commandWritesDone) {
	if a.writing == nil || a.writing.seq != msg.Seq {
		return
	}
	batch := a.writing
	a.writing = nil
	if msg.Err != "" {
		a.log.Warn("could not record command status changes", "changes", len(batch.writes), "err", msg.Err)
	}
	for i, w := range batch.writes {
		var out persistence.CommandWritten
		if msg.Err == "" {
			out = msg.Written[i]
		}
		a.written(ctx, w, out, msg.Err != "")
	}
	a.flushWrites(ctx)
}

// written acts on one change once Postgres has it, or has failed to take it.
func (a *deviceActor) written(ctx actor.Context, w pendingWrite, out persistence.CommandWritten, failed bool) {
	id := w.write.ID
	if w.event != "" {
		a.sendNow(ctx, w.event, w.data)
		return
	}
	switch w.write.Kind {
	case persistence.WriteNone:
		if h, held := a.commands[id]; held {
			a.sendNow(ctx, "command:received", wire.CommandData(h.cmd))
		}
	case persistence.WriteDelivered:
		a.deliveredWritten(ctx, id, out, failed)
	case persistence.WriteComplete:
		a.answerAck(ctx, w, a.ackWritten(ctx, w.write, out, failed))
	case persistence.WriteExpire:
		a.expireWritten(ctx, id, out, failed)
	case persistence.WriteWithdraw:
		if failed {
			return // still held; its own expiry ends it
		}
		a.release(id)
		if out.Changed {
			a.log.Info("command withdrawn: its source was unlinked", "commandID", id)
			a.notifySource(ctx, out.Command)
		}
	}
}

// answerAck gives the outcome of an ack to whoever sent it.
func (a *deviceActor) answerAck(ctx actor.Context, w pendingWrite, res any) {
	switch {
	case w.frame != nil:
		a.answerFrame(ctx, w.frame, ackProblem(w.write.ID, res))
	case w.replyTo != nil:
		ctx.Send(w.replyTo, res)
	}
}
