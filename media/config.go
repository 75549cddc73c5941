package media

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Defaults for the timings of Config, chosen for one home server.
const (
	// DefaultGatherTimeout bounds how long an answer waits for ICE gathering
	// so that non-trickle WHIP/WHEP clients get every candidate in it. Host
	// candidates gather in milliseconds; the bound only matters with STUN.
	DefaultGatherTimeout = 2 * time.Second

	// DefaultTrackWait bounds how long Subscribe waits for a camera that has
	// answered but whose first RTP packets have not yet arrived.
	DefaultTrackWait = 3 * time.Second

	// DefaultTrackSettle is how long after the camera's first track the room
	// stops waiting for the rest of the tracks its offer announced.
	DefaultTrackSettle = time.Second

	// DefaultKeyframeInterval is the least time between two keyframe
	// requests sent to a camera: an encoder asked more often spends its
	// bit rate on keyframes, and viewers joining together share one. It also
	// bounds a joining viewer's wait: first frame within connect time plus
	// this plus one frame, which keeps it under the 500 ms aim.
	DefaultKeyframeInterval = 300 * time.Millisecond
)

// Config holds the SFU's settings. The first four come from the
// environment (MEDIA_ICE_IPS, MEDIA_UDP_PORT, MEDIA_MAX_PUBLISHERS,
// MEDIA_MAX_SUBSCRIBERS_PER_ROOM); the timings have defaults.
type Config struct {
	// ICEIPs are the addresses offered as host candidates. Addresses of this
	// machine restrict gathering to them (127.0.0.1 offers loopback only);
	// other addresses are announced in place of the machine's own, as for a
	// 1:1 NAT (only the machine's addresses of their families are then
	// used). Empty offers every address of the machine.
	ICEIPs []netip.Addr
	// UDPPort, when not zero, carries all media of all peers on one UDP
	// port per address (ICE UDP mux); zero uses an ephemeral port per peer.
	UDPPort int
	// MaxPublishers bounds the cameras published across every room.
	MaxPublishers int
	// MaxSubscribersPerRoom bounds the viewers of one room.
	MaxSubscribersPerRoom int

	// GatherTimeout bounds the wait for ICE gathering before an answer.
	GatherTimeout time.Duration
	// TrackWait bounds the wait of Subscribe for the camera's tracks.
	TrackWait time.Duration
	// TrackSettle bounds the wait for a camera's remaining tracks.
	TrackSettle time.Duration
	// KeyframeInterval throttles keyframe requests sent to a camera.
	KeyframeInterval time.Duration

	// Logger receives the SFU's logs and pion's; nil discards them.
	Logger *slog.Logger
}

// withDefaults fills unset timings and the logger.
func (c Config) withDefaults() Config {
	if c.GatherTimeout <= 0 {
		c.GatherTimeout = DefaultGatherTimeout
	}
	if c.TrackWait <= 0 {
		c.TrackWait = DefaultTrackWait
	}
	if c.TrackSettle <= 0 {
		c.TrackSettle = DefaultTrackSettle
	}
	if c.KeyframeInterval <= 0 {
		c.KeyframeInterval = DefaultKeyframeInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validate rejects limits and ports that cannot work.
func (c Config) validate() error {
	switch {
	case c.MaxPublishers < 1:
		return fmt.Errorf("%w: MaxPublishers %d, want at least 1", ErrInvalidConfig, c.MaxPublishers)
	case c.MaxSubscribersPerRoom < 1:
		return fmt.Errorf("%w: MaxSubscribersPerRoom %d, want at least 1",
			ErrInvalidConfig, c.MaxSubscribersPerRoom)
	case c.UDPPort < 0 || c.UDPPort > 65535:
		return fmt.Errorf("%w: UDPPort %d, want 0..65535", ErrInvalidConfig, c.UDPPort)
	}
	return nil
}
