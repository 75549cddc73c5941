package actors

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/persistence"
)

// fakeRoom stands in for a media.Room: it hands the test the sink.
type fakeRoom struct {
	mu        sync.Mutex
	sink      media.Sink
	attached  int
	detached  int
	keyframes atomic.Int64
}

func (r *fakeRoom) AttachSink(s media.Sink) (func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sink = s
	r.attached++
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.sink = nil
		r.detached++
	}, nil
}

func (r *fakeRoom) RequestKeyframe() { r.keyframes.Add(1) }

func (r *fakeRoom) counts() (attached, detached int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attached, r.detached
}

// vp8Feed makes one-packet VP8 frames 30 times a second of RTP time.
type vp8Feed struct {
	seq uint16
	ts  uint32
}

var vp8Track = media.TrackInfo{Kind: webrtc.RTPCodecTypeVideo, SSRC: 1,
	Codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}

func (f *vp8Feed) send(r *fakeRoom, key bool, n int) {
	for range n {
		frame := []byte{0x10, 0x11, 0, 0, 0, 0, 0, 0} // descriptor S=1, interframe tag
		if key {
			frame[1], key = 0x10, false
		}
		p := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: f.seq,
			Timestamp: f.ts, SSRC: 1}, Payload: frame}
		f.seq++
		f.ts += 3000
		r.mu.Lock()
		s := r.sink
		r.mu.Unlock()
		if s != nil {
			s.WriteRTP(vp8Track, p)
		}
	}
}

// recordingParent stands for the stream actor: it supervises the worker
// and answers pings, to show it outlives the worker's panic.
type recordingParent struct {
	props *actor.Props
}

type ping struct{}

func (p *recordingParent) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		ctx.Spawn(p.props)
	case *ping:
		ctx.Respond(&Done{})
	}
}

func TestRecordingWorkerPanicIsContainedAndResumesAtNextKeyframe(t *testing.T) {
	var (
		segs    []RecordedSegment
		segsMu  sync.Mutex
		explode atomic.Bool
	)
	cfg := &RecordingConfig{Dir: t.TempDir(), SegmentLength: time.Minute,
		OnSegment: func(s RecordedSegment) {
			segsMu.Lock()
			defer segsMu.Unlock()
			segs = append(segs, s)
		},
		beforeWrite: func() {
			if explode.Swap(false) {
				panic("injected recorder failure")
			}
		}}
	room := &fakeRoom{}
	stream := persistence.Stream{ID: "s1", CameraDeviceID: "cam"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sys := actor.NewActorSystem()
	t.Cleanup(sys.Shutdown)
	parent, err := sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &recordingParent{props: recordingProps(cfg, room, stream, log)}
	}, actor.WithSupervisor(recordingSupervision())), "stream-s1")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the worker to attach", func() bool { a, _ := room.counts(); return a == 1 })

	var feed vp8Feed
	feed.send(room, true, 30)
	time.Sleep(100 * time.Millisecond)
	explode.Store(true)
	feed.send(room, false, 1)
	waitUntil(t, "the worker to restart", func() bool { a, d := room.counts(); return a == 2 && d == 1 })
	if _, err := sys.Root.RequestFuture(parent, &ping{}, time.Second).Result(); err != nil {
		t.Fatalf("the parent did not outlive the worker's panic: %v", err)
	}

	before := room.keyframes.Load()
	feed.send(room, false, 10) // undecodable without a keyframe: skipped
	feed.send(room, true, 20)
	waitUntil(t, "a keyframe request from the new worker", func() bool {
		return room.keyframes.Load() > before
	})
	time.Sleep(100 * time.Millisecond)
	if err := sys.Root.StopFuture(parent).Wait(); err != nil {
		t.Fatal(err)
	}

	segsMu.Lock()
	defer segsMu.Unlock()
	if len(segs) != 2 {
		t.Fatalf("%d segments, want the one cut by the panic and the one after", len(segs))
	}
	t.Logf("segments: %d and %d frames", segs[0].Segment.VideoFrames, segs[1].Segment.VideoFrames)
	// The first keeps the frames written before the panic; the second
	// starts at the keyframe after the restart (the last frame waits in
	// the sample builder and is flushed on close).
	if n := segs[0].Segment.VideoFrames; n < 29 || n > 30 {
		t.Errorf("first segment has %d frames, want the 30 sent before the panic", n)
	}
	if n := segs[1].Segment.VideoFrames; n < 19 || n > 20 {
		t.Errorf("second segment has %d frames, want the 20 from its keyframe on", n)
	}
	for _, s := range segs {
		if _, err := os.Stat(s.Segment.Path); err != nil {
			t.Errorf("segment file: %v", err)
		}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
