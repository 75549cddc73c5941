package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

// Suffixes of files a crash leaves: a segment being written, and one
// being salvaged when the salvage itself was cut short.
const (
	partSuffix    = ".part"
	salvageSuffix = ".salvage"
)

// errNothingPlayable is a cut-off segment without one whole keyframe.
var errNothingPlayable = errors.New("no playable frames")

// RecoverParts finishes the segments that a crash left being written
// under dir: a .part (or an interrupted salvage) last changed before
// since, which no recorder of this run is writing. A file that still
// holds a keyframe is cut after its last whole frame and finished as the
// recorder would have, metadata included, so an uploader takes it; one
// that does not is removed. Each is logged. It returns how many segments
// it finished.
func RecoverParts(dir string, since time.Time, log *slog.Logger) int {
	var stale []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, partSuffix) || strings.HasSuffix(p, salvageSuffix)) {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().Before(since) {
			stale = append(stale, p)
		}
		return nil
	})
	if err != nil {
		log.Warn("recordings cut off by a crash not looked for", "dir", dir, "err", err)
	}
	finished := 0
	for _, p := range stale {
		if recoverStale(p, recoverPart, log) {
			finished++
		}
	}
	return finished
}

// recoverStale finishes or removes one cut-off file with salvage and logs
// which, reporting whether it finished it. A panic in salvage is caught
// here, for this one file: the salvage checks what it reads, but a file
// is whatever a crash or a bad disk left, and one such file must not stop
// every start of the server.
func recoverStale(p string, salvage func(string) (Segment, error), log *slog.Logger) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
			log.Error("recording cut off by a crash removed: salvage panicked", "segment", p,
				"panic", r, "stack", string(debug.Stack()))
			removeSalvaged(p, log)
		}
	}()
	seg, err := salvage(p)
	switch {
	case err == nil:
		log.Info("recording cut off by a crash finished", "segment", seg.Path,
			"durationMs", seg.Duration.Milliseconds(), "videoFrames", seg.VideoFrames)
		return true
	case errors.Is(err, errNothingPlayable):
		log.Info("recording cut off by a crash removed: nothing playable", "segment", p, "err", err)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("recording cut off by a crash not removed", "segment", p, "err", err)
		}
	default:
		log.Warn("recording cut off by a crash left on disk", "segment", p, "err", err)
	}
	return false
}

// removeSalvaged removes a file whose salvage failed, under either name
// the salvage gives it, so it is not tried again at every start.
func removeSalvaged(p string, log *slog.Logger) {
	base := strings.TrimSuffix(strings.TrimSuffix(p, salvageSuffix), partSuffix)
	for _, name := range []string{p, base + salvageSuffix} {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("recording cut off by a crash not removed", "segment", name, "err", err)
		}
	}
}

// recoverPart finishes one cut-off segment by its container.
func recoverPart(p string) (Segment, error) {
	base := strings.TrimSuffix(strings.TrimSuffix(p, salvageSuffix), partSuffix)
	name := strings.TrimSuffix(filepath.Base(base), filepath.Ext(base))
	ms, err := strconv.ParseInt(name, 10, 64)
	if err != nil {
		return Segment{}, fmt.Errorf("%w: %q is not named by its start", errNothingPlayable, p)
	}
	start := time.UnixMilli(ms)
	switch filepath.Ext(base) {
	case ".webm":
		return recoverWebM(p, base, start)
	case ".mp4":
		return recoverMP4(p, base, start)
	}
	return Segment{}, fmt.Errorf("%w: %q is no segment", errNothingPlayable, p)
}

// recoverWebM writes the salvaged frames into a new file through the
// recorder's own writer, which gives it its duration and seek index. The
// cut-off file is renamed first, so a crash during this leaves it to the
// next start.
func recoverWebM(p, base string, start time.Time) (Segment, error) {
	salvage := base + salvageSuffix
	if p != salvage {
		if err := os.Rename(p, salvage); err != nil {
			return Segment{}, fmt.Errorf("salvage %q: %w", p, err)
		}
	}
	b, err := os.ReadFile(salvage)
	if err != nil {
		return Segment{}, fmt.Errorf("salvage %q: %w", p, err)
	}
	found := salvageWebM(b)
	first := -1
	for i, blk := range found.blocks {
		if blk.track == videoTrackNumber && blk.key {
			first = i
			break
		}
	}
	if first < 0 {
		_ = os.Remove(salvage)
		return Segment{}, errNothingPlayable
	}
	_ = os.Remove(base + partSuffix) // a salvage cut short may have begun it
	w, h := found.width, found.height
	if w == 0 || h == 0 {
		w, h = defaultWidth, defaultHeight
	}
	seg, err := openSegment(filepath.Dir(base), start, w, h, found.hasAudio)
	if err != nil {
		return Segment{}, err
	}
	origin := found.blocks[first].at
	for _, blk := range found.blocks {
		at := time.Duration(blk.at-origin) * time.Millisecond
		switch {
		case at < 0:
		case blk.track == videoTrackNumber:
			err = seg.writeVideo(at, blk.key, blk.data)
		case blk.track == audioTrackNumber:
			err = seg.writeAudio(at, blk.data)
		}
		if err != nil {
			break
		}
	}
	m, finishErr := seg.finish()
	if err = firstErr(err, finishErr); err != nil {
		return Segment{}, err
	}
	_ = os.Remove(salvage)
	return m, nil
}

// recoverMP4 keeps the init segment and every whole fragment, cuts the
// rest and fills in the duration.
func recoverMP4(p, base string, start time.Time) (Segment, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return Segment{}, fmt.Errorf("salvage %q: %w", p, err)
	}
	found, err := salvageMP4(b)
	if err != nil {
		_ = os.Remove(p)
		return Segment{}, err
	}
	if err := finishSalvagedMP4(p, int64(found.keep), found.mehdAt, found.length); err != nil {
		return Segment{}, err
	}
	meta := Segment{Name: strconv.FormatInt(start.UnixMilli(), 10), StartedAt: start,
		EndedAt: start.Add(found.duration), Path: base, Codec: "h264", Bytes: int64(found.keep),
		Duration: found.duration, VideoFrames: found.videoFrames, AudioFrames: found.audioFrames}
	if found.hasAudio {
		meta.Codec = "h264+opus"
	}
	if err := writeMeta(meta); err != nil {
		return Segment{}, err
	}
	if err := os.Rename(p, base); err != nil {
		return Segment{}, fmt.Errorf("finish segment %q: %w", p, err)
	}
	return meta, nil
}

// mp4Salvage is what a cut-off MP4 segment still holds.
type mp4Salvage struct {
	// keep is the length up to the last whole fragment.
	keep int
	// mehdAt is the file offset of the movie extends header's duration.
	mehdAt int64
	// duration is the start of the last frame; length adds that frame's
	// own duration, which is what the file lasts.
	duration, length         time.Duration
	videoFrames, audioFrames int
	// hasAudio is whether the movie has a track besides video, as the
	// recorder names the codec.
	hasAudio bool
}

// salvageMP4 reads what b, a cut-off segment, still holds. Any box of it
// may be missing or spoilt, so every one mp4ff can leave nil is checked:
// a file that cannot be read is errNothingPlayable, never a panic.
func salvageMP4(b []byte) (mp4Salvage, error) {
	keep, ok := wholeFragments(b)
	if !ok {
		return mp4Salvage{}, errNothingPlayable
	}
	f, err := decodeMP4(b[:keep])
	if err != nil {
		return mp4Salvage{}, fmt.Errorf("%w: %v", errNothingPlayable, err)
	}
	if f.Init == nil || f.Init.Moov == nil {
		return mp4Salvage{}, fmt.Errorf("%w: no movie box", errNothingPlayable)
	}
	found := mp4Salvage{keep: keep}
	tracks, ok := salvagedTracks(f.Init.Moov)
	if !ok {
		return mp4Salvage{}, fmt.Errorf("%w: a track is spoilt", errNothingPlayable)
	}
	for _, t := range tracks {
		found.hasAudio = found.hasAudio || !t.video
	}
	tail := found.count(f, tracks)
	if found.videoFrames == 0 {
		return mp4Salvage{}, errNothingPlayable
	}
	found.length = found.duration + tail
	if found.length < found.duration {
		found.length = time.Duration(math.MaxInt64)
	}

	mehd, ok := boxOffset(b[:keep], "moov", "mvex", "mehd")
	// The duration is written in place as 64 bits: only a version 1 box
	// of its own size has room for it.
	if !ok || binary.BigEndian.Uint32(b[mehd:]) != mehdSize || b[mehd+8] != 1 {
		return mp4Salvage{}, fmt.Errorf("%w: no version 1 mehd box", errNothingPlayable)
	}
	found.mehdAt = int64(mehd) + 12
	return found, nil
}

// count adds up the samples of f's fragments on tracks, skipping any
// whose boxes are spoilt, and returns the last video frame's duration.
func (found *mp4Salvage) count(f *mp4.File, tracks map[uint32]trackKind) (tail time.Duration) {
	for _, s := range f.Segments {
		for _, frag := range s.Fragments {
			if frag == nil || frag.Moof == nil {
				continue
			}
			for _, traf := range frag.Moof.Trafs {
				if traf == nil || traf.Tfhd == nil || traf.Tfdt == nil {
					continue
				}
				t, ok := tracks[traf.Tfhd.TrackID]
				if !ok {
					continue
				}
				at := traf.Tfdt.BaseMediaDecodeTime()
				for _, trun := range traf.Truns {
					if trun == nil {
						continue
					}
					for _, smp := range trun.GetSamples() {
						if t.video {
							found.videoFrames++
							found.duration = max(found.duration, t.at(at))
							tail = t.at(uint64(smp.Dur))
						} else {
							found.audioFrames++
						}
						at += uint64(smp.Dur)
					}
				}
			}
		}
	}
	return tail
}

// mehdSize is a version 1 mehd box: header, version and flags, and a
// 64-bit duration (ISO/IEC 14496-12 §8.8.2).
const mehdSize = 8 + 4 + 8

// decodeMP4 is mp4ff's decoder, with its panics on malformed input made
// errors: what a crash left is no reason to stop the server starting.
func decodeMP4(b []byte) (f *mp4.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("mp4 decoder panicked: %v", r)
		}
	}()
	return mp4.DecodeFile(bytes.NewReader(b))
}

type trackKind struct {
	video bool
	scale uint32
}

// at is a time in the track's timescale as a duration, saturating rather
// than overflowing on a spoilt decode time.
func (t trackKind) at(ticks uint64) time.Duration {
	secs := ticks / uint64(t.scale)
	if secs >= uint64(math.MaxInt64/time.Second) {
		return time.Duration(math.MaxInt64)
	}
	rest := ticks % uint64(t.scale)
	return time.Duration(secs)*time.Second + time.Duration(rest)*time.Second/time.Duration(t.scale)
}

// salvagedTracks are the movie's tracks by ID, or false when a track's
// header, media header or handler is spoilt: every fragment depends on
// the init segment, and one a player cannot read is not worth finishing.
func salvagedTracks(moov *mp4.MoovBox) (map[uint32]trackKind, bool) {
	tracks := make(map[uint32]trackKind)
	for _, trak := range moov.Traks {
		if trak == nil || trak.Tkhd == nil || trak.Mdia == nil || trak.Mdia.Mdhd == nil ||
			trak.Mdia.Hdlr == nil || trak.Mdia.Mdhd.Timescale == 0 {
			return nil, false
		}
		if _, dup := tracks[trak.Tkhd.TrackID]; dup {
			return nil, false
		}
		tracks[trak.Tkhd.TrackID] = trackKind{video: trak.Mdia.Hdlr.HandlerType == "vide",
			scale: trak.Mdia.Mdhd.Timescale}
	}
	return tracks, true
}

// wholeFragments is the length of b up to its last whole moof and mdat
// pair after ftyp and moov, and whether there is one.
func wholeFragments(b []byte) (int, bool) {
	var types []string
	keep, pos := 0, 0
	for pos+8 <= len(b) {
		size := int(uint32(b[pos])<<24 | uint32(b[pos+1])<<16 | uint32(b[pos+2])<<8 | uint32(b[pos+3]))
		if size < 8 || pos+size > len(b) {
			break
		}
		types = append(types, string(b[pos+4:pos+8]))
		pos += size
		n := len(types)
		if n >= 4 && types[0] == "ftyp" && types[1] == "moov" && types[n-1] == "mdat" &&
			types[n-2] == "moof" {
			keep = pos
		}
	}
	return keep, keep > 0
}

// finishSalvagedMP4 cuts the file after its last whole fragment and writes
// its duration.
func finishSalvagedMP4(p string, keep, mehdAt int64, d time.Duration) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("salvage %q: %w", p, err)
	}
	err = firstErr(f.Truncate(keep), writeMehd(f, mehdAt, d), f.Sync())
	return firstErr(err, f.Close())
}
