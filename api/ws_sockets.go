package api

import (
	"context"
	"sync"
	"sync/atomic"
)

// socketSet tracks the open sockets' handlers so that shutdown can close
// them and wait: fasthttp forgets a connection once it is upgraded.
type socketSet struct {
	closing context.Context
	close   context.CancelFunc

	mu sync.Mutex // orders add against closeAll, as a WaitGroup requires
	wg sync.WaitGroup
	// open counts the handlers running: fasthttp closes a socket's
	// connection when its handler returns.
	open atomic.Int64
	// byTransport counts open sockets and sockets ever accepted, for
	// /metrics.
	byTransport [transportCount]struct {
		open     atomic.Int64
		accepted atomic.Uint64
	}
}

// socketTransport is the protocol a socket speaks.
type socketTransport int

const (
	transportWebsocket socketTransport = iota
	transportSocketIO
	transportCount
)

// SocketStats counts the realtime sockets.
type SocketStats struct {
	// Open and Accepted are sockets open now and accepted since start, by
	// transport: "websocket" (/ws) and "socketio" (/socket.io/, whether
	// polling or upgraded).
	Open     map[string]int64
	Accepted map[string]uint64
}

var transportNames = [transportCount]string{"websocket", "socketio"}

// SocketStats returns the realtime socket counts.
func (s *Server) SocketStats() SocketStats {
	st := SocketStats{Open: map[string]int64{}, Accepted: map[string]uint64{}}
	for i, name := range transportNames {
		st.Open[name] = s.sockets.byTransport[i].open.Load()
		st.Accepted[name] = s.sockets.byTransport[i].accepted.Load()
	}
	return st
}

func newSocketSet() *socketSet {
	ctx, cancel := context.WithCancel(context.Background())
	return &socketSet{closing: ctx, close: cancel}
}

// add counts a new socket; it reports false once shutdown has begun.
func (s *socketSet) add(t socketTransport) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Err() != nil {
		return false
	}
	s.wg.Add(1)
	s.open.Add(1)
	s.byTransport[t].open.Add(1)
	s.byTransport[t].accepted.Add(1)
	return true
}

func (s *socketSet) done(t socketTransport) {
	s.open.Add(-1)
	s.byTransport[t].open.Add(-1)
	s.wg.Done()
}

// count returns how many sockets are open.
func (s *socketSet) count() int64 { return s.open.Load() }

// onClose runs f when shutdown begins; the returned func cancels that.
func (s *socketSet) onClose(f func()) (stop func()) {
	cancel := context.AfterFunc(s.closing, f)
	return func() { cancel() }
}

// closeAll begins shutdown and waits until every socket's handler has
// returned, or ctx ends.
func (s *socketSet) closeAll(ctx context.Context) error {
	s.mu.Lock()
	s.close()
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
