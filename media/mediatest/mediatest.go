// Package mediatest holds what tests of the media plane share: browser-like
// pion peers on loopback and the SDP handling around them. Only tests
// import it.
package mediatest

import (
	"net"
	"strings"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// LoopbackAPI is the pion API of a test peer: pion's default codecs and
// interceptors, as a browser has, gathering UDP4 candidates on loopback
// only and without mDNS.
func LoopbackAPI(t testing.TB) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se))
}

// GatheredOffer creates pc's offer, waits until its candidates are
// gathered and returns the SDP that carries them.
func GatheredOffer(t testing.TB, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

// ApplyAnswer sets an answer as pc's remote description.
func ApplyAnswer(t testing.TB, pc *webrtc.PeerConnection, sdp string) {
	t.Helper()
	ans := webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}
	if err := pc.SetRemoteDescription(ans); err != nil {
		t.Fatal(err)
	}
}

// WithoutCandidates strips candidate lines from an SDP, so that a peer
// depends on trickled candidates.
func WithoutCandidates(sdp string) string {
	var out []string
	for _, line := range strings.Split(sdp, "\r\n") {
		if !strings.HasPrefix(line, "a=candidate") && line != "a=end-of-candidates" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\r\n")
}
