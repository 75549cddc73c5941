package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

func TestICEServersMakesRESTCredentials(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	cfg := TURNConfig{
		URLs:   []string{"stun:turn.example.com:3478", "turn:turn.example.com:3478?transport=udp"},
		Secret: "s3cret", TTL: time.Hour,
	}
	servers, expires := ICEServers(cfg, "device-1", now)
	if len(servers) != 2 {
		t.Fatalf("servers = %+v, want a STUN and a TURN entry", servers)
	}
	if servers[0].Username != "" {
		t.Errorf("STUN entry carries username %q", servers[0].Username)
	}
	want := now.Add(time.Hour)
	if !expires.Equal(want) {
		t.Errorf("expires = %s, want %s", expires, want)
	}
	// Known answer, computed apart from this code:
	// printf '1796382000:device-1' | openssl dgst -sha1 -hmac s3cret -binary | base64
	if got := servers[1].Username; got != "1796382000:device-1" {
		t.Errorf("username = %q", got)
	}
	if got := servers[1].Credential; got != "V12X0BR0XYLlTIdnyJzkLPR8F6E=" {
		t.Errorf("credential = %v", got)
	}
}

func TestICEServersStaticAndEmpty(t *testing.T) {
	if s, _ := ICEServers(TURNConfig{}, "d", time.Now()); s != nil {
		t.Fatalf("no URLs gave %+v", s)
	}
	s, exp := ICEServers(TURNConfig{URLs: []string{"turns:t.example.com"}, Username: "u",
		Credential: "c"}, "d", time.Now())
	if len(s) != 1 || s[0].Username != "u" || s[0].Credential != "c" || !exp.IsZero() {
		t.Fatalf("static credentials: %+v, expiry %s", s, exp)
	}
}

func TestTURNServerAllocatesWithRESTCredentialsOnly(t *testing.T) {
	srv, err := StartTURNServer(TURNServerConfig{ListenAddr: "127.0.0.1:0", Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })

	good, goodCred := TURNRESTCredential("s3cret", "device-1", time.Now().Add(time.Minute))
	// pion's own generator is an independent check of the format.
	pionUser, pionCred, err := turn.GenerateLongTermTURNRESTCredentials("s3cret", "device-2", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	expired, expiredCred := TURNRESTCredential("s3cret", "device-1", time.Now().Add(-time.Minute))
	cases := []struct {
		name, user, pass string
		ok               bool
	}{
		{"valid", good, goodCred, true},
		{"made by pion's generator", pionUser, pionCred, true},
		{"wrong secret", good, restCredential("other", good), false},
		{"expired", expired, expiredCred, false},
		{"not a REST username", "alice", "pw", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := allocate(t, srv.Addr().String(), tc.user, tc.pass)
			if (err == nil) != tc.ok {
				t.Fatalf("allocate: err = %v, want success %v", err, tc.ok)
			}
		})
	}
}

// allocate asks the TURN server for a relay with the credentials.
func allocate(t *testing.T, server, user, pass string) error {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: server, Username: user, Password: pass, Realm: DefaultTURNRealm,
		Conn: conn, RTO: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := c.Allocate()
	if err != nil {
		return err
	}
	defer relay.Close()
	if a, ok := netip.AddrFromSlice(relay.LocalAddr().(*net.UDPAddr).IP); !ok || !a.Unmap().IsLoopback() {
		t.Errorf("relay address %s is not on loopback", relay.LocalAddr())
	}
	return nil
}
