package media

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/turn/v5"
)

// DefaultTURNRealm is the realm of the embedded TURN server when none is
// set (RFC 8489 §9.2: any string the server and its clients agree on).
const DefaultTURNRealm = "vigil"

// TURNServerConfig configures the embedded TURN server.
type TURNServerConfig struct {
	// ListenAddr is the UDP address it listens on, e.g. "127.0.0.1:3478";
	// port 0 picks a free port (see TURNServer.Addr).
	ListenAddr string
	// RelayIP is the address relayed candidates carry; unset, the
	// listening address is used (it must then not be 0.0.0.0).
	RelayIP netip.Addr
	// Realm is the TURN realm; empty means DefaultTURNRealm.
	Realm string
	// Secret is the TURN REST shared secret (TURN_SECRET) that credentials
	// from ICEServers are checked against.
	Secret string
	// Logger receives pion's TURN logs; nil discards them.
	Logger *slog.Logger
}

// TURNServer is an embedded pion TURN server that accepts TURN REST
// credentials, for deployments without coturn.
type TURNServer struct {
	server *turn.Server
	conn   net.PacketConn
}

// StartTURNServer listens and starts serving allocations.
func StartTURNServer(cfg TURNServerConfig) (*TURNServer, error) {
	if cfg.Secret == "" {
		return nil, fmt.Errorf("%w: the TURN server needs a shared secret", ErrInvalidConfig)
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultTURNRealm
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	conn, err := net.ListenPacket("udp4", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("turn listen on %q: %w", cfg.ListenAddr, err)
	}
	relayIP, err := relayAddress(cfg.RelayIP, conn.LocalAddr())
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	server, err := turn.NewServer(turn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   restAuthHandler(cfg.Secret, cfg.Realm, time.Now, cfg.Logger),
		LoggerFactory: pionLoggerFactory{log: cfg.Logger},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
				RelayAddress: relayIP, Address: relayIP.String(),
			},
		}},
	})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("start turn server: %w", err)
	}
	return &TURNServer{server: server, conn: conn}, nil
}

// Addr is the address the server listens on.
func (s *TURNServer) Addr() net.Addr { return s.conn.LocalAddr() }

// Close stops the server and its allocations.
func (s *TURNServer) Close() error { return s.server.Close() }

// relayAddress picks the IP relays are announced at.
func relayAddress(ip netip.Addr, listen net.Addr) (net.IP, error) {
	if ip.IsValid() {
		return net.IP(ip.AsSlice()), nil
	}
	udp, ok := listen.(*net.UDPAddr)
	if !ok || udp.IP.IsUnspecified() {
		return nil, fmt.Errorf("%w: TURN relay address needed when listening on %s",
			ErrInvalidConfig, listen)
	}
	return udp.IP, nil
}

// restAuthHandler accepts TURN REST usernames that have not expired and
// derives their long-term key (RFC 8489 §9.2.2) from the shared secret.
func restAuthHandler(secret, realm string, now func() time.Time, log *slog.Logger) turn.AuthHandler {
	return func(ra *turn.RequestAttributes) (string, []byte, bool) {
		expires, ok := restUsernameExpiry(ra.Username)
		if !ok || !now().Before(expires) {
			log.Debug("turn credential refused", "remoteAddr", ra.SrcAddr.String())
			return "", nil, false
		}
		key := turn.GenerateAuthKey(ra.Username, realm, restCredential(secret, ra.Username))
		return ra.Username, key, true
	}
}
