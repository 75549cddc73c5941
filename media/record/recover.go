package record

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
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
		seg, err := recoverPart(p)
		switch {
		case err == nil:
			finished++
			log.Info("recording cut off by a crash finished", "segment", seg.Path,
				"durationMs", seg.Duration.Milliseconds(), "videoFrames", seg.VideoFrames)
		case errors.Is(err, errNothingPlayable):
			log.Info("recording cut off by a crash removed: nothing playable", "segment", p)
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				log.Warn("recording cut off by a crash not removed", "segment", p, "err", err)
			}
		default:
			log.Warn("recording cut off by a crash left on disk", "segment", p, "err", err)
		}
	}
	return finished
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
	keep, ok := wholeFragments(b)
	if !ok {
		_ = os.Remove(p)
		return Segment{}, errNothingPlayable
	}
	f, err := mp4.DecodeFile(bytes.NewReader(b[:keep]))
	if err != nil || f.Init == nil {
		_ = os.Remove(p)
		return Segment{}, fmt.Errorf("%w: %v", errNothingPlayable, err)
	}
	meta := Segment{Name: strconv.FormatInt(start.UnixMilli(), 10), StartedAt: start,
		Path: base, Codec: "h264"}
	if len(f.Init.Moov.Traks) > 1 {
		meta.Codec = "h264+opus"
	}
	var tail time.Duration
	for _, s := range f.Segments {
		for _, frag := range s.Fragments {
			for _, traf := range frag.Moof.Trafs {
				t := salvagedTrack(f.Init, traf.Tfhd.TrackID)
				if t == nil {
					continue
				}
				at := traf.Tfdt.BaseMediaDecodeTime()
				for _, trun := range traf.Truns {
					for _, smp := range trun.GetSamples() {
						if t.video {
							meta.VideoFrames++
							pos := time.Duration(at) * time.Second / time.Duration(t.scale)
							meta.Duration = max(meta.Duration, pos)
							tail = time.Duration(smp.Dur) * time.Second / time.Duration(t.scale)
						} else {
							meta.AudioFrames++
						}
						at += uint64(smp.Dur)
					}
				}
			}
		}
	}
	if meta.VideoFrames == 0 {
		_ = os.Remove(p)
		return Segment{}, errNothingPlayable
	}
	mehd, ok := boxOffset(b[:keep], "moov", "mvex", "mehd")
	if !ok {
		_ = os.Remove(p)
		return Segment{}, fmt.Errorf("%w: no mehd box", errNothingPlayable)
	}
	if err := finishSalvagedMP4(p, int64(keep), int64(mehd)+12, meta.Duration+tail); err != nil {
		return Segment{}, err
	}
	meta.Bytes = int64(keep)
	meta.EndedAt = start.Add(meta.Duration)
	if err := writeMeta(meta); err != nil {
		return Segment{}, err
	}
	if err := os.Rename(p, base); err != nil {
		return Segment{}, fmt.Errorf("finish segment %q: %w", p, err)
	}
	return meta, nil
}

type trackKind struct {
	video bool
	scale uint32
}

func salvagedTrack(init *mp4.InitSegment, id uint32) *trackKind {
	for _, trak := range init.Moov.Traks {
		if trak.Tkhd.TrackID == id && trak.Mdia.Mdhd.Timescale > 0 {
			return &trackKind{video: trak.Mdia.Hdlr.HandlerType == "vide",
				scale: trak.Mdia.Mdhd.Timescale}
		}
	}
	return nil
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
