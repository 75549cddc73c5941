package record

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/mediatest"
	"github.com/vigil-oss/vigil/media/record/recordtest"
)

// cutOff records frames of video (and, when audio is set, the audio
// clip's packets over the same time) and copies the segment being written
// as a crash would leave it, before the recorder finishes it. It returns
// the file's name without .part and its bytes; dir is left empty.
func cutOff(t testing.TB, video mediatest.Clip, audio *mediatest.Clip, frames int) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	now := time.UnixMilli(1_700_000_000_000)
	rec, err := New(Config{Dir: dir, SegmentLength: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	vcodec, vpkts := mediatest.Packets(video, 1, frames)
	vinfo := media.TrackInfo{SSRC: 1, Codec: vcodec}
	var apkts [][]*rtp.Packet
	var ainfo media.TrackInfo
	if audio != nil {
		codec, pkts := mediatest.Packets(*audio, 2, int(time.Duration(frames)*video.Interval/audio.Interval))
		ainfo = media.TrackInfo{SSRC: 2, Codec: codec}
		for _, p := range pkts {
			apkts = append(apkts, p)
		}
	}
	next := 0
	for i, frame := range vpkts {
		at := time.Duration(i) * video.Interval
		for ; next < len(apkts) && time.Duration(next)*audio.Interval <= at; next++ {
			for _, p := range apkts[next] {
				rec.WriteRTP(ainfo, p)
			}
		}
		for _, p := range frame {
			rec.WriteRTP(vinfo, p)
		}
		now = now.Add(video.Interval)
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "*.part"))
	if len(parts) != 1 {
		t.Fatalf("segments being written: %v, want one", parts)
	}
	b, err := os.ReadFile(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	rec.Close()
	return strings.TrimSuffix(filepath.Base(parts[0]), partSuffix), b
}

// logLines keeps the messages of log records.
type logLines struct {
	slog.Handler
	mu   *sync.Mutex
	msgs *[]string
}

func newLogLines() logLines {
	return logLines{Handler: slog.DiscardHandler, mu: &sync.Mutex{}, msgs: &[]string{}}
}

func (l logLines) Enabled(context.Context, slog.Level) bool { return true }

func (l logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.msgs = append(*l.msgs, r.Message)
	return nil
}

func (l logLines) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(*l.msgs, "\n")
}

func TestCutOffSegmentsAreFinishedWhenPlayableAndRemovedWhenNot(t *testing.T) {
	audio := mediatest.OpusClip(t)
	vp8 := mediatest.VP8Clip(t)
	h264 := mediatest.H264Clip(t)
	webmName, webm := cutOff(t, vp8, &audio, 60)
	mp4Name, mp4 := cutOff(t, h264, &audio, 40)
	// The clip's keyframes come every 15 frames, and each starts an MP4
	// fragment: of 40 frames, the fragments of the first 30 are whole.
	t.Logf("cut off: %s %d bytes, %s %d bytes", webmName, len(webm), mp4Name, len(mp4))

	cases := []struct {
		name     string
		file     string
		body     []byte
		minFrame int
		maxFrame int
		parse    func(testing.TB, string) recordtest.File
	}{
		{"webm cut in the middle of a block", webmName, webm[:len(webm)-7], 20, 59, recordtest.WebM},
		{"webm cut after its tracks", webmName, webm[:200], 0, 0, nil},
		{"mp4 cut in the middle of a fragment", mp4Name, append(mp4[:len(mp4):len(mp4)],
			mp4[len(mp4)-500:]...), 30, 30, recordtest.MP4},
		{"mp4 with no whole fragment", mp4Name, mp4[:700], 0, 0, nil},
		{"garbage", "1700000000000.webm", []byte("not a segment at all"), 0, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			part := filepath.Join(dir, tc.file+partSuffix)
			if err := os.WriteFile(part, tc.body, 0o640); err != nil {
				t.Fatal(err)
			}
			live := filepath.Join(dir, "1800000000000.webm"+partSuffix)
			if err := os.WriteFile(live, webm, 0o640); err != nil {
				t.Fatal(err)
			}
			since := time.Now()
			old := since.Add(-time.Minute)
			if err := os.Chtimes(part, old, old); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(live, since.Add(time.Second), since.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			lines := newLogLines()
			n := RecoverParts(dir, since, slog.New(lines))

			if _, err := os.Stat(live); err != nil {
				t.Errorf("a segment written since the start was touched: %v", err)
			}
			if _, err := os.Stat(part); err == nil {
				t.Errorf("the cut-off file is still there")
			}
			finished := filepath.Join(dir, tc.file)
			if tc.parse == nil {
				if n != 0 || !strings.Contains(lines.all(), "removed: nothing playable") {
					t.Fatalf("finished %d; log %q; want the file removed with a log line", n, lines.all())
				}
				if _, err := os.Stat(finished); err == nil {
					t.Fatal("an unplayable file was finished")
				}
				return
			}
			if n != 1 || !strings.Contains(lines.all(), "recording cut off by a crash finished") {
				t.Fatalf("finished %d; log %q", n, lines.all())
			}
			f := tc.parse(t, finished)
			meta, err := os.ReadFile(MetaPath(finished))
			if err != nil {
				t.Fatalf("no metadata beside the finished file: %v", err)
			}
			t.Logf("finished: %d frames, %d audio, lasts %s; %s", len(f.Video), f.AudioFrames,
				f.Duration, meta)
			if len(f.Video) < tc.minFrame || len(f.Video) > tc.maxFrame || !f.Keyframe[0] {
				t.Fatalf("%d frames, first a keyframe %v; want %d..%d", len(f.Video), f.Keyframe[0],
					tc.minFrame, tc.maxFrame)
			}
			for i, at := range f.Video {
				// WebM keeps milliseconds.
				want := time.Duration(i) * mediatest.ClipFrameInterval
				if d := at - want; d < -2*time.Millisecond || d > 2*time.Millisecond {
					t.Fatalf("frame %d at %s, written at %s", i, at, want)
				}
			}
			if f.Duration < f.VideoSpan() || f.AudioFrames == 0 {
				t.Errorf("lasts %s for frames spanning %s, %d audio frames", f.Duration, f.VideoSpan(),
					f.AudioFrames)
			}
			if !bytes.Contains(meta, []byte(`"videoFrames":`)) {
				t.Errorf("metadata %s", meta)
			}
		})
	}
}

// A cut-off file is whatever a crash left: salvaging it must never panic,
// and never take a block larger than a frame may be.
func FuzzSalvageWebM(f *testing.F) {
	_, webm := cutOff(f, mediatest.VP8Clip(f), nil, 20)
	f.Add(webm)
	f.Add(webm[:300])
	f.Add([]byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f,
		0x43, 0xb6, 0x75, 0xff, 0xe7, 0x81, 0x05, 0xa3, 0x85, 0x81, 0x00, 0x00, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := salvageWebM(b)
		for _, blk := range s.blocks {
			if len(blk.data) > maxFrame || len(blk.data) > len(b) {
				t.Fatalf("block of %d bytes from %d", len(blk.data), len(b))
			}
		}
	})
}
