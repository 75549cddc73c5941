package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// h264NALTypes depacketizes a frame's RTP payloads (RFC 6184) and lists
// the NAL unit types of the access unit they carry.
func h264NALTypes(t *testing.T, payloads [][]byte) []byte {
	t.Helper()
	var annexB []byte
	for _, p := range payloads {
		var pkt codecs.H264Packet
		out, err := pkt.Unmarshal(p)
		if err != nil {
			t.Fatalf("H.264 payload %x: %v", p[:min(len(p), 8)], err)
		}
		annexB = append(annexB, out...)
	}
	var types []byte
	for _, nal := range strings.Split(string(annexB), "\x00\x00\x00\x01") {
		if nal != "" {
			types = append(types, nal[0]&0x1f)
		}
	}
	return types
}

// expectH264Keyframe checks that the viewer negotiated H.264 Constrained
// Baseline and that the first frame it got is a whole keyframe: SPS, PPS
// and an IDR slice, so a decoder can start from it.
func expectH264Keyframe(t *testing.T, name string, v *fakeViewer) {
	t.Helper()
	waitUntil(t, name+"'s first frame", func() bool { _, _, done := v.received(); return done })
	codec, frame, _ := v.received()
	if codec.MimeType != webrtc.MimeTypeH264 || !strings.Contains(codec.SDPFmtpLine, "profile-level-id=42e01f") ||
		!strings.Contains(codec.SDPFmtpLine, "packetization-mode=1") {
		t.Fatalf("%s received %s %q, want H.264 Constrained Baseline", name, codec.MimeType, codec.SDPFmtpLine)
	}
	if got := h264NALTypes(t, frame); string(got) != string([]byte{7, 8, 5}) {
		t.Fatalf("%s's first frame has NAL units %v, want SPS, PPS, IDR (7 8 5)", name, got)
	}
}

func TestH264CameraReachesSeveralViewersAndALateJoinerStartsOnAKeyframe(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	s := e.requestStream(p.cli, p.cam)

	cam := newFakeH264Camera(t)
	ans := decodeAs[sdpAnswer](t, e.do("POST", streamPath(s, "/sfu/publish-transport"),
		map[string]string{"sdp": localOffer(t, cam.pc)}, p.cam.bearer()...), http.StatusOK)
	if !strings.Contains(ans.SDP, "H264/90000") || strings.Contains(ans.SDP, "VP8/90000") {
		t.Fatalf("the SFU's answer to an H.264-only camera:\n%s", ans.SDP)
	}
	applyAnswer(t, cam.pc, ans.SDP)
	cam.start()

	tok := decodeAs[struct{ PlaybackToken string }](t, e.do("GET", streamPath(s, "/playback-token"), nil,
		p.other.bearer()...), http.StatusOK).PlaybackToken
	viewers := map[string]*fakeViewer{
		"requester (sfu)": e.subscribe(s, p.cli),
		"other (sfu)":     e.subscribe(s, p.other),
		"player (WHEP)":   e.whepPlay(s, tok),
	}
	for name, v := range viewers {
		v.waitPackets(t, 60)
		expectH264Keyframe(t, name, v)
	}

	// The camera sends a keyframe only when asked: one joining now gets
	// its first frame because the SFU asks for one and holds the viewer's
	// packets back until it starts.
	before := viewers["requester (sfu)"].packets.Load()
	viewers["requester (sfu)"].waitPackets(t, before+90)
	late := e.whepPlay(s, tok)
	late.waitPackets(t, 30)
	expectH264Keyframe(t, "late joiner", late)
}
