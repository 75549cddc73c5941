package media

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestStartsKeyframe(t *testing.T) {
	cases := []struct {
		name    string
		mime    string
		payload []byte
		want    bool
	}{
		{"vp8 keyframe, plain descriptor", webrtc.MimeTypeVP8, []byte{0x10, 0x10}, true},
		{"vp8 interframe", webrtc.MimeTypeVP8, []byte{0x10, 0x11}, false},
		{"vp8 keyframe continuation (S=0)", webrtc.MimeTypeVP8, []byte{0x00, 0x10}, false},
		{"vp8 second partition (PID=1)", webrtc.MimeTypeVP8, []byte{0x11, 0x10}, false},
		{"vp8 keyframe, 15-bit picture ID", webrtc.MimeTypeVP8, []byte{0x90, 0x80, 0x81, 0x02, 0x10}, true},
		{"vp8 interframe, 7-bit picture ID", webrtc.MimeTypeVP8, []byte{0x90, 0x80, 0x05, 0x11}, false},
		{"vp8 keyframe, picture ID, TL0 and TID", webrtc.MimeTypeVP8,
			[]byte{0x90, 0xe0, 0x05, 0x01, 0x40, 0x10}, true},
		{"vp8 truncated", webrtc.MimeTypeVP8, []byte{0x90}, false},
		{"vp8 empty", webrtc.MimeTypeVP8, nil, false},
		{"h264 IDR", webrtc.MimeTypeH264, []byte{0x65, 0x88}, true},
		{"h264 SPS", webrtc.MimeTypeH264, []byte{0x67, 0x42}, true},
		{"h264 non-IDR slice", webrtc.MimeTypeH264, []byte{0x41, 0x9a}, false},
		{"h264 STAP-A with SPS", webrtc.MimeTypeH264, []byte{0x78, 0x00, 0x02, 0x67, 0x42}, true},
		{"h264 STAP-A with SEI only", webrtc.MimeTypeH264, []byte{0x78, 0x00, 0x02, 0x06, 0x05}, false},
		{"h264 FU-A start of IDR", webrtc.MimeTypeH264, []byte{0x7c, 0x85, 0x88}, true},
		{"h264 FU-A middle of IDR", webrtc.MimeTypeH264, []byte{0x7c, 0x05, 0x88}, false},
		{"opus is always decodable", webrtc.MimeTypeOpus, []byte{0xfc}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := startsKeyframe(tc.mime, tc.payload); got != tc.want {
				t.Fatalf("startsKeyframe(%s, % x) = %v, want %v", tc.mime, tc.payload, got, tc.want)
			}
		})
	}
}

func TestKeyframeRequesterSendsAtMostOnePerInterval(t *testing.T) {
	var sent atomic.Int64
	k := newKeyframeRequester(100*time.Millisecond, func() { sent.Add(1) })
	defer k.stop()
	for range 10 {
		k.request()
	}
	if n := sent.Load(); n != 1 {
		t.Fatalf("sent %d requests at once, want 1", n)
	}
	time.Sleep(250 * time.Millisecond)
	if n := sent.Load(); n != 2 {
		t.Fatalf("sent %d requests after the interval, want 2 (the deferred one)", n)
	}
}

func TestKeyframeRequesterStopCancelsDeferred(t *testing.T) {
	var sent atomic.Int64
	k := newKeyframeRequester(50*time.Millisecond, func() { sent.Add(1) })
	k.request()
	k.request()
	k.stop()
	time.Sleep(120 * time.Millisecond)
	if n := sent.Load(); n != 1 {
		t.Fatalf("sent %d requests, want 1: the deferred one must be cancelled", n)
	}
}
