package media

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/webrtc/v4"
)

// SFU is the selective forwarding unit: it owns the pion API shared by every
// peer connection and the publisher count across rooms. Rooms are created
// and closed by their owners (one stream session actor each); the SFU keeps
// no list of them.
type SFU struct {
	cfg Config
	log *slog.Logger
	eng *engine

	mu         sync.Mutex // guards publishers
	publishers int

	totals totals
}

// New builds an SFU. With cfg.UDPPort set it listens on that port at once,
// so a port in use is reported here rather than at the first camera.
func New(cfg Config) (*SFU, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	eng, err := newEngine(cfg, pionLoggerFactory{log: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return &SFU{cfg: cfg, log: cfg.Logger, eng: eng}, nil
}

// Close releases the shared UDP port. Rooms must be closed first; their
// peer connections stop working once the port is gone.
func (s *SFU) Close() error {
	return s.eng.close()
}

// Publishers reports how many cameras are published across all rooms.
func (s *SFU) Publishers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publishers
}

// acquirePublisher takes one of the MaxPublishers slots.
func (s *SFU) acquirePublisher(roomID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.publishers >= s.cfg.MaxPublishers {
		return fmt.Errorf("%w: room %q: limit %d", ErrTooManyPublishers, roomID, s.cfg.MaxPublishers)
	}
	s.publishers++
	return nil
}

// releasePublisher gives a slot back; each acquire is released once.
func (s *SFU) releasePublisher() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publishers--
}

// newPeerConnection makes a peer connection from the shared API. ICE
// servers are not needed on the server side: it has the addresses it
// announces.
func (s *SFU) newPeerConnection() (*webrtc.PeerConnection, error) {
	pc, err := s.eng.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	return pc, nil
}
