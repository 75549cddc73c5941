package record

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/media/mediatest"
	"github.com/vigil-oss/vigil/media/record/recordtest"
)

// cutOffMP4 is an H.264 and Opus segment as a crash leaves it, with two
// whole fragments, and its name without .part.
func cutOffMP4(t testing.TB) (string, []byte) {
	t.Helper()
	audio := mediatest.OpusClip(t)
	return cutOff(t, mediatest.H264Clip(t), &audio, 40)
}

// flipped is a copy of b with the byte at i inverted.
func flipped(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0xff
	return c
}

// recoverOne runs start-up recovery over a directory holding only the
// file name with body, and returns how many it finished and the log.
func recoverOne(t *testing.T, name string, body []byte) (string, int, string) {
	t.Helper()
	dir := t.TempDir()
	part := filepath.Join(dir, name+partSuffix)
	if err := os.WriteFile(part, body, 0o640); err != nil {
		t.Fatal(err)
	}
	lines := newLogLines()
	n := RecoverParts(dir, time.Now().Add(time.Minute), slog.New(lines))
	return dir, n, lines.all()
}

// A tester's segment with one byte of its video track header's name
// flipped made every start panic: mp4ff then leaves the track without a
// header. A track without its header, media header or handler spoils the
// init segment every fragment depends on, so the file is removed.
func TestMP4PartWithSpoiltTrackIsRemovedNotPanicked(t *testing.T) {
	name, mp4 := cutOffMP4(t)
	video, _ := boxOffset(mp4, "moov", "trak")
	moov, _ := boxOffset(mp4, "moov")
	moovEnd := moov + int(binary.BigEndian.Uint32(mp4[moov:]))
	// The audio trak follows the video one inside moov.
	audio := video + int(binary.BigEndian.Uint32(mp4[video:]))
	cases := []struct {
		name  string
		trak  int
		inner []string
	}{
		{"video track header", video, []string{"tkhd"}},
		{"audio track header", audio, []string{"tkhd"}},
		{"video media box", video, []string{"mdia"}},
		{"video media header", video, []string{"mdia", "mdhd"}},
		{"audio handler", audio, []string{"mdia", "hdlr"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at, ok := boxOffset(mp4[tc.trak:moovEnd], append([]string{"trak"}, tc.inner...)...)
			if !ok {
				t.Fatalf("the recorder's segment has no %v", tc.inner)
			}
			// The first byte of the box's name, as the tester flipped.
			spoilt := flipped(mp4, tc.trak+at+4)

			if _, err := salvageMP4(spoilt); !errors.Is(err, errNothingPlayable) {
				t.Fatalf("salvage: %v, want nothing playable", err)
			}
			dir, n, log := recoverOne(t, name, spoilt)
			if n != 0 || !strings.Contains(log, "removed: nothing playable") ||
				strings.Contains(log, "panicked") {
				t.Fatalf("finished %d; log %q; want the file removed as unplayable", n, log)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("left on disk: %v", left)
			}
		})
	}
}

// The same segment unspoilt is finished with the frames of its whole
// fragments, so the refusals above are the spoilt boxes' doing.
func TestMP4PartUnspoiltIsFinished(t *testing.T) {
	name, mp4 := cutOffMP4(t)
	dir, n, log := recoverOne(t, name, mp4)
	if n != 1 {
		t.Fatalf("finished %d; log %q", n, log)
	}
	f := recordtest.MP4(t, filepath.Join(dir, name))
	if len(f.Video) != 30 || !f.Keyframe[0] || f.AudioFrames == 0 {
		t.Fatalf("%d frames, first a keyframe %v, %d audio; want the 30 of the whole fragments",
			len(f.Video), f.Keyframe[0], f.AudioFrames)
	}
}

// Every single-byte flip over the init segment and the first fragment's
// header is either salvaged or refused, never a panic; a flip that is
// salvaged still has video.
func TestMP4PartByteFlipsNeverPanic(t *testing.T) {
	_, mp4 := cutOffMP4(t)
	span := min(2000, len(mp4))
	salvaged := 0
	for i := range span {
		found, err := salvageMP4(flipped(mp4, i))
		switch {
		case err == nil:
			salvaged++
			if found.videoFrames == 0 || found.keep > len(mp4) || found.mehdAt+8 > int64(found.keep) {
				t.Fatalf("flip at %d: salvaged %+v from %d bytes", i, found, len(mp4))
			}
		case !errors.Is(err, errNothingPlayable):
			t.Fatalf("flip at %d: %v", i, err)
		}
	}
	t.Logf("%d single-byte flips: %d salvaged, the rest refused", span, salvaged)
	if salvaged == 0 {
		t.Fatal("no flip was salvaged: most bytes (sample sizes, flags) do not matter to salvage")
	}
}

// A panic while salvaging one file is logged with the file and removes
// it, and the next file is still recovered.
func TestPanicInSalvageRemovesOnlyThatFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "1700000000000.mp4"+partSuffix)
	good := filepath.Join(dir, "1700000001000.mp4"+partSuffix)
	for _, p := range []string{bad, good} {
		if err := os.WriteFile(p, []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	salvage := func(p string) (Segment, error) {
		if p == bad {
			panic("a box the salvage did not expect to be missing")
		}
		return Segment{Path: p}, nil
	}
	lines := newLogLines()
	log := slog.New(lines)
	if recoverStale(bad, salvage, log) || !recoverStale(good, salvage, log) {
		t.Fatalf("log %q: want the bad file refused and the good one finished", lines.all())
	}
	if !strings.Contains(lines.all(), "salvage panicked") {
		t.Fatalf("log %q: no line for the panic", lines.all())
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the file whose salvage panicked is still there: %v", err)
	}
}

// A cut-off MP4 file is whatever a crash left: salvaging it must never
// panic, and what it keeps must lie inside the file.
func FuzzRecoverMP4Part(f *testing.F) {
	_, mp4 := cutOffMP4(f)
	f.Add(mp4)
	f.Add(mp4[:1200])
	// A video-only segment with one whole fragment: a smaller input for
	// the fuzzer to mutate and minimise.
	_, small := cutOff(f, mediatest.H264Clip(f), nil, 16)
	f.Add(small)
	if tkhd, ok := boxOffset(mp4, "moov", "trak", "tkhd"); ok {
		f.Add(flipped(mp4, tkhd+4))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		found, err := salvageMP4(b)
		if err != nil {
			if !errors.Is(err, errNothingPlayable) {
				t.Fatalf("salvage: %v", err)
			}
			return
		}
		if found.videoFrames == 0 || found.keep > len(b) || found.mehdAt+8 > int64(found.keep) ||
			found.duration < 0 || found.length < found.duration {
			t.Fatalf("salvaged %+v from %d bytes", found, len(b))
		}
	})
}
