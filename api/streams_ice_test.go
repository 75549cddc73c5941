package api

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pion/ice/v4"

	"github.com/vigil-oss/vigil/media"
)

// candidateAddrs returns the address of each candidate line of an SDP.
func candidateAddrs(t *testing.T, sdp string) []string {
	t.Helper()
	var out []string
	for _, line := range candidatesOf(sdp) {
		c, err := ice.UnmarshalCandidate(line)
		if err != nil {
			t.Fatalf("candidate %q: %v", line, err)
		}
		out = append(out, c.Address())
	}
	return out
}

// withoutCandidatesAt drops the candidate lines naming addr, so a test
// peer never sends a connectivity check to an address off this machine.
func withoutCandidatesAt(sdp, addr string) string {
	var out []string
	for _, line := range strings.Split(sdp, "\r\n") {
		if strings.HasPrefix(line, "a=candidate:") && strings.Contains(line, " "+addr+" ") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\r\n")
}

func TestMediaICEIPsPutTheNATAddressInTheAnswers(t *testing.T) {
	// 203.0.113.7 is a documentation address (RFC 5737): it stands for the
	// router's public address in a 1:1 NAT. No peer here ever sends to it.
	const public = "203.0.113.7"
	for name, tc := range map[string]struct {
		ips []string
		// want are the addresses the answers' candidates must carry, all
		// of them and no other.
		want []string
	}{
		"public address only: it replaces the machine's": {ips: []string{public},
			want: []string{public}},
		"with a local address: announced beside it": {ips: []string{"127.0.0.1", public},
			want: []string{"127.0.0.1", public}},
	} {
		t.Run(name, func(t *testing.T) {
			e, _ := newStreamEnv(t, func(c *media.Config) {
				c.ICEIPs = nil
				for _, ip := range tc.ips {
					c.ICEIPs = append(c.ICEIPs, netip.MustParseAddr(ip))
				}
			})
			p := streamSetup(t, e)
			s := e.requestStream(p.cli, p.cam)
			cam := newFakeCamera(t)
			pub := decodeAs[sdpAnswer](t, e.do("POST", streamPath(s, "/sfu/publish-transport"),
				map[string]string{"sdp": localOffer(t, cam.pc)}, p.cam.bearer()...), http.StatusOK)
			expectAddrs(t, "publish answer", candidateAddrs(t, pub.SDP), tc.want)
			if len(tc.want) == 1 {
				return // the camera could not reach the SFU: nothing to subscribe to
			}

			// Over loopback the stream still flows, and a viewer's answer
			// carries the public address too.
			applyAnswer(t, cam.pc, withoutCandidatesAt(pub.SDP, public))
			cam.start()
			v := newFakeViewer(t)
			sub := decodeAs[sdpAnswer](t, e.do("POST", streamPath(s, "/sfu/subscribe-transport"),
				map[string]string{"sdp": localOffer(t, v.pc)}, p.cli.bearer()...), http.StatusOK)
			expectAddrs(t, "subscribe answer", candidateAddrs(t, sub.SDP), tc.want)
			applyAnswer(t, v.pc, withoutCandidatesAt(sub.SDP, public))
			v.waitPackets(t, 30)
		})
	}
}

// expectAddrs checks that got holds every address of want and no other.
func expectAddrs(t *testing.T, what string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Fatalf("%s candidates %v lack %s", what, got, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Fatalf("%s candidates %v carry %s, want only %v", what, got, g, want)
		}
	}
}
