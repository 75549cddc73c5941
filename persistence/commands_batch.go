package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CommandWriteKind says which status change a CommandWrite asks for.
type CommandWriteKind uint8

// The status changes a camera's actor makes. WriteNone changes nothing; it
// keeps a place in the order of a batch for a command sent again.
const (
	WriteNone CommandWriteKind = iota
	WriteDelivered
	WriteComplete
	WriteExpire
	WriteWithdraw
)

// CommandWrite is one conditional status change of a command, as the
// camera's actor asks for it. Target, Status and Reason are for
// WriteComplete; Reason also for WriteWithdraw.
type CommandWrite struct {
	Kind   CommandWriteKind
	ID     CommandID
	Target DeviceID
	Status CommandStatus
	Reason string
	At     time.Time
}

// CommandWritten is the outcome of a CommandWrite: the row after the
// change, when it changed.
type CommandWritten struct {
	Command Command
	Changed bool
}

// ApplyCommandWrites makes the status changes of writes in one
// transaction and one round trip, in order, and returns their outcomes in
// the same order. A camera's actor gathers the changes that arrive while
// its previous batch commits, so a busy camera pays one commit per batch
// rather than one per change. Either every change is made or none is.
func (s *Commands) ApplyCommandWrites(ctx context.Context, writes []CommandWrite) ([]CommandWritten, error) {
	b := &pgx.Batch{}
	for _, w := range writes {
		switch w.Kind {
		case WriteDelivered:
			b.Queue(markDeliveredSQL, w.ID, w.At)
		case WriteComplete:
			b.Queue(completeSQL, w.ID, w.Target, w.Status, nullIfEmpty(w.Reason), w.At)
		case WriteExpire:
			b.Queue(expireSQL, w.ID, w.At)
		case WriteWithdraw:
			b.Queue(withdrawSQL, w.ID, w.At, w.Reason)
		}
	}
	out := make([]CommandWritten, len(writes))
	if b.Len() == 0 {
		return out, nil
	}
	// pgx sends the batch with one Sync, so Postgres runs it as one
	// implicit transaction: one commit for all of it.
	br := s.pool.SendBatch(ctx, b)
	for i, w := range writes {
		if w.Kind == WriteNone {
			continue
		}
		c, err := scanCommand(br.QueryRow())
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			br.Close()
			return nil, fmt.Errorf("update command %s: %w", w.ID, err)
		default:
			out[i] = CommandWritten{Command: c, Changed: true}
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("update commands: %w", err)
	}
	return out, nil
}
