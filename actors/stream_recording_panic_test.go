package actors

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/mediatest"
	"github.com/vigil-oss/vigil/media/record/recordtest"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// countingViewer is a pion viewer that counts the video packets it gets.
type countingViewer struct {
	pc      *webrtc.PeerConnection
	packets atomic.Int64
}

func newCountingViewer(t *testing.T) *countingViewer {
	t.Helper()
	pc, err := mediatest.LoopbackAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	v := &countingViewer{pc: pc}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			v.packets.Add(1)
		}
	})
	return v
}

func TestRecordingWorkerPanicLeavesTheStreamLiveAndResumesAtTheNextKeyframe(t *testing.T) {
	pool, _ := pgtest.New(t)
	devices, streams := persistence.NewDevices(pool), persistence.NewStreams(pool)
	sfu, err := media.New(media.Config{ICEIPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		MaxPublishers: 2, MaxSubscribersPerRoom: 2, TrackSettle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sfu.Close() })
	var (
		mu      sync.Mutex
		segs    []RecordedSegment
		explode atomic.Bool
	)
	rc := &RecordingConfig{Dir: t.TempDir(), SegmentLength: time.Minute,
		OnSegment: func(s RecordedSegment) { mu.Lock(); segs = append(segs, s); mu.Unlock() },
		beforeWrite: func() {
			if explode.Swap(false) {
				panic("injected recorder failure")
			}
		}}
	sys := New(Config{Store: devices, Commands: persistence.NewCommands(pool),
		Events: persistence.NewEvents(pool), Streams: streams, SFU: sfu, Recording: rc,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(sys.Shutdown)
	cam := newDevice(t, pool, devices)
	ctx := context.Background()
	cliID := newClient(t, devices)
	s, err := streams.CreateStream(ctx, persistence.NewStream{UserID: "u1", CameraDeviceID: cam,
		RequesterDeviceID: cliID, MediaMode: MediaModeSFU, CreatedAt: time.Now(),
		RequestExpiresAt: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(msg any) any {
		t.Helper()
		res, err := sys.Ask(KindStream, string(s.ID), msg, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := res.(*StreamRefused); ok {
			t.Fatalf("%T refused: %+v", msg, r)
		}
		return res
	}
	ask(&AcceptStream{DeviceID: cam})
	audio := mediatest.OpusClip(t)
	pub := mediatest.NewPublisher(t, mediatest.VP8Clip(t), &audio)
	pub.Connect(t, ask(&PublishOffer{DeviceID: cam, SDP: pub.Offer(t)}).(*SDPAnswer).SDP)
	sent := make(chan struct{})
	go func() { defer close(sent); pub.Send(1200 * time.Millisecond) }()
	// A viewer may subscribe once the camera's tracks have arrived.
	viewer := newCountingViewer(t)
	offer := mediatest.GatheredOffer(t, viewer.pc)
	var answer *SDPAnswer
	for deadline := time.Now().Add(5 * time.Second); answer == nil; {
		res, err := sys.Ask(KindStream, string(s.ID), &SubscribeOffer{DeviceID: cliID, Via: ViaSFU,
			SDP: offer}, 10*time.Second)
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("subscribe: %+v, %v", res, err)
		}
		answer, _ = res.(*SDPAnswer)
		time.Sleep(50 * time.Millisecond)
	}
	mediatest.ApplyAnswer(t, viewer.pc, answer.SDP)
	<-sent
	explode.Store(true)
	panicAt := time.Now()
	seen := viewer.packets.Load()
	pub.Send(2 * time.Second)
	after := viewer.packets.Load() - seen
	if explode.Load() {
		t.Fatal("no packet reached the recording worker after the failure was armed")
	}
	if st := streamStatus(t, sys, s.ID); st.Status != persistence.StreamStreaming {
		t.Fatalf("stream is %s after the worker's panic, want streaming", st.Status)
	}
	// 2 s of the clip is 60 frames of at least one packet each.
	if after < 60 {
		t.Fatalf("viewer got %d packets in the 2 s after the panic, want the stream to go on", after)
	}
	time.Sleep(300 * time.Millisecond) // the last packets cross the SFU
	ask(&EndStream{DeviceID: cam})

	mu.Lock()
	defer mu.Unlock()
	if len(segs) != 2 {
		t.Fatalf("%d segments, want the one the panic closed and the one after the restart", len(segs))
	}
	first, second := recordtest.WebM(t, segs[0].Segment.Path), recordtest.WebM(t, segs[1].Segment.Path)
	resumed := segs[1].Segment.StartedAt.Sub(panicAt)
	t.Logf("before the panic %d frames; after it %d frames from %s later; sent %d; viewer %d packets after",
		len(first.Video), len(second.Video), resumed, pub.Frames.Load(), after)
	if len(first.Video) < 30 || !first.Keyframe[0] {
		t.Errorf("the segment before the panic has %d frames", len(first.Video))
	}
	if len(second.Video) == 0 || !second.Keyframe[0] {
		t.Fatalf("the segment after the restart has %d frames and starts with a keyframe: %v",
			len(second.Video), second.Keyframe)
	}
	// The clip's keyframes come every 15 frames (0.5 s): the worker
	// resumes at the first one after its restart.
	if resumed < 0 || resumed > 600*time.Millisecond {
		t.Errorf("recording resumed %s after the panic, want at the next keyframe", resumed)
	}
	lost := int(pub.Frames.Load()) - len(first.Video) - len(second.Video)
	if lost < 1 || lost > 16 {
		t.Errorf("%d frames missing from the recording, want those up to the next keyframe", lost)
	}
}
