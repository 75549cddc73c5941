package record

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/vigil-oss/vigil/media"
)

// DefaultSegmentLength is the length after which a segment ends at the
// next keyframe, the default: a crash loses at most this much.
const DefaultSegmentLength = 60 * time.Second

// maxLatePackets is how many packets the VP8 sample builder holds while
// waiting for a missing one before it gives the frame up: about half a
// second of a 1.5 Mbps camera, longer than a NACK round trip on loopback
// or a LAN.
const maxLatePackets = 256

// keyframeRequestEvery throttles the recorder's own keyframe requests;
// the room throttles them again for the camera.
const keyframeRequestEvery = 500 * time.Millisecond

// refusedWait is how long after MayStart refused a segment the recorder
// skips frames without asking for keyframes or asking MayStart again: a
// full disk is not freed within a frame.
const refusedWait = 5 * time.Second

// Default picture size written when a keyframe's header cannot be read;
// players take the real size from the bitstream.
const (
	defaultWidth  = 640
	defaultHeight = 480
)

// Config is what a Recorder needs.
type Config struct {
	// Dir receives the segment files; it is created if missing.
	Dir string
	// SegmentLength is how long a segment runs before the next keyframe
	// ends it; zero means DefaultSegmentLength.
	SegmentLength time.Duration
	// RequestKeyframe asks the camera for a keyframe (Room.RequestKeyframe).
	RequestKeyframe func()
	// OnSegment is told of each finished segment, on the goroutine that
	// wrote it; it must not block.
	OnSegment func(Segment)
	// MayStart, when set, is asked before each segment starts; when it
	// says no, nothing is recorded until a keyframe after refusedWait asks
	// again. The worker uses it to bound the disk the recordings take.
	MayStart func() bool
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Recorder writes a camera's VP8 and Opus tracks to WebM segments, or its
// H.264 and Opus tracks to fragmented MP4 segments. It is a media.Sink;
// Close finishes the segment in progress.
type Recorder struct {
	cfg Config
	log *slog.Logger

	// mu guards everything below: the room's sink goroutine writes while
	// the owner may close.
	mu       sync.Mutex
	closed   bool
	origin   time.Time
	video    *videoTrack
	audio    *audioTrack
	seg      segmentWriter
	segStart time.Duration
	askedAt  time.Time
	skipped  int
	// refusedAt is when MayStart last refused a segment.
	refusedAt time.Time
}

type videoTrack struct {
	ssrc    uint32
	h264    bool
	clock   trackClock
	builder *samplebuilder.SampleBuilder
	needKey bool
	width   int
	height  int
	// sps and pps are the latest H.264 parameter sets; segSPS and segPPS
	// those the current segment was opened with.
	sps, pps       []byte
	segSPS, segPPS []byte
}

// segmentWriter is a segment file being written, in either container.
type segmentWriter interface {
	writeVideo(offset time.Duration, key bool, data []byte) error
	writeAudio(offset time.Duration, data []byte) error
	hasAudio() bool
	finish() (Segment, error)
}

type audioTrack struct {
	ssrc  uint32
	clock trackClock
}

// New makes a recorder writing into cfg.Dir.
func New(cfg Config) (*Recorder, error) {
	if cfg.SegmentLength <= 0 {
		cfg.SegmentLength = DefaultSegmentLength
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RequestKeyframe == nil {
		cfg.RequestKeyframe = func() {}
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create recordings dir %q: %w", cfg.Dir, err)
	}
	return &Recorder{cfg: cfg, log: cfg.Logger}, nil
}

// WriteRTP takes one packet of the camera's tracks. Packets of codecs
// other than VP8, H.264 and Opus are ignored.
func (r *Recorder) WriteRTP(track media.TrackInfo, p *rtp.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	now := r.cfg.Now()
	if r.origin.IsZero() {
		r.origin = now
	}
	switch {
	case strings.EqualFold(track.Codec.MimeType, webrtc.MimeTypeVP8),
		strings.EqualFold(track.Codec.MimeType, webrtc.MimeTypeH264):
		r.videoPacket(track, p, now.Sub(r.origin))
	case strings.EqualFold(track.Codec.MimeType, webrtc.MimeTypeOpus):
		r.audioPacket(track, p, now.Sub(r.origin))
	}
}

func (r *Recorder) videoPacket(track media.TrackInfo, p *rtp.Packet, at time.Duration) {
	if r.video == nil {
		r.video = newVideoTrack(track)
	}
	if track.SSRC != r.video.ssrc {
		return
	}
	r.video.clock.start(p.Timestamp, at, track.Codec.ClockRate)
	r.video.builder.Push(p)
	for s := r.video.builder.Pop(); s != nil; s = r.video.builder.Pop() {
		r.videoFrame(s)
	}
}

func newVideoTrack(track media.TrackInfo) *videoTrack {
	v := &videoTrack{ssrc: track.SSRC, width: defaultWidth, height: defaultHeight,
		h264: strings.EqualFold(track.Codec.MimeType, webrtc.MimeTypeH264)}
	var depacketizer rtp.Depacketizer = &codecs.VP8Packet{}
	if v.h264 {
		depacketizer = &codecs.H264Packet{}
	}
	v.builder = samplebuilder.New(maxLatePackets, depacketizer, track.Codec.ClockRate)
	return v
}

// keyframe reads what a frame says of itself: whether decoding may start
// there, and the picture size (and parameter sets) a keyframe carries.
func (v *videoTrack) keyframe(frame []byte) bool {
	if !v.h264 {
		key := isVP8Keyframe(frame)
		if key {
			v.width, v.height = vp8Size(frame, v.width, v.height)
		}
		return key
	}
	if sps, pps := h264Params(frame); sps != nil || pps != nil {
		if sps != nil {
			v.sps = sps
			v.width, v.height = h264Size(sps, v.width, v.height)
		}
		if pps != nil {
			v.pps = pps
		}
	}
	// An IDR is only a starting point once both parameter sets are known.
	return isH264Keyframe(frame) && v.sps != nil && v.pps != nil
}

// paramsChanged reports whether an H.264 keyframe brings parameter sets
// other than the segment's, which its avc1 sample entry cannot describe.
func (v *videoTrack) paramsChanged() bool {
	return v.h264 && !sameParams(v.sps, v.pps, v.segSPS, v.segPPS)
}

func (r *Recorder) audioPacket(track media.TrackInfo, p *rtp.Packet, at time.Duration) {
	if r.audio == nil {
		r.audio = &audioTrack{ssrc: track.SSRC}
	}
	if track.SSRC != r.audio.ssrc || len(p.Payload) == 0 {
		return
	}
	r.audio.clock.start(p.Timestamp, at, track.Codec.ClockRate)
	pos := r.audio.clock.at(p.Timestamp)
	if r.seg == nil || pos < r.segStart {
		return
	}
	r.check(r.seg.writeAudio(pos-r.segStart, p.Payload))
}

// videoFrame writes one rebuilt frame. After a lost frame, interframes
// would not decode, so they are skipped until the next keyframe; their
// time stays a gap in the file.
func (r *Recorder) videoFrame(s *pionmedia.Sample) {
	v := r.video
	pos := v.clock.at(s.PacketTimestamp)
	key := v.keyframe(s.Data)
	if s.PrevDroppedPackets > 0 {
		v.needKey = true
	}
	if key {
		v.needKey = false
	}
	if r.seg == nil && !r.refusedAt.IsZero() && r.cfg.Now().Sub(r.refusedAt) < refusedWait {
		r.skipped++
		return
	}
	if v.needKey || (r.seg == nil && !key) {
		r.skipped++
		r.askKeyframe()
		return
	}
	if r.seg == nil || (key && r.shouldCut(pos)) {
		r.cut(pos)
		if r.seg == nil {
			return
		}
	} else if pos-r.segStart >= r.cfg.SegmentLength {
		r.askKeyframe()
	}
	r.check(r.seg.writeVideo(pos-r.segStart, key, s.Data))
}

// shouldCut reports whether a keyframe at pos starts a new segment: the
// segment is long enough, an audio track came after it began, or the
// H.264 parameter sets changed.
func (r *Recorder) shouldCut(pos time.Duration) bool {
	return pos-r.segStart >= r.cfg.SegmentLength || (r.audio != nil && !r.seg.hasAudio()) ||
		r.video.paramsChanged()
}

// cut finishes the current segment and starts one at pos.
func (r *Recorder) cut(pos time.Duration) {
	r.finish()
	if r.cfg.MayStart != nil && !r.cfg.MayStart() {
		r.refusedAt = r.cfg.Now()
		return
	}
	r.refusedAt = time.Time{}
	seg, err := r.open(r.origin.Add(pos))
	if err != nil {
		r.log.Warn("recording segment not started", "err", err)
		return
	}
	r.seg, r.segStart = seg, pos
}

// open starts a segment file in the container of the video's codec.
func (r *Recorder) open(start time.Time) (segmentWriter, error) {
	v := r.video
	if v.h264 {
		v.segSPS, v.segPPS = v.sps, v.pps
		return openMP4Segment(r.cfg.Dir, start, v.sps, v.pps, r.audio != nil)
	}
	return openSegment(r.cfg.Dir, start, v.width, v.height, r.audio != nil)
}

// finish closes the current segment and reports it.
func (r *Recorder) finish() {
	if r.seg == nil {
		return
	}
	seg := r.seg
	r.seg = nil
	m, err := seg.finish()
	if err != nil {
		r.log.Warn("recording segment lost", "err", err)
		return
	}
	r.log.Info("recording segment finished", "segment", m.Name, "bytes", m.Bytes,
		"durationMs", m.Duration.Milliseconds())
	if r.cfg.OnSegment != nil {
		r.cfg.OnSegment(m)
	}
}

// check drops a segment whose writer failed, so the next keyframe starts
// a fresh one.
func (r *Recorder) check(err error) {
	if err == nil {
		return
	}
	r.log.Warn("recording segment failed", "err", err)
	r.finish()
}

func (r *Recorder) askKeyframe() {
	now := r.cfg.Now()
	if now.Sub(r.askedAt) < keyframeRequestEvery {
		return
	}
	r.askedAt = now
	r.cfg.RequestKeyframe()
}

// Close finishes the segment in progress with the frames already complete
// and stops the recorder. Detach it from the room first.
func (r *Recorder) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	if r.video != nil {
		r.video.builder.Flush()
		for s := r.video.builder.Pop(); s != nil; s = r.video.builder.Pop() {
			r.videoFrame(s)
		}
	}
	r.finish()
}

// isVP8Keyframe reads the P bit of the VP8 frame tag: 0 is a keyframe
// (RFC 6386 §9.1).
func isVP8Keyframe(frame []byte) bool {
	return len(frame) > 0 && frame[0]&0x01 == 0
}

// vp8Size reads a keyframe's picture size after its start code
// 9d 01 2a (RFC 6386 §9.1), or keeps w and h when it is not there.
func vp8Size(frame []byte, w, h int) (int, int) {
	if len(frame) < 10 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return w, h
	}
	return int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff),
		int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff)
}
