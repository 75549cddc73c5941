package record

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/mediatest"
	"github.com/vigil-oss/vigil/media/record/recordtest"
)

func TestRecorderWritesH264AndOpusAsFragmentedMP4SegmentsAtKeyframes(t *testing.T) {
	sfu := testSFU(t)
	room := sfu.NewRoom(media.RoomConfig{ID: "record-h264"})
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
	audio := mediatest.OpusClip(t)
	pub := mediatest.NewPublisher(t, mediatest.H264Clip(t), &audio)
	answer, err := room.Publish(context.Background(), pub.Offer(t))
	if err != nil {
		t.Fatal(err)
	}
	pub.Connect(t, answer)
	pub.Send(3 * time.Second)
	time.Sleep(300 * time.Millisecond) // let the last packets through the SFU
	detach()
	rec.Close()

	segs := log.all()
	if len(segs) < 2 {
		t.Fatalf("%d segments for 3 s at 1 s each, want at least 2", len(segs))
	}
	var frames, keys, audioFrames int
	var first, last time.Time
	for i, s := range segs {
		f := recordtest.MP4(t, s.Path)
		if s.Codec != "h264+opus" || len(f.Codecs) != 2 || f.Codecs[0] != "avc1" ||
			f.Codecs[1] != "Opus" || f.Width != mediatest.ClipWidth || f.Height != mediatest.ClipHeight {
			t.Fatalf("segment %d: %s, %+v; want 320x240 avc1 and Opus", i, s.Codec, f)
		}
		if len(f.Video) == 0 || !f.Keyframe[0] {
			t.Fatalf("segment %d: %d frames, first a keyframe: %v", i, len(f.Video), f.Keyframe)
		}
		// The clip has a keyframe every 15 frames, and each starts a fragment.
		if f.Fragments < len(f.Video)/15 {
			t.Errorf("segment %d: %d fragments for %d frames", i, f.Fragments, len(f.Video))
		}
		if d := f.Duration - (f.VideoSpan() + mediatest.ClipFrameInterval); d < -2*time.Millisecond ||
			d > 2*time.Millisecond {
			t.Errorf("segment %d lasts %s, its frames span %s plus one", i, f.Duration, f.VideoSpan())
		}
		if s.VideoFrames != len(f.Video) || s.AudioFrames != f.AudioFrames {
			t.Errorf("segment %d: metadata %+v, file %d frames and %d packets", i, s, len(f.Video),
				f.AudioFrames)
		}
		if i == 0 {
			first = s.StartedAt.Add(f.Video[0])
		}
		last = s.StartedAt.Add(f.Video[len(f.Video)-1])
		frames += len(f.Video)
		audioFrames += f.AudioFrames
		for j, k := range f.Keyframe {
			if k {
				keys++
			}
			if j > 0 {
				if step := f.Video[j] - f.Video[j-1]; step < frameInterval-2*time.Millisecond ||
					step > frameInterval+2*time.Millisecond {
					t.Errorf("segment %d: frame %d is %s after the previous", i, j, step)
				}
			}
		}
	}
	sent := int(pub.Frames.Load())
	span := last.Sub(first) + mediatest.ClipFrameInterval
	t.Logf("%d segments; %d frames (%d keyframes) of %d sent (%d keyframes); audio %d of %d; span %s",
		len(segs), frames, keys, sent, pub.Keyframes.Load(), audioFrames, pub.AudioPackets.Load(), span)
	if d := frames - sent; d < -1 || d > 0 {
		t.Errorf("recorded %d frames, sent %d", frames, sent)
	}
	if d := span - time.Duration(sent)*mediatest.ClipFrameInterval; d < -frameInterval || d > frameInterval {
		t.Errorf("recorded video spans %s, sent %d frames", span, sent)
	}
	if d := int(pub.AudioPackets.Load()) - audioFrames; d < 0 || d > 5 {
		t.Errorf("recorded %d audio packets, sent %d", audioFrames, pub.AudioPackets.Load())
	}
}

// A camera's access units are whatever its packets held: reading them
// must never panic, and a sample keeps every NAL unit but parameter sets
// and delimiters, each behind its length.
func FuzzH264AccessUnit(f *testing.F) {
	for _, frame := range mediatest.H264Clip(f).Frames[:3] {
		f.Add(frame)
	}
	f.Add([]byte{0, 0, 1})
	f.Add([]byte{0, 0, 0, 1, 0x67, 0, 0, 1})
	f.Fuzz(func(t *testing.T, frame []byte) {
		sps, _ := h264Params(frame)
		if sps != nil {
			// Only bounded parameter sets reach mp4ff's parser.
			h264Size(sps, 1, 1)
		}
		isH264Keyframe(frame)
		sample := avcSample(frame)
		for len(sample) > 0 {
			if len(sample) < 5 {
				t.Fatalf("sample ends in %d stray bytes", len(sample))
			}
			n := int(binary.BigEndian.Uint32(sample))
			if n == 0 || 4+n > len(sample) {
				t.Fatalf("NAL unit length %d in %d bytes", n, len(sample))
			}
			if typ := sample[4] & 0x1f; typ == 7 || typ == 8 || typ == 9 {
				t.Fatalf("sample keeps a NAL unit of type %d", typ)
			}
			sample = sample[4+n:]
		}
	})
}
