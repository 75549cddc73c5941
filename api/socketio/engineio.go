package socketio

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"time"
)

// Engine.IO v4 packet types, the first byte of every packet.
const (
	eioOpen    = '0'
	eioClose   = '1'
	eioPing    = '2'
	eioPong    = '3'
	eioMessage = '4'
	eioUpgrade = '5'
	eioNoop    = '6'
)

// recordSeparator joins packets in one polling payload (Engine.IO v4).
const recordSeparator = "\x1e"

// Engine.IO's error codes, answered as {"code","message"} with status 400
// by the reference server; clients match on them.
const (
	errTransportUnknown = 0
	errSessionUnknown   = 1
	errBadRequest       = 3
	errForbidden        = 4
	errUnsupported      = 5
)

var eioMessages = map[int]string{
	errTransportUnknown: "Transport unknown",
	errSessionUnknown:   "Session ID unknown",
	errBadRequest:       "Bad request",
	errForbidden:        "Forbidden",
	errUnsupported:      "Unsupported protocol version",
}

// Config tunes the server; zero fields take the defaults.
type Config struct {
	// PingInterval is how often the server pings. Default 25 s, the
	// reference server's.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take before the session is
	// closed. Default 20 s, the reference server's.
	PingTimeout time.Duration
	// MaxPayload bounds one websocket message or one polling body, in
	// bytes. Default 64 KiB.
	MaxPayload int
	// MaxSessions bounds the sessions held in memory; handshakes past it
	// are answered 503. Default 50,000.
	MaxSessions int
	// QueueLimit is how many packets may wait for a client that does not
	// poll or read; past it the session is closed. Default 256.
	QueueLimit int
	// WriteTimeout bounds one websocket write. Default 10 s.
	WriteTimeout time.Duration
	// Logger receives lifecycle at Info and protocol detail at Debug.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.PingInterval == 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = 64 << 10
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 50_000
	}
	if c.QueueLimit == 0 {
		c.QueueLimit = 256
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// newID returns 120 random bits, URL-safe: session and socket ids.
func newID() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
