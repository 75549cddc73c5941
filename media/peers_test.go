package media

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/vigil-oss/vigil/media/mediatest"
)

// Test stream shape: 30 frames a second of 6,250 bytes is 1.5 Mbps.
const (
	testFrameInterval = time.Second / 30
	testFrameBytes    = 6250
	testAudioInterval = 20 * time.Millisecond
)

// newTestSFU builds an SFU on loopback with short timings; change adjusts
// the config first.
func newTestSFU(t testing.TB, change func(*Config)) *SFU {
	t.Helper()
	cfg := Config{
		ICEIPs:                []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		MaxPublishers:         4,
		MaxSubscribersPerRoom: 8,
		TrackWait:             3 * time.Second,
		TrackSettle:           500 * time.Millisecond,
	}
	if change != nil {
		change(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// clientAPI builds the API of a browser-like test peer on loopback.
func clientAPI(t testing.TB) *webrtc.API { return mediatest.LoopbackAPI(t) }

// offerOf creates the peer's offer and waits for its candidates.
func offerOf(t testing.TB, pc *webrtc.PeerConnection) string {
	return mediatest.GatheredOffer(t, pc)
}

// setAnswer applies the SFU's answer.
func setAnswer(t testing.TB, pc *webrtc.PeerConnection, sdp string) {
	mediatest.ApplyAnswer(t, pc, sdp)
}

// testCamera publishes a synthetic VP8 video track (a keyframe first and
// whenever a PLI comes, interframes otherwise) and an Opus audio track.
type testCamera struct {
	pc        *webrtc.PeerConnection
	video     *webrtc.TrackLocalStaticSample
	audio     *webrtc.TrackLocalStaticSample
	plis      atomic.Int64
	wantKey   atomic.Bool
	keyframes atomic.Int64
	stop      chan struct{}
	done      sync.WaitGroup
	stopOnce  sync.Once
}

// newTestCamera makes the camera's peer connection and tracks.
func newTestCamera(t testing.TB, api *webrtc.API) *testCamera {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &testCamera{pc: pc, stop: make(chan struct{})}
	c.wantKey.Store(true)
	c.video, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "camera")
	if err != nil {
		t.Fatal(err)
	}
	c.audio, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "camera")
	if err != nil {
		t.Fatal(err)
	}
	vs := addSendTrack(t, pc, c.video)
	addSendTrack(t, pc, c.audio)
	c.done.Add(1)
	go c.readPLI(vs)
	t.Cleanup(c.close)
	return c
}

func addSendTrack(t testing.TB, pc *webrtc.PeerConnection, tr webrtc.TrackLocal) *webrtc.RTPSender {
	t.Helper()
	tx, err := pc.AddTransceiverFromTrack(tr,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	return tx.Sender()
}

// startTestCamera publishes a camera to the room and starts its frames.
func startTestCamera(t testing.TB, room *Room) *testCamera {
	t.Helper()
	c := newTestCamera(t, clientAPI(t))
	ans, err := room.Publish(context.Background(), offerOf(t, c.pc))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	setAnswer(t, c.pc, ans)
	c.start()
	return c
}

// start sends frames until close.
func (c *testCamera) start() {
	c.done.Add(2)
	go c.sendVideo()
	go c.sendAudio()
}

func (c *testCamera) readPLI(s *webrtc.RTPSender) {
	defer c.done.Done()
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if _, ok := p.(*rtcp.PictureLossIndication); ok {
				c.plis.Add(1)
				c.wantKey.Store(true)
			}
		}
	}
}

// sendVideo writes VP8 frames whose first byte carries the P bit of the
// VP8 payload header: 0 for a keyframe, 1 for an interframe.
func (c *testCamera) sendVideo() {
	defer c.done.Done()
	tick := time.NewTicker(testFrameInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		frame := make([]byte, testFrameBytes)
		frame[0] = 0x11
		if c.wantKey.Swap(false) {
			frame[0] = 0x10
			c.keyframes.Add(1)
		}
		_ = c.video.WriteSample(media.Sample{Data: frame, Duration: testFrameInterval})
	}
}

func (c *testCamera) sendAudio() {
	defer c.done.Done()
	tick := time.NewTicker(testAudioInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		_ = c.audio.WriteSample(media.Sample{Data: make([]byte, 80), Duration: testAudioInterval})
	}
}

// close stops the frames and the peer connection.
func (c *testCamera) close() {
	c.stopOnce.Do(func() {
		close(c.stop)
		_ = c.pc.Close()
		c.done.Wait()
	})
}

// testViewer receives a room's tracks and counts what comes.
type testViewer struct {
	pc         *webrtc.PeerConnection
	video      atomic.Int64
	audio      atomic.Int64
	answered   time.Time
	firstVideo chan firstPacket
	done       sync.WaitGroup
}

// firstPacket is what a viewer saw of its first video packet.
type firstPacket struct {
	at       time.Time
	keyframe bool
}

// newTestViewer makes a viewer whose offer receives video and audio.
func newTestViewer(t testing.TB, api *webrtc.API) *testViewer {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v := &testViewer{pc: pc, firstVideo: make(chan firstPacket, 1)}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		_, err := pc.AddTransceiverFromKind(k,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		if err != nil {
			t.Fatal(err)
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		v.done.Add(1)
		go v.read(tr)
	})
	t.Cleanup(v.close)
	return v
}

// startTestViewer subscribes a new viewer to the room.
func startTestViewer(t testing.TB, room *Room, id string) *testViewer {
	t.Helper()
	v := newTestViewer(t, clientAPI(t))
	ans, err := room.Subscribe(context.Background(), id, offerOf(t, v.pc))
	if err != nil {
		t.Fatalf("Subscribe %s: %v", id, err)
	}
	setAnswer(t, v.pc, ans)
	v.answered = time.Now()
	return v
}

func (v *testViewer) read(tr *webrtc.TrackRemote) {
	defer v.done.Done()
	first := true
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			v.audio.Add(1)
			continue
		}
		v.video.Add(1)
		if first {
			first = false
			v.firstVideo <- firstPacket{at: time.Now(), keyframe: isVP8KeyframeStart(p.Payload)}
		}
	}
}

// isVP8KeyframeStart decodes the descriptor with pion's parser, apart
// from the code under test.
func isVP8KeyframeStart(payload []byte) bool {
	var vp8 codecs.VP8Packet
	body, err := vp8.Unmarshal(payload)
	return err == nil && vp8.S == 1 && vp8.PID == 0 && len(body) > 0 && body[0]&0x01 == 0
}

func (v *testViewer) close() {
	_ = v.pc.Close()
	v.done.Wait()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// withoutCandidates makes a peer depend on trickled candidates.
func withoutCandidates(sdp string) string { return mediatest.WithoutCandidates(sdp) }
