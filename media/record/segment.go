package record

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"
)

// Track numbers in every file: video first, so clusters follow its
// keyframes.
const (
	videoTrackNumber = 1
	audioTrackNumber = 2
)

// cuesReserve is the space kept at the head of a file for its seek index:
// a cue point takes about 20 bytes, and clusters start at keyframes, so
// 8 KiB indexes a 60 s segment with a keyframe every 0.15 s; a longer
// index is thinned by ebml-go to fit.
const cuesReserve = 8 << 10

// opusSampleRate is Opus's RTP clock and decoding rate (RFC 7587 §4.1).
const opusSampleRate = 48000

// Segment describes one finished file; it is also written beside the file
// as JSON, so an uploader can take it after a restart.
type Segment struct {
	// Path is the finished .webm file.
	Path string `json:"path"`
	// Name is the file's base name without extension: the segment's start
	// in Unix milliseconds.
	Name string `json:"name"`
	// StartedAt and EndedAt are wall-clock times of the first and last
	// frame.
	StartedAt time.Time `json:"startedAt"`
	EndedAt   time.Time `json:"endedAt"`
	// Duration is the media duration: last frame's time minus first.
	Duration    time.Duration `json:"duration"`
	Bytes       int64         `json:"bytes"`
	Codec       string        `json:"codec"`
	VideoFrames int           `json:"videoFrames"`
	AudioFrames int           `json:"audioFrames"`
}

// segmentFile is a segment being written.
type segmentFile struct {
	meta  Segment
	part  string
	video webm.BlockWriteCloser
	audio webm.BlockWriteCloser
	// mu guards failed, which ebml-go's goroutine may set.
	mu     sync.Mutex
	failed error
	// last is the latest frame's offset from the segment's start.
	last time.Duration
}

// openSegment creates <dir>/<start ms>.webm.part with a video track and,
// when withAudio, an Opus track.
func openSegment(dir string, start time.Time, width, height int, withAudio bool) (*segmentFile, error) {
	name := strconv.FormatInt(start.UnixMilli(), 10)
	s := &segmentFile{
		meta: Segment{Name: name, StartedAt: start, Codec: "vp8",
			Path: filepath.Join(dir, name+".webm")},
		part: filepath.Join(dir, name+".webm.part"),
	}
	f, err := os.OpenFile(s.part, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create segment %q: %w", s.part, err)
	}
	tracks := []webm.TrackEntry{{
		Name: "video", TrackNumber: videoTrackNumber, TrackUID: rand.Uint64(),
		CodecID: "V_VP8", TrackType: 1,
		Video: &webm.Video{PixelWidth: uint64(width), PixelHeight: uint64(height)},
	}}
	if withAudio {
		s.meta.Codec = "vp8+opus"
		tracks = append(tracks, webm.TrackEntry{
			Name: "audio", TrackNumber: audioTrackNumber, TrackUID: rand.Uint64(),
			CodecID: "A_OPUS", TrackType: 2, CodecPrivate: opusHead(2),
			Audio: &webm.Audio{SamplingFrequency: opusSampleRate, Channels: 2},
		})
	}
	ws, err := webm.NewSimpleBlockWriter(f, tracks, s.writerOptions()...)
	if err != nil {
		_ = f.Close()
		_ = os.Remove(s.part)
		return nil, fmt.Errorf("start segment %q: %w", s.part, err)
	}
	s.video = ws[0]
	if withAudio {
		s.audio = ws[1]
	}
	return s, nil
}

// writerOptions gives each file its own segment info and block sorter:
// ebml-go's defaults are shared package variables, and the sorter's
// default fatal handler would panic on its own goroutine.
func (s *segmentFile) writerOptions() []mkvcore.BlockWriterOption {
	sorter, _ := mkvcore.NewMultiTrackBlockSorter(mkvcore.WithMaxDelayedPackets(32),
		mkvcore.WithSortRule(mkvcore.BlockSorterDropOutdated))
	keep := func(err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.failed == nil {
			s.failed = err
		}
	}
	return []mkvcore.BlockWriterOption{
		mkvcore.WithSegmentInfo(&webm.Info{TimecodeScale: uint64(time.Millisecond),
			MuxingApp: "vigil", WritingApp: "vigil"}),
		mkvcore.WithBlockInterceptor(sorter),
		mkvcore.WithSeekHead(true),
		mkvcore.WithCues(cuesReserve),
		mkvcore.WithMinMaxClusterDuration(videoTrackNumber, 0, 0x7FFF),
		mkvcore.WithOnErrorHandler(keep),
		mkvcore.WithOnFatalHandler(keep),
	}
}

// opusHead is the Opus identification header that Matroska carries as
// CodecPrivate (RFC 7845 §5.1): version 1, no pre-skip, 48 kHz, no gain,
// channel mapping family 0.
func opusHead(channels byte) []byte {
	h := make([]byte, 19)
	copy(h, "OpusHead")
	h[8] = 1
	h[9] = channels
	binary.LittleEndian.PutUint32(h[12:], opusSampleRate)
	return h
}

func (s *segmentFile) hasAudio() bool { return s.audio != nil }

// writeVideo and writeAudio add a frame at offset from the segment start.
func (s *segmentFile) writeVideo(offset time.Duration, key bool, data []byte) error {
	s.meta.VideoFrames++
	return s.write(s.video, offset, key, data)
}

func (s *segmentFile) writeAudio(offset time.Duration, data []byte) error {
	if s.audio == nil {
		return nil
	}
	s.meta.AudioFrames++
	return s.write(s.audio, offset, true, data)
}

func (s *segmentFile) write(w webm.BlockWriteCloser, offset time.Duration, key bool, data []byte) error {
	if err := s.err(); err != nil {
		return err
	}
	s.last = max(s.last, offset)
	_, _ = w.Write(key, offset.Milliseconds(), data) // reports through keep
	return nil
}

func (s *segmentFile) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// finish closes the file, writes its metadata and renames it into place.
// A segment that failed is removed instead.
func (s *segmentFile) finish() (Segment, error) {
	if s.audio != nil {
		_ = s.audio.Close()
	}
	_ = s.video.Close()
	if err := s.err(); err != nil {
		_ = os.Remove(s.part)
		return Segment{}, fmt.Errorf("write segment %q: %w", s.part, err)
	}
	st, err := os.Stat(s.part)
	if err != nil {
		return Segment{}, fmt.Errorf("stat segment %q: %w", s.part, err)
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

// MetaPath is where a segment's JSON metadata is kept.
func MetaPath(webmPath string) string {
	return webmPath[:len(webmPath)-len(filepath.Ext(webmPath))] + ".json"
}

func writeMeta(m Segment) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode segment %q: %w", m.Name, err)
	}
	if err := os.WriteFile(MetaPath(m.Path), b, 0o640); err != nil {
		return fmt.Errorf("write segment metadata %q: %w", m.Name, err)
	}
	return nil
}
