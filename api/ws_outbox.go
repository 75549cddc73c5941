package api

import "sync/atomic"

// outboxGuard is a protoactor mailbox middleware that counts the messages
// waiting in a connection actor's mailbox. Past limit it drops the client
// once, by closing its socket: the blocked write then fails, the actor
// stops, and what was queued is discarded. The senders, device actors,
// never wait, so a client that stops reading cannot stall them.
type outboxGuard struct {
	limit   int32
	drop    func()
	pending atomic.Int32
	tripped atomic.Bool
}

func (g *outboxGuard) MailboxStarted() {}

func (g *outboxGuard) MessagePosted(any) {
	if g.pending.Add(1) > g.limit && g.tripped.CompareAndSwap(false, true) {
		g.drop()
	}
}

func (g *outboxGuard) MessageReceived(any) { g.pending.Add(-1) }

func (g *outboxGuard) MailboxEmpty() {}
