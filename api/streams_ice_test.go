package api

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

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

// restartOffer makes pc's offer with fresh ICE credentials, as a peer
// whose network changed does, and waits for its candidates.
func restartOffer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
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

// sdpAttr returns the first value of an a=name: line.
func sdpAttr(sdp, name string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if v, ok := strings.CutPrefix(l, "a="+name+":"); ok {
			return v
		}
	}
	return ""
}

// expectRestarted checks that an answer restarted ICE (new server
// credentials and candidates) and that pc's media moved to one of the
// new candidates: the old ones, on the old ICE session, are gone.
func expectRestarted(t *testing.T, what string, pc *webrtc.PeerConnection, oldUfrag, answer string) {
	t.Helper()
	if u := sdpAttr(answer, "ice-ufrag"); u == "" || u == oldUfrag {
		t.Fatalf("%s: server ufrag %q after a restart, was %q", what, u, oldUfrag)
	}
	fresh := map[string]bool{}
	for _, line := range candidatesOf(answer) {
		c, err := ice.UnmarshalCandidate(line)
		if err != nil {
			t.Fatal(err)
		}
		fresh[fmt.Sprintf("%s:%d", c.Address(), c.Port())] = true
	}
	tr := pc.GetTransceivers()[0]
	var dtls *webrtc.DTLSTransport
	if tr.Sender() != nil {
		dtls = tr.Sender().Transport()
	} else {
		dtls = tr.Receiver().Transport()
	}
	waitUntil(t, what+" connected on a new server candidate", func() bool {
		pair, err := dtls.ICETransport().GetSelectedCandidatePair()
		return err == nil && pair != nil && fresh[fmt.Sprintf("%s:%d", pair.Remote.Address, pair.Remote.Port)]
	})
}

func TestICERestartOnTheSFURoutesKeepsTheTransportAndTheStream(t *testing.T) {
	e, sfu := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	s := e.requestStream(p.cli, p.cam)
	cam := e.publish(s, p.cam)
	v := newFakeViewer(t)
	first := decodeAs[sdpAnswer](t, e.do("POST", streamPath(s, "/sfu/subscribe-transport"),
		map[string]string{"sdp": localOffer(t, v.pc)}, p.cli.bearer()...), http.StatusOK)
	applyAnswer(t, v.pc, first.SDP)
	v.waitPackets(t, 30)

	old := sdpAttr(cam.pc.RemoteDescription().SDP, "ice-ufrag")
	ans := decodeAs[sdpAnswer](t, e.do("POST", streamPath(s, "/sfu/publish-transport"),
		map[string]string{"sdp": restartOffer(t, cam.pc)}, p.cam.bearer()...), http.StatusOK)
	applyAnswer(t, cam.pc, ans.SDP)
	expectRestarted(t, "camera", cam.pc, old, ans.SDP)
	v.waitPackets(t, v.packets.Load()+30)

	old = sdpAttr(first.SDP, "ice-ufrag")
	again := decodeAs[sdpAnswer](t, e.do("POST", streamPath(s, "/sfu/subscribe-transport"),
		map[string]string{"sdp": restartOffer(t, v.pc)}, p.cli.bearer()...), http.StatusOK)
	if again.ViewerID != first.ViewerID {
		t.Fatalf("a restart replaced the viewer %s by %s", first.ViewerID, again.ViewerID)
	}
	applyAnswer(t, v.pc, again.SDP)
	expectRestarted(t, "viewer", v.pc, old, again.SDP)
	v.waitPackets(t, v.packets.Load()+30)

	got := decodeAs[sfuSessionJSON](t, e.do("GET", streamPath(s, "/sfu/session"), nil,
		p.cli.bearer()...), http.StatusOK)
	if got.Status != "streaming" || got.Subscribers != 1 || !got.Publisher.Connected || sfu.Publishers() != 1 {
		t.Fatalf("after both restarts: %+v, %d publishers", got, sfu.Publishers())
	}
	// A new peer connection is not a restart: the camera's place is taken.
	expectError(t, e.do("POST", streamPath(s, "/sfu/publish-transport"),
		map[string]string{"sdp": localOffer(t, newFakeCamera(t).pc)}, p.cam.bearer()...),
		http.StatusConflict, "ALREADY_PUBLISHING")
}

// patchRestart restarts pc's ICE through a WHIP or WHEP resource: its new
// credentials and candidates go in a PATCH, and the server's fragment
// becomes the remote side.
func (e *testEnv) patchRestart(pc *webrtc.PeerConnection, resource string, bearer ...string) {
	e.t.Helper()
	t := e.t.(*testing.T)
	oldAnswer := pc.RemoteDescription().SDP
	offer := restartOffer(t, pc)
	frag := "a=ice-ufrag:" + sdpAttr(offer, "ice-ufrag") + "\r\na=ice-pwd:" + sdpAttr(offer, "ice-pwd") +
		"\r\na=mid:0\r\n"
	for _, c := range candidatesOf(offer) {
		frag += "a=" + c + "\r\n"
	}
	resp := e.rawDo("PATCH", resource, "application/trickle-ice-sdpfrag", frag, bearer...)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/trickle-ice-sdpfrag" {
		t.Fatalf("restart PATCH answered %d %v %s", resp.StatusCode, resp.Header, body)
	}
	server := string(body)
	answer := stripCandidates(oldAnswer)
	answer = strings.ReplaceAll(answer, "a=ice-ufrag:"+sdpAttr(oldAnswer, "ice-ufrag"),
		"a=ice-ufrag:"+sdpAttr(server, "ice-ufrag"))
	answer = strings.ReplaceAll(answer, "a=ice-pwd:"+sdpAttr(oldAnswer, "ice-pwd"),
		"a=ice-pwd:"+sdpAttr(server, "ice-pwd"))
	applyAnswer(t, pc, answer)
	cands := candidatesOf(server)
	if len(cands) == 0 {
		t.Fatalf("the server's restart fragment has no candidate:\n%s", server)
	}
	for _, c := range cands {
		mid := "0"
		if err := pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c, SDPMid: &mid}); err != nil {
			t.Fatal(err)
		}
	}
	expectRestarted(t, resource, pc, sdpAttr(oldAnswer, "ice-ufrag"), server)
}

func TestWHIPAndWHEPRestartICEWithAPatch(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	s := e.requestStream(p.cli, p.cam)
	whip := "/whip/streams/" + string(s.ID)

	cam := newFakeCamera(t)
	resp := e.rawDo("POST", whip, "application/sdp", localOffer(t, cam.pc), p.cam.bearer()...)
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP answered %d %s", resp.StatusCode, answer)
	}
	applyAnswer(t, cam.pc, string(answer))
	cam.start()
	tok := decodeAs[struct{ PlaybackToken string }](t, e.do("GET", streamPath(s, "/playback-token"), nil,
		p.cli.bearer()...), http.StatusOK).PlaybackToken
	v := newFakeViewer(t)
	resp = e.rawDo("POST", "/whep/streams/"+string(s.ID), "application/sdp", localOffer(t, v.pc),
		"Authorization", "Bearer "+tok)
	answer, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	whep := resp.Header.Get("Location")
	applyAnswer(t, v.pc, string(answer))
	v.waitPackets(t, 30)

	// Credentials already in use only trickle; malformed ones are refused.
	inUse := "a=ice-ufrag:" + sdpAttr(cam.pc.LocalDescription().SDP, "ice-ufrag") +
		"\r\na=ice-pwd:" + sdpAttr(cam.pc.LocalDescription().SDP, "ice-pwd") + "\r\n"
	if resp := e.rawDo("PATCH", whip+"/publisher", "application/trickle-ice-sdpfrag", inUse,
		p.cam.bearer()...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("a PATCH with the credentials in use answered %d", resp.StatusCode)
	}
	expectError(t, e.rawDo("PATCH", whip+"/publisher", "application/trickle-ice-sdpfrag",
		"a=ice-ufrag:abcd\r\n", p.cam.bearer()...), http.StatusBadRequest, "INVALID_SDP_FRAG")

	e.patchRestart(cam.pc, whip+"/publisher", p.cam.bearer()...)
	v.waitPackets(t, v.packets.Load()+30)
	e.patchRestart(v.pc, whep, "Authorization", "Bearer "+tok)
	v.waitPackets(t, v.packets.Load()+30)
}
