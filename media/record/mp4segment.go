package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

// Timescales of the MP4 tracks: RTP's own clocks, so sample times are the
// camera's timestamps unchanged (RFC 6184 §8.2.1 for H.264, RFC 7587
// §4.1 for Opus). The movie's scale only measures the whole.
const (
	h264Timescale  = 90000
	movieTimescale = 1000
)

// fragmentEvery bounds a fragment's length when keyframes are rare: what a
// crash can lose of the segment being written, since a fragment reaches
// the file whole or not at all.
const fragmentEvery = time.Second

// Sample durations assumed for the last sample of a track, whose
// successor never comes: a 30 fps frame, a 20 ms Opus packet (RFC 7587
// §4.2's default ptime).
const (
	defaultFrameDuration = time.Second / 30
	defaultOpusDuration  = 20 * time.Millisecond
)

// mp4Segment is an H.264 (and Opus) segment being written as fragmented
// MP4: an init segment, then a moof and mdat pair at each keyframe and at
// least every fragmentEvery. A sample's duration is only known when the
// next one arrives, so each track holds its latest sample back.
type mp4Segment struct {
	meta Segment
	part string
	f    *os.File
	// mehdAt is the file offset of the movie extends header's duration,
	// written when the segment is finished.
	mehdAt int64

	video, audio *mp4Track
	seq          uint32
	fragStart    time.Duration
	last         time.Duration
	failed       error
}

// mp4Track is one track's samples waiting for the next fragment.
type mp4Track struct {
	id       uint32
	scale    int64
	fallback time.Duration
	pending  *mp4.FullSample
	ready    []mp4.FullSample
	lastDur  uint32
}

// openMP4Segment creates <dir>/<start ms>.mp4.part and writes its init
// segment: an avc1 track described by sps and pps and, when withAudio,
// an Opus track.
func openMP4Segment(dir string, start time.Time, sps, pps []byte, withAudio bool) (*mp4Segment, error) {
	name := strconv.FormatInt(start.UnixMilli(), 10)
	s := &mp4Segment{
		meta: Segment{Name: name, StartedAt: start, Codec: "h264",
			Path: filepath.Join(dir, name+".mp4")},
		part:  filepath.Join(dir, name+".mp4.part"),
		video: &mp4Track{id: 1, scale: h264Timescale, fallback: defaultFrameDuration},
	}
	init := mp4.CreateEmptyInit()
	init.Moov.Mvhd.Timescale = movieTimescale
	// Version 1 keeps a 64-bit duration; it is filled in at finish.
	init.Moov.Mvex.AddChild(&mp4.MehdBox{Version: 1})
	trak := init.AddEmptyTrack(h264Timescale, "video", "und")
	if err := trak.SetAVCDescriptor("avc1", [][]byte{sps}, [][]byte{pps}, true); err != nil {
		return nil, fmt.Errorf("describe H.264 of segment %q: %w", name, err)
	}
	if withAudio {
		s.meta.Codec = "h264+opus"
		s.audio = &mp4Track{id: 2, scale: opusSampleRate, fallback: defaultOpusDuration}
		at := init.AddEmptyTrack(opusSampleRate, "audio", "und")
		at.Mdia.Minf.Stbl.Stsd.AddChild(mp4.CreateAudioSampleEntryBox("Opus", 2, 16,
			opusSampleRate, &mp4.DopsBox{OutputChannelCount: 2, InputSampleRate: opusSampleRate}))
	}
	var head bytes.Buffer
	if err := init.Encode(&head); err != nil {
		return nil, fmt.Errorf("encode segment %q: %w", name, err)
	}
	at, ok := boxOffset(head.Bytes(), "moov", "mvex", "mehd")
	if !ok {
		return nil, fmt.Errorf("encode segment %q: no mehd box in the init segment", name)
	}
	s.mehdAt = int64(at) + 12 // box header, version and flags
	f, err := os.OpenFile(s.part, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create segment %q: %w", s.part, err)
	}
	s.f = f
	if _, err := f.Write(head.Bytes()); err != nil {
		s.abandon()
		return nil, fmt.Errorf("write segment %q: %w", s.part, err)
	}
	return s, nil
}

func (s *mp4Segment) hasAudio() bool { return s.audio != nil }

// writeVideo adds an access unit in Annex B at offset from the segment's
// start. Parameter sets and delimiters are left out: the init segment
// carries the parameter sets (avc1), and a new pair starts a new segment.
func (s *mp4Segment) writeVideo(offset time.Duration, key bool, frame []byte) error {
	if s.failed != nil {
		return s.failed
	}
	data := avcSample(frame)
	if len(data) == 0 {
		return nil
	}
	s.meta.VideoFrames++
	s.last = max(s.last, offset)
	flags := mp4.NonSyncSampleFlags
	if key {
		flags = mp4.SyncSampleFlags
	}
	s.video.add(offset, flags, data)
	if key || offset-s.fragStart >= fragmentEvery {
		s.flush(offset)
	}
	return s.failed
}

// writeAudio adds an Opus packet at offset from the segment's start.
func (s *mp4Segment) writeAudio(offset time.Duration, data []byte) error {
	if s.audio == nil || s.failed != nil {
		return s.failed
	}
	s.meta.AudioFrames++
	s.audio.add(offset, mp4.SyncSampleFlags, data)
	return nil
}

// add makes the held sample ready, now that its duration is known, and
// holds this one.
func (t *mp4Track) add(offset time.Duration, flags uint32, data []byte) {
	at := uint64(int64(offset) * t.scale / int64(time.Second))
	if p := t.pending; p != nil {
		if at <= p.DecodeTime {
			// A timestamp that does not advance (a camera's glitch) would
			// give a sample no duration; keep decode order with one tick.
			at = p.DecodeTime + 1
		}
		p.Dur = uint32(at - p.DecodeTime)
		t.lastDur = p.Dur
		t.ready = append(t.ready, *p)
	}
	t.pending = &mp4.FullSample{Sample: mp4.Sample{Flags: flags, Size: uint32(len(data))},
		DecodeTime: at, Data: data}
}

// release makes the held sample ready with the last duration seen, for
// the end of the segment.
func (t *mp4Track) release() {
	if t == nil || t.pending == nil {
		return
	}
	p := t.pending
	p.Dur = t.lastDur
	if p.Dur == 0 {
		p.Dur = uint32(int64(t.fallback) * t.scale / int64(time.Second))
	}
	t.ready = append(t.ready, *p)
	t.pending = nil
}

// flush writes the ready samples of both tracks as one fragment starting
// at offset; a fragment holds whole samples only, so a crash leaves every
// earlier fragment readable.
func (s *mp4Segment) flush(offset time.Duration) {
	var ids []uint32
	for _, t := range []*mp4Track{s.video, s.audio} {
		if t != nil && len(t.ready) > 0 {
			ids = append(ids, t.id)
		}
	}
	if len(ids) == 0 {
		return
	}
	s.seq++
	frag, err := mp4.CreateMultiTrackFragment(s.seq, ids)
	if err != nil {
		s.failed = fmt.Errorf("fragment %d of %q: %w", s.seq, s.part, err)
		return
	}
	for _, t := range []*mp4Track{s.video, s.audio} {
		if t == nil {
			continue
		}
		for _, smp := range t.ready {
			if err := frag.AddFullSampleToTrack(smp, t.id); err != nil {
				s.failed = fmt.Errorf("fragment %d of %q: %w", s.seq, s.part, err)
				return
			}
		}
		t.ready = t.ready[:0]
	}
	var buf bytes.Buffer
	if err := frag.Encode(&buf); err != nil {
		s.failed = fmt.Errorf("encode fragment %d of %q: %w", s.seq, s.part, err)
		return
	}
	if _, err := s.f.Write(buf.Bytes()); err != nil {
		s.failed = fmt.Errorf("write fragment %d of %q: %w", s.seq, s.part, err)
		return
	}
	s.fragStart = offset
}

// finish writes the held samples, the duration, the metadata, and renames
// the file into place. A segment that failed is removed instead.
func (s *mp4Segment) finish() (Segment, error) {
	if s.failed == nil {
		s.video.release()
		s.audio.release()
		s.flush(s.last)
	}
	if s.failed != nil {
		s.abandon()
		return Segment{}, s.failed
	}
	duration := s.last + videoTail(s.video)
	if err := writeMehd(s.f, s.mehdAt, duration); err != nil {
		s.abandon()
		return Segment{}, fmt.Errorf("finish segment %q: %w", s.part, err)
	}
	st, err := s.f.Stat()
	closeErr := s.f.Close()
	if err != nil || closeErr != nil {
		_ = os.Remove(s.part)
		return Segment{}, fmt.Errorf("finish segment %q: %w", s.part, firstErr(err, closeErr))
	}
	s.meta.Bytes = st.Size()
	s.meta.Duration = s.last
	s.meta.EndedAt = s.meta.StartedAt.Add(s.last)
	if err := writeMeta(s.meta); err != nil {
		return Segment{}, err
	}
	if err := os.Rename(s.part, s.meta.Path); err != nil {
		return Segment{}, fmt.Errorf("finish segment %q: %w", s.part, err)
	}
	return s.meta, nil
}

// videoTail is how long the last frame shows: the duration given to it.
func videoTail(t *mp4Track) time.Duration {
	return time.Duration(int64(t.lastDur) * int64(time.Second) / t.scale)
}

func (s *mp4Segment) abandon() {
	_ = s.f.Close()
	_ = os.Remove(s.part)
}

// writeMehd fills in the movie's duration, in movieTimescale units, so a
// player shows the length without reading every fragment.
func writeMehd(f *os.File, at int64, d time.Duration) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(d.Milliseconds()))
	_, err := f.WriteAt(b[:], at)
	return err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// boxOffset finds the box at path (each name a child of the one before)
// in b, which starts with top-level boxes, and returns its offset.
func boxOffset(b []byte, path ...string) (int, bool) {
	base := 0
	for depth, name := range path {
		found := false
		for pos := base; pos+8 <= len(b); {
			size := int(binary.BigEndian.Uint32(b[pos:]))
			if size < 8 || pos+size > len(b) {
				return 0, false
			}
			if string(b[pos+4:pos+8]) == name {
				if depth == len(path)-1 {
					return pos, true
				}
				b = b[:pos+size]
				base, found = pos+8, true
				break
			}
			pos += size
		}
		if !found {
			return 0, false
		}
	}
	return 0, false
}
