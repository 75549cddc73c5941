package record

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"

	"github.com/vigil-oss/vigil/media"
)

// parsedFile is what a test reads back from a WebM file with ebml-go's
// decoder, apart from the writer under test.
type parsedFile struct {
	info        webm.Info
	tracks      []webm.TrackEntry
	video       []time.Duration // block times, in order
	keys        []bool
	audioBlocks int
}

func parseWebM(t *testing.T, path string) parsedFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var doc struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment webm.Segment    `ebml:"Segment"`
	}
	if err := ebml.Unmarshal(f, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if doc.Header.DocType != "webm" {
		t.Fatalf("%s: doc type %q", path, doc.Header.DocType)
	}
	p := parsedFile{info: doc.Segment.Info, tracks: doc.Segment.Tracks.TrackEntry}
	for _, c := range doc.Segment.Cluster {
		for _, b := range c.SimpleBlock {
			at := time.Duration(int64(c.Timecode)+int64(b.Timecode)) * time.Millisecond
			switch b.TrackNumber {
			case videoTrackNumber:
				p.video = append(p.video, at)
				p.keys = append(p.keys, b.Keyframe)
			case audioTrackNumber:
				p.audioBlocks++
			}
		}
	}
	return p
}

// segmentLog collects finished segments.
type segmentLog struct {
	mu   sync.Mutex
	segs []Segment
}

func (l *segmentLog) add(s Segment) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.segs = append(l.segs, s)
}

func (l *segmentLog) all() []Segment {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Segment(nil), l.segs...)
}

func TestRecorderWritesPublisherFramesWithGapsIntoKeyframeSegments(t *testing.T) {
	sfu := testSFU(t)
	room := sfu.NewRoom(media.RoomConfig{ID: "record-vp8"})
	t.Cleanup(room.Close)
	var log segmentLog
	rec, err := New(Config{Dir: t.TempDir(), SegmentLength: time.Second,
		RequestKeyframe: room.RequestKeyframe, OnSegment: log.add})
	if err != nil {
		t.Fatal(err)
	}
	detach, err := room.AttachSink(rec)
	if err != nil {
		t.Fatal(err)
	}

	cam := publishCamera(t, room)
	cam.send(1500 * time.Millisecond)
	cam.paused.Store(true) // half a second without video: a gap, not loss
	cam.send(500 * time.Millisecond)
	cam.paused.Store(false)
	cam.send(2 * time.Second)
	time.Sleep(300 * time.Millisecond) // let the last packets through the SFU
	detach()
	rec.Close()

	segs := log.all()
	if len(segs) < 3 {
		t.Fatalf("%d segments for 4 s at 1 s each, want at least 3", len(segs))
	}
	var frames, audio int
	var first, last time.Time
	for i, s := range segs {
		p := parseWebM(t, s.Path)
		checkSegment(t, i, s, p)
		frames += len(p.video)
		audio += p.audioBlocks
		if i == 0 {
			first = s.StartedAt.Add(p.video[0])
		}
		last = s.StartedAt.Add(p.video[len(p.video)-1])
	}
	sent := int(cam.frames.Load())
	// The video clock ran 4 s including the pause; the file spans it from
	// the first frame's time to the last's, plus the last frame.
	span := last.Sub(first) + frameInterval
	t.Logf("%d segments; video %d frames recorded / %d sent, %d keyframes sent; "+
		"audio %d / %d; span %s", len(segs), frames, sent, cam.keyframes.Load(),
		audio, cam.packets.Load(), span)
	if d := frames - sent; d < -1 || d > 0 {
		t.Errorf("recorded %d video frames, sent %d", frames, sent)
	}
	if d := span - 4*time.Second; d < -frameInterval || d > frameInterval {
		t.Errorf("video spans %s, want 4s within one frame", span)
	}
	// Opus before the first keyframe is completed has no segment yet.
	if d := int(cam.packets.Load()) - audio; d < 0 || d > 3 {
		t.Errorf("recorded %d audio packets, sent %d", audio, cam.packets.Load())
	}
}

// checkSegment checks one file against its metadata: tracks, a keyframe
// first, duration written, and the gap kept as a gap.
func checkSegment(t *testing.T, i int, s Segment, p parsedFile) {
	t.Helper()
	if len(p.video) == 0 || !p.keys[0] {
		t.Fatalf("segment %d: %d video blocks, first keyframe=%v", i, len(p.video), len(p.keys) > 0 && p.keys[0])
	}
	if len(p.tracks) != 2 || p.tracks[0].CodecID != "V_VP8" || p.tracks[1].CodecID != "A_OPUS" {
		t.Errorf("segment %d: tracks %+v", i, p.tracks)
	}
	if v := p.tracks[0].Video; v == nil || v.PixelWidth != 320 || v.PixelHeight != 240 {
		t.Errorf("segment %d: video %+v, want 320x240 from the keyframe", i, v)
	}
	lastAt := p.video[len(p.video)-1]
	if d := time.Duration(p.info.Duration) * time.Millisecond; d < lastAt || d > s.Duration+time.Millisecond {
		t.Errorf("segment %d: duration %s, last video frame at %s, metadata %s", i, d, lastAt, s.Duration)
	}
	st, err := os.Stat(s.Path)
	if err != nil || st.Size() != s.Bytes || s.VideoFrames != len(p.video) {
		t.Errorf("segment %d: stat %v, metadata %+v", i, err, s)
	}
	if _, err := os.Stat(MetaPath(s.Path)); err != nil {
		t.Errorf("segment %d: no metadata file: %v", i, err)
	}
	for j := 1; j < len(p.video); j++ {
		step := p.video[j] - p.video[j-1]
		if step <= 0 || (step > frameInterval+2*time.Millisecond && step < 400*time.Millisecond) {
			t.Errorf("segment %d: frame %d is %s after the previous", i, j, step)
		}
	}
}
