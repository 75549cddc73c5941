package media

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestRoomForwardsCameraToEveryViewer(t *testing.T) {
	sfu := newTestSFU(t, nil)
	room := sfu.NewRoom(RoomConfig{ID: "stream-fanout"})
	t.Cleanup(room.Close)
	startTestCamera(t, room)

	viewers := make([]*testViewer, 3)
	for i := range viewers {
		viewers[i] = startTestViewer(t, room, fmt.Sprintf("viewer-%d", i))
	}
	for i, v := range viewers {
		waitFor(t, 5*time.Second, fmt.Sprintf("viewer %d to receive video and audio", i), func() bool {
			return v.video.Load() >= 60 && v.audio.Load() >= 20
		})
		if first := <-v.firstVideo; !first.keyframe {
			t.Errorf("viewer %d: first video packet is not the start of a keyframe", i)
		}
	}
	st := room.Stats()
	if st.Subscribers != 3 || st.Tracks != 2 {
		t.Errorf("stats = %+v, want 3 subscribers and 2 tracks", st)
	}
	if st.PacketsForwarded < 3*80 {
		t.Errorf("forwarded %d packets, want at least %d", st.PacketsForwarded, 3*80)
	}
}

func TestLateViewerGetsKeyframeSoonAfterAnswer(t *testing.T) {
	sfu := newTestSFU(t, nil)
	room := sfu.NewRoom(RoomConfig{ID: "stream-late"})
	t.Cleanup(room.Close)
	cam := startTestCamera(t, room)
	early := startTestViewer(t, room, "early")
	waitFor(t, 5*time.Second, "the early viewer's video", func() bool { return early.video.Load() > 0 })
	// Let the keyframe interval pass so the late viewer's request is sent
	// at once and only interframes flow meanwhile.
	time.Sleep(time.Second)
	plisBefore := cam.plis.Load()

	late := startTestViewer(t, room, "late")
	var first firstPacket
	select {
	case first = <-late.firstVideo:
	case <-time.After(5 * time.Second):
		t.Fatal("late viewer got no video")
	}
	latency := first.at.Sub(late.answered)
	t.Logf("late viewer's first video packet %s after its answer", latency)
	if !first.keyframe {
		t.Error("late viewer's first video packet is not the start of a keyframe")
	}
	if cam.plis.Load() <= plisBefore {
		t.Error("camera got no PLI for the late viewer")
	}
	if latency > time.Second {
		t.Errorf("first frame %s after the answer, want well under 1s", latency)
	}
}

func TestPublisherLimitAcrossRooms(t *testing.T) {
	sfu := newTestSFU(t, func(c *Config) { c.MaxPublishers = 1 })
	first := sfu.NewRoom(RoomConfig{ID: "stream-a"})
	startTestCamera(t, first)

	second := sfu.NewRoom(RoomConfig{ID: "stream-b"})
	t.Cleanup(second.Close)
	cam := newTestCamera(t, clientAPI(t))
	offer := offerOf(t, cam.pc)
	if _, err := second.Publish(context.Background(), offer); !errors.Is(err, ErrTooManyPublishers) {
		t.Fatalf("second publisher: err = %v, want ErrTooManyPublishers", err)
	}
	if _, err := first.Publish(context.Background(), offer); !errors.Is(err, ErrAlreadyPublishing) {
		t.Fatalf("second camera in a room: err = %v, want ErrAlreadyPublishing", err)
	}

	first.Close()
	if n := sfu.Publishers(); n != 0 {
		t.Fatalf("publishers after close = %d, want 0", n)
	}
	if _, err := second.Publish(context.Background(), offer); err != nil {
		t.Fatalf("publish after the first room closed: %v", err)
	}
}

func TestSubscriberLimitAndViewerErrors(t *testing.T) {
	sfu := newTestSFU(t, func(c *Config) { c.MaxSubscribersPerRoom = 2 })
	room := sfu.NewRoom(RoomConfig{ID: "stream-limit"})
	t.Cleanup(room.Close)

	v := newTestViewer(t, clientAPI(t))
	offer := offerOf(t, v.pc)
	if _, err := room.Subscribe(context.Background(), "v0", offer); !errors.Is(err, ErrNotPublishing) {
		t.Fatalf("subscribe without a camera: err = %v, want ErrNotPublishing", err)
	}
	startTestCamera(t, room)
	startTestViewer(t, room, "v1")
	startTestViewer(t, room, "v2")

	cases := []struct {
		id   string
		want error
	}{
		{"v1", ErrViewerExists},
		{"v3", ErrRoomFull},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			if _, err := room.Subscribe(context.Background(), tc.id, offer); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if err := room.Leave("v2"); err != nil {
		t.Fatal(err)
	}
	if err := room.Leave("v2"); !errors.Is(err, ErrUnknownViewer) {
		t.Fatalf("second leave: err = %v, want ErrUnknownViewer", err)
	}
	startTestViewer(t, room, "v3")
}

func TestLeaveRejoinCyclesReleaseGoroutines(t *testing.T) {
	sfu := newTestSFU(t, nil)
	room := sfu.NewRoom(RoomConfig{ID: "stream-cycles"})
	t.Cleanup(room.Close)
	startTestCamera(t, room)
	api := clientAPI(t)

	cycle := func(i int) {
		v := newTestViewer(t, api)
		ans, err := room.Subscribe(context.Background(), "cycler", offerOf(t, v.pc))
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		setAnswer(t, v.pc, ans)
		waitFor(t, 5*time.Second, "video", func() bool { return v.video.Load() > 0 })
		if err := room.Leave("cycler"); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		v.close()
	}
	cycle(-1) // warm up pools and timers pion starts once
	base := settledGoroutines(0)
	for i := range 20 {
		cycle(i)
	}
	after := settledGoroutines(base + 3)
	t.Logf("goroutines: %d before 20 cycles, %d after", base, after)
	if after > base+3 {
		t.Fatalf("goroutines grew from %d to %d over 20 join/leave cycles", base, after)
	}
	if st := room.Stats(); st.Subscribers != 0 {
		t.Fatalf("subscribers after the cycles = %d, want 0", st.Subscribers)
	}
}

// settledGoroutines waits up to 3s for the count to fall to target (0: just
// let it settle) and returns it.
func settledGoroutines(target int) int {
	deadline := time.Now().Add(3 * time.Second)
	n := runtime.NumGoroutine()
	for time.Now().Before(deadline) && (target == 0 || n > target) {
		time.Sleep(100 * time.Millisecond)
		n = runtime.NumGoroutine()
		if target == 0 && time.Until(deadline) < 2*time.Second {
			break
		}
	}
	return n
}

func TestCandidatesBeforeOfferConnectPeers(t *testing.T) {
	sfu := newTestSFU(t, nil)
	room := sfu.NewRoom(RoomConfig{ID: "stream-trickle"})
	t.Cleanup(room.Close)
	api := clientAPI(t)

	cam := newTestCamera(t, api)
	offer := trickleFirst(t, cam.pc, room.AddPublisherCandidate)
	ans, err := room.Publish(context.Background(), offer)
	if err != nil {
		t.Fatal(err)
	}
	// Without the SFU's candidates the camera can only answer the SFU's
	// checks, which the SFU sends only to the trickled candidates.
	setAnswer(t, cam.pc, withoutCandidates(ans))
	cam.start()

	v := newTestViewer(t, api)
	offer = trickleFirst(t, v.pc, func(c webrtc.ICECandidateInit) error {
		return room.AddSubscriberCandidate("trickler", c)
	})
	ans, err = room.Subscribe(context.Background(), "trickler", offer)
	if err != nil {
		t.Fatal(err)
	}
	setAnswer(t, v.pc, withoutCandidates(ans))
	waitFor(t, 5*time.Second, "video through trickled candidates", func() bool {
		return v.video.Load() >= 10
	})
}

// trickleFirst sends a peer's candidates through add and returns its
// offer without them, as a trickling client whose candidates overtake the
// offer would.
func trickleFirst(t *testing.T, pc *webrtc.PeerConnection,
	add func(webrtc.ICECandidateInit) error,
) string {
	t.Helper()
	sdp := offerOf(t, pc)
	sent := 0
	for _, line := range splitLines(sdp) {
		if strings.HasPrefix(line, "a=candidate:") {
			mid, idx := "0", uint16(0)
			if err := add(webrtc.ICECandidateInit{Candidate: line[2:], SDPMid: &mid,
				SDPMLineIndex: &idx}); err != nil {
				t.Fatalf("add candidate: %v", err)
			}
			sent++
		}
	}
	if sent == 0 {
		t.Fatal("the peer gathered no candidate")
	}
	return withoutCandidates(sdp)
}

func TestCameraLeavingIsReportedAndReleasesItsSlot(t *testing.T) {
	sfu := newTestSFU(t, nil)
	events := make(chan Event, 16)
	room := sfu.NewRoom(RoomConfig{ID: "stream-leave", OnEvent: func(e Event) { events <- e }})
	t.Cleanup(room.Close)
	cam := startTestCamera(t, room)
	waitForEvent(t, events, RolePublisher, PeerConnected)

	cam.close()
	waitForEvent(t, events, RolePublisher, PeerClosed)
	if n := sfu.Publishers(); n != 0 {
		t.Fatalf("publishers after the camera left = %d, want 0", n)
	}
}

func waitForEvent(t *testing.T, events <-chan Event, role Role, state PeerState) {
	t.Helper()
	timeout := time.After(40 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Role == role && e.State == state {
				return
			}
		case <-timeout:
			t.Fatalf("no %s %s event", role, state)
		}
	}
}

// countingSink counts packets per track kind and keeps the codecs seen.
type countingSink struct {
	mu     sync.Mutex
	counts map[webrtc.RTPCodecType]int
	mimes  map[string]bool
}

func (s *countingSink) WriteRTP(track TrackInfo, _ *rtp.Packet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[track.Kind]++
	s.mimes[track.Codec.MimeType] = true
}

func (s *countingSink) count(k webrtc.RTPCodecType) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[k]
}

func TestSinkGetsCameraPacketsAndCanAskForKeyframe(t *testing.T) {
	sfu := newTestSFU(t, nil)
	room := sfu.NewRoom(RoomConfig{ID: "stream-sink"})
	t.Cleanup(room.Close)
	cam := startTestCamera(t, room)
	sink := &countingSink{counts: map[webrtc.RTPCodecType]int{}, mimes: map[string]bool{}}
	detach, err := room.AttachSink(sink)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "sink packets", func() bool {
		return sink.count(webrtc.RTPCodecTypeVideo) >= 30 && sink.count(webrtc.RTPCodecTypeAudio) >= 10
	})
	sink.mu.Lock()
	if !sink.mimes[webrtc.MimeTypeVP8] || !sink.mimes[webrtc.MimeTypeOpus] {
		t.Errorf("sink saw codecs %v, want VP8 and Opus", sink.mimes)
	}
	sink.mu.Unlock()

	time.Sleep(DefaultKeyframeInterval)
	before := cam.plis.Load()
	room.RequestKeyframe()
	waitFor(t, 2*time.Second, "a PLI at the camera", func() bool { return cam.plis.Load() > before })

	detach()
	n := sink.count(webrtc.RTPCodecTypeVideo)
	time.Sleep(200 * time.Millisecond)
	if got := sink.count(webrtc.RTPCodecTypeVideo); got != n {
		t.Fatalf("sink got %d packets after detach", got-n)
	}
}

// splitLines splits an SDP into its lines.
func splitLines(sdp string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(sdp); i++ {
		if sdp[i] == '\r' && sdp[i+1] == '\n' {
			out = append(out, sdp[start:i])
			start = i + 2
		}
	}
	return out
}
