package record

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/mediatest"
)

// Shape of the test camera: 30 frames a second, 20 ms Opus packets.
const (
	frameInterval = time.Second / 30
	audioInterval = 20 * time.Millisecond
	frameBytes    = 3000
)

// testSFU is an SFU on loopback.
func testSFU(t testing.TB) *media.SFU {
	t.Helper()
	s, err := media.New(media.Config{
		ICEIPs:                []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		MaxPublishers:         4,
		MaxSubscribersPerRoom: 4,
		TrackWait:             3 * time.Second,
		TrackSettle:           300 * time.Millisecond,
		KeyframeInterval:      200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// camera is a pion publisher sending synthetic VP8 frames (a keyframe
// first and after each PLI) and Opus packets, counting what it sent
// once connected.
type camera struct {
	pc        *webrtc.PeerConnection
	video     *webrtc.TrackLocalStaticSample
	audio     *webrtc.TrackLocalStaticSample
	connected chan struct{}
	wantKey   atomic.Bool
	frames    atomic.Int64
	keyframes atomic.Int64
	packets   atomic.Int64
	// paused stops frames without stopping the clock, to make a gap.
	paused atomic.Bool
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

func publishCamera(t testing.TB, room *media.Room) *camera {
	t.Helper()
	c := &camera{connected: make(chan struct{}), stop: make(chan struct{})}
	c.wantKey.Store(true)
	pc, err := loopbackAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c.pc = pc
	t.Cleanup(c.close)
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(c.connected) })
		}
	})
	c.video = sendTrack(t, pc, webrtc.MimeTypeVP8, "video", c.readPLI)
	c.audio = sendTrack(t, pc, webrtc.MimeTypeOpus, "audio", nil)

	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	answer, err := room.Publish(context.Background(), pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.connected:
	case <-time.After(5 * time.Second):
		t.Fatal("camera did not connect")
	}
	return c
}

func loopbackAPI(t testing.TB) *webrtc.API { return mediatest.LoopbackAPI(t) }

func sendTrack(t testing.TB, pc *webrtc.PeerConnection, mime, id string,
	rtcpReader func(*webrtc.RTPSender)) *webrtc.TrackLocalStaticSample {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: mime}, id, "camera")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := pc.AddTransceiverFromTrack(tr,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	if rtcpReader != nil {
		go rtcpReader(tx.Sender())
	}
	return tr
}

func (c *camera) readPLI(s *webrtc.RTPSender) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if _, ok := p.(*rtcp.PictureLossIndication); ok {
				c.wantKey.Store(true)
			}
		}
	}
}

// send runs the camera for d: a video frame every frameInterval and an
// Opus packet every audioInterval, both on one ticker so their counts
// are exact.
func (c *camera) send(d time.Duration) {
	tick := time.NewTicker(audioInterval / 2)
	defer tick.Stop()
	start := time.Now()
	var nextVideo, nextAudio time.Duration
	for elapsed := time.Duration(0); elapsed < d; elapsed = time.Since(start) {
		<-tick.C
		for ; nextVideo <= elapsed && nextVideo < d; nextVideo += frameInterval {
			c.sendFrame()
		}
		for ; nextAudio <= elapsed && nextAudio < d; nextAudio += audioInterval {
			if err := c.audio.WriteSample(pionmedia.Sample{Data: make([]byte, 60),
				Duration: audioInterval}); err == nil {
				c.packets.Add(1)
			}
		}
	}
}

// sendFrame writes one frame, or only advances the clock while paused.
func (c *camera) sendFrame() {
	if c.paused.Load() {
		_ = c.video.WriteSample(pionmedia.Sample{Duration: frameInterval})
		return
	}
	frame := make([]byte, frameBytes)
	frame[0] = 0x01 // interframe: P bit set
	if c.wantKey.Swap(false) {
		// A keyframe's tag and start code, 320x240 (RFC 6386 §9.1).
		copy(frame, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00})
		c.keyframes.Add(1)
	}
	if err := c.video.WriteSample(pionmedia.Sample{Data: frame, Duration: frameInterval}); err == nil {
		c.frames.Add(1)
	}
}

func (c *camera) close() {
	c.once.Do(func() { _ = c.pc.Close() })
}
