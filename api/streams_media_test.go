package api

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/media"
)

func TestStreamLimitsAnswerWithClearCodes(t *testing.T) {
	e, _ := newStreamEnv(t, func(c *media.Config) { c.MaxPublishers, c.MaxSubscribersPerRoom = 1, 1 })
	p := streamSetup(t, e)
	cam2 := e.register(p.u, "cam2", "camera")
	e.link(p.u, cam2, p.cli)

	s := e.requestStream(p.cli, p.cam)
	e.accept(s, p.cam)
	e.publish(s, p.cam)
	e.subscribe(s, p.cli).waitPackets(t, 10)

	v := newFakeViewer(t)
	expectError(t, e.do("POST", streamPath(s, "/sfu/subscribe-transport"),
		map[string]string{"sdp": localOffer(t, v.pc)}, p.other.bearer()...), http.StatusConflict, "ROOM_FULL")

	s2 := e.requestStream(p.cli, cam2)
	c2 := newFakeCamera(t)
	resp := e.do("POST", streamPath(s2, "/sfu/publish-transport"),
		map[string]string{"sdp": localOffer(t, c2.pc)}, cam2.bearer()...)
	if resp.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	expectError(t, resp, http.StatusTooManyRequests, "TOO_MANY_PUBLISHERS")

	// The first camera's slot comes back when its stream ends.
	e.do("POST", streamPath(s, "/end"), nil, p.cam.bearer()...).Body.Close()
	e.publish(s2, cam2)
}

func TestStreamCameraCandidatesBeforeTheOfferConnect(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	s := e.requestStream(p.cli, p.cam)
	e.accept(s, p.cam)

	cam := newFakeCamera(t)
	offer := localOffer(t, cam.pc)
	cands := candidatesOf(offer)
	if len(cands) == 0 {
		t.Fatal("the camera gathered no candidates")
	}
	for _, c := range cands {
		resp := e.do("POST", streamPath(s, "/sfu/ice-candidate"),
			map[string]any{"candidate": c, "sdpMid": "0", "sdpMLineIndex": 0}, p.cam.bearer()...)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("early candidate: status %d", resp.StatusCode)
		}
	}
	ans := decodeAs[sdpAnswer](t, e.do("POST", streamPath(s, "/sfu/publish-transport"),
		map[string]string{"sdp": stripCandidates(offer)}, p.cam.bearer()...), http.StatusOK)
	// Without the server's candidates the camera cannot start ICE itself:
	// only the server's checks to the trickled candidates connect them.
	applyAnswer(t, cam.pc, stripCandidates(ans.SDP))
	cam.start()
	e.subscribe(s, p.cli).waitPackets(t, 30)

	expectError(t, e.do("POST", streamPath(s, "/sfu/ice-candidate"),
		map[string]any{"candidate": "candidate:nonsense"}, p.cam.bearer()...), 400, "INVALID_CANDIDATE")
}

// rawDo sends a request with a raw body and content type.
func (e *testEnv) rawDo(method, path, contentType, body string, headers ...string) *http.Response {
	e.t.Helper()
	return e.do(method, path, []byte(body), append([]string{"Content-Type", contentType}, headers...)...)
}

func TestWHIPPublishAndWHEPPlayOverPlainHTTP(t *testing.T) {
	e, sfu := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	base := e.listenWS()
	wsCli := dial(t, base, p.cli)
	s := e.requestStream(p.cli, p.cam)
	whip := "/whip/streams/" + string(s.ID)

	// WHIP: the camera's token, an SDP body, 201 with Location; an offer
	// for a requested stream accepts it.
	cam := newFakeCamera(t)
	offer := localOffer(t, cam.pc)
	expectError(t, e.rawDo("POST", whip, "application/json", `{}`, p.cam.bearer()...), 415,
		"UNSUPPORTED_MEDIA_TYPE")
	resp := e.rawDo("POST", whip, "application/sdp", stripCandidates(offer), p.cam.bearer()...)
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/sdp" ||
		resp.Header.Get("Location") != whip+"/publisher" || !strings.HasPrefix(string(answer), "v=0") {
		t.Fatalf("WHIP answered %d %v %.40q", resp.StatusCode, resp.Header, answer)
	}
	expectStream(t, wsCli, "stream:started", string(s.ID))
	frag := "a=mid:0\r\n"
	for _, c := range candidatesOf(offer) {
		frag += "a=" + c + "\r\n"
	}
	resp = e.rawDo("PATCH", whip+"/publisher", "application/trickle-ice-sdpfrag", frag, p.cam.bearer()...)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("WHIP PATCH status %d", resp.StatusCode)
	}
	applyAnswer(t, cam.pc, stripCandidates(string(answer)))
	cam.start()

	// WHEP: a playback token is all a player needs.
	tok := decodeAs[struct{ PlaybackToken string }](t, e.do("GET", streamPath(s, "/playback-token"), nil,
		p.cli.bearer()...), http.StatusOK).PlaybackToken
	v := newFakeViewer(t)
	resp = e.rawDo("POST", "/whep/streams/"+string(s.ID), "application/sdp", localOffer(t, v.pc),
		"Authorization", "Bearer "+tok)
	answer, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(loc, "/whep/streams/"+string(s.ID)+"/viewers/") {
		t.Fatalf("WHEP answered %d %v %s", resp.StatusCode, resp.Header, answer)
	}
	applyAnswer(t, v.pc, string(answer))
	v.waitPackets(t, 30)

	// DELETE ends each resource: the viewer's peer, then the camera's session.
	resp = e.do("DELETE", loc, nil, "Authorization", "Bearer "+tok)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("WHEP DELETE status %d", resp.StatusCode)
	}
	waitUntil(t, "WHEP viewer closed", func() bool {
		return v.pc.ConnectionState() != webrtc.PeerConnectionStateConnected
	})
	expectError(t, e.do("DELETE", loc, nil, "Authorization", "Bearer "+tok), 404, "VIEWER_NOT_FOUND")
	resp = e.do("DELETE", whip+"/publisher", nil, p.cam.bearer()...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("WHIP DELETE status %d", resp.StatusCode)
	}
	if got := expectStream(t, wsCli, "stream:ended", string(s.ID)); *got.EndReason != "camera_left" {
		t.Fatalf("WHIP DELETE ended the stream with %s", *got.EndReason)
	}
	if sfu.Publishers() != 0 {
		t.Fatal("the camera's slot was not released")
	}
}

func TestPlaybackTokenStopsWorkingWhenItsDeviceIsDisabledOrUnlinked(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	s := e.requestStream(p.cli, p.cam)
	e.publish(s, p.cam).start()

	tokenOf := func() string {
		return decodeAs[struct{ PlaybackToken string }](t, e.do("GET", streamPath(s, "/playback-token"),
			nil, p.other.bearer()...), http.StatusOK).PlaybackToken
	}
	whep := func(tok string) *http.Response {
		v := newFakeViewer(t)
		return e.rawDo("POST", "/whep/streams/"+string(s.ID), "application/sdp", localOffer(t, v.pc),
			"Authorization", "Bearer "+tok)
	}

	tok := tokenOf()
	e.do("PATCH", "/devices/"+p.other.ID, map[string]any{"status": "disabled"}, p.u.bearer()...)
	expectError(t, whep(tok), http.StatusUnauthorized, "INVALID_PLAYBACK_TOKEN")

	e.do("PATCH", "/devices/"+p.other.ID, map[string]any{"status": "active"}, p.u.bearer()...)
	links := decodeAs[struct{ Links []linkJSON }](t, e.do("GET", "/device-links", nil, p.u.bearer()...),
		http.StatusOK)
	for _, l := range links.Links {
		if string(l.ClientDeviceID) == p.other.ID {
			e.do("DELETE", "/device-links/"+string(l.ID), nil, p.u.bearer()...)
		}
	}
	resp := whep(tok)
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Fatalf("an unlinked device's playback token opened a viewer: %d", resp.StatusCode)
	}
}

func TestSDPFragmentsMustBeSDPLines(t *testing.T) {
	for frag, ok := range map[string]bool{
		"a=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n": true,
		"a=end-of-candidates\r\n":                                      true,
		"zzzz":                                                         false,
		"a=mid:0\r\nnot sdp\r\n":                                       false,
	} {
		_, err := parseSDPFrag(frag)
		if (err == nil) != ok {
			t.Errorf("parseSDPFrag(%q) = %v, want ok=%v", frag, err, ok)
		}
	}
}

// FuzzSDPFragment checks that any PATCH body either is refused or gives
// bounded candidates and, when it restarts ICE, well-formed credentials
// that cannot carry another SDP line into the offer they rewrite.
func FuzzSDPFragment(f *testing.F) {
	f.Add("a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=mid:0\r\n" +
		"a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n")
	f.Add("m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:v\r\na=end-of-candidates\r\n")
	f.Add("a=ice-ufrag:ab\ncd\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		frag, err := parseSDPFrag(body)
		if err != nil {
			return
		}
		if len(frag.candidates) > maxFragCandidates {
			t.Fatalf("%d candidates", len(frag.candidates))
		}
		for _, c := range frag.candidates {
			if !strings.HasPrefix(c.candidate, "candidate:") || len(c.candidate) > maxCandidateBytes {
				t.Fatalf("candidate %q", c.candidate)
			}
		}
		if frag.ufrag == "" && frag.pwd == "" {
			return
		}
		if !iceChars(frag.ufrag, 4) || !iceChars(frag.pwd, 22) ||
			strings.ContainsAny(frag.ufrag+frag.pwd, "\r\n ") {
			t.Fatalf("credentials %q %q passed", frag.ufrag, frag.pwd)
		}
	})
}
