package mediatest

import (
	"bytes"
	"embed"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/h264reader"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// The clips are 3 s of ffmpeg's testsrc2 picture (320x240, 30 frames a
// second, a keyframe every 15 frames) and a 440 Hz tone, encoded once by
// scripts/gen-mediatest-clips.sh: real bitstreams, so what a test records
// from them decodes in a browser.
//
//go:embed testdata/camera.ivf testdata/camera.h264 testdata/camera.ogg
var clipFiles embed.FS

// Shape of the clips, as scripts/gen-mediatest-clips.sh encodes them.
const (
	ClipFrameInterval = time.Second / 30
	ClipAudioInterval = 20 * time.Millisecond
	ClipWidth         = 320
	ClipHeight        = 240
)

// Clip is one encoded track: frames in decoding order, played at a
// fixed interval.
type Clip struct {
	MimeType string
	Frames   [][]byte
	Keyframe []bool
	Interval time.Duration
}

// VP8Clip is the picture as VP8 frames.
func VP8Clip(t testing.TB) Clip {
	t.Helper()
	r, _, err := ivfreader.NewWith(bytes.NewReader(clipFile(t, "camera.ivf")))
	if err != nil {
		t.Fatal(err)
	}
	c := Clip{MimeType: webrtc.MimeTypeVP8, Interval: ClipFrameInterval}
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return c
		}
		if err != nil {
			t.Fatal(err)
		}
		c.Frames = append(c.Frames, frame)
		c.Keyframe = append(c.Keyframe, frame[0]&0x01 == 0)
	}
}

// H264Clip is the picture as H.264 access units in Annex B, each IDR led
// by its SPS and PPS as cameras send them.
func H264Clip(t testing.TB) Clip {
	t.Helper()
	r, err := h264reader.NewReader(bytes.NewReader(clipFile(t, "camera.h264")))
	if err != nil {
		t.Fatal(err)
	}
	c := Clip{MimeType: webrtc.MimeTypeH264, Interval: ClipFrameInterval}
	var unit []byte
	key := false
	for {
		nal, err := r.NextNAL()
		if errors.Is(err, io.EOF) {
			return c
		}
		if err != nil {
			t.Fatal(err)
		}
		unit = append(append(unit, 0, 0, 0, 1), nal.Data...)
		key = key || nal.UnitType == h264reader.NalUnitTypeCodedSliceIdr
		// The encoder writes one slice per picture, so a slice ends the
		// access unit.
		if nal.UnitType == h264reader.NalUnitTypeCodedSliceIdr ||
			nal.UnitType == h264reader.NalUnitTypeCodedSliceNonIdr {
			c.Frames = append(c.Frames, unit)
			c.Keyframe = append(c.Keyframe, key)
			unit, key = nil, false
		}
	}
}

// OpusClip is the tone as 20 ms Opus packets.
func OpusClip(t testing.TB) Clip {
	t.Helper()
	r, _, err := oggreader.NewWith(bytes.NewReader(clipFile(t, "camera.ogg")))
	if err != nil {
		t.Fatal(err)
	}
	c := Clip{MimeType: webrtc.MimeTypeOpus, Interval: ClipAudioInterval}
	for {
		// The encoder puts one packet on each page.
		page, h, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			return c
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, header := h.HeaderType(page); header || len(page) == 0 {
			continue
		}
		c.Frames = append(c.Frames, page)
		c.Keyframe = append(c.Keyframe, true)
	}
}

func clipFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := clipFiles.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
