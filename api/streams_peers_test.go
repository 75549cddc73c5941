package api

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/mediatest"
)

// streamSFU builds an SFU on loopback for a test; change adjusts it.
func streamSFU(t testing.TB, change func(*media.Config)) *media.SFU {
	t.Helper()
	cfg := media.Config{ICEIPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		MaxPublishers: 4, MaxSubscribersPerRoom: 8, TrackSettle: 300 * time.Millisecond}
	if change != nil {
		change(&cfg)
	}
	sfu, err := media.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sfu.Close() })
	return sfu
}

// newStreamEnv is a test server with a loopback SFU in its actors.
func newStreamEnv(t testing.TB, change func(*media.Config), mutate ...func(*Options)) (*testEnv,
	*media.SFU) {
	sfu := streamSFU(t, change)
	e := newTestEnvWith(t, func(c *actors.Config) { c.SFU = sfu }, mutate...)
	return e, sfu
}

// peerAPI is a browser-like pion API on loopback only.
func peerAPI(t testing.TB) *webrtc.API { return mediatest.LoopbackAPI(t) }

// localOffer makes pc's offer and waits for its candidates.
func localOffer(t testing.TB, pc *webrtc.PeerConnection) string {
	return mediatest.GatheredOffer(t, pc)
}

func applyAnswer(t testing.TB, pc *webrtc.PeerConnection, sdp string) {
	mediatest.ApplyAnswer(t, pc, sdp)
}

// stripCandidates removes candidate lines, so a peer depends on trickle.
func stripCandidates(sdp string) string { return mediatest.WithoutCandidates(sdp) }

// candidatesOf returns the candidate lines of an SDP, without "a=".
func candidatesOf(sdp string) []string {
	var out []string
	for _, l := range strings.Split(sdp, "\r\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			out = append(out, strings.TrimPrefix(l, "a="))
		}
	}
	return out
}

// fakeCamera sends VP8 or H.264 frames (keyframes when asked by PLI) over
// one send-only video track.
type fakeCamera struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticSample
	frame func(key bool) []byte
	key   atomic.Bool
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// h264Baseline is the codec the API advertises for H.264: Constrained
// Baseline 3.1, packetization-mode 1.
var h264Baseline = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
	SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}

func newFakeCamera(t testing.TB) *fakeCamera {
	t.Helper()
	return newFakeCameraWith(t, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, vp8Frame)
}

// newFakeH264Camera offers only H.264 Constrained Baseline and sends
// Annex B access units: SPS, PPS and an IDR slice as a keyframe, one
// non-IDR slice otherwise. No encoder made them; the SFU never decodes.
func newFakeH264Camera(t testing.TB) *fakeCamera {
	t.Helper()
	c := newFakeCameraWith(t, h264Baseline, h264Frame)
	var prefs []webrtc.RTPCodecParameters
	for _, tx := range c.pc.GetTransceivers() {
		for _, codec := range tx.Sender().GetParameters().Codecs {
			if codec.SDPFmtpLine == h264Baseline.SDPFmtpLine {
				prefs = append(prefs, codec)
			}
		}
		if err := tx.SetCodecPreferences(prefs); err != nil || len(prefs) == 0 {
			t.Fatalf("H.264 codec preferences %v: %v", prefs, err)
		}
	}
	return c
}

// vp8Frame is a VP8 payload whose header says key or inter frame.
func vp8Frame(key bool) []byte {
	frame := make([]byte, 1200)
	frame[0] = 0x11
	if key {
		frame[0] = 0x10
	}
	return frame
}

// h264Frame is an Annex B access unit; its IDR slice is larger than an
// RTP packet, so it goes out as FU-A fragments.
func h264Frame(key bool) []byte {
	start := []byte{0, 0, 0, 1}
	if !key {
		return append(append(start, 0x41), make([]byte, 800)...)
	}
	out := append(append([]byte{}, start...), 0x67, 0x42, 0xe0, 0x1f, 0xda, 0x01, 0x40)
	out = append(append(out, start...), 0x68, 0xce, 0x3c, 0x80)
	return append(append(append(out, start...), 0x65), make([]byte, 3000)...)
}

func newFakeCameraWith(t testing.TB, codec webrtc.RTPCodecCapability,
	frame func(key bool) []byte) *fakeCamera {
	t.Helper()
	pc, err := peerAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeCamera{pc: pc, frame: frame, stop: make(chan struct{})}
	c.key.Store(true)
	c.track, err = webrtc.NewTrackLocalStaticSample(codec, "video", "camera")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := pc.AddTransceiverFromTrack(c.track,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	c.wg.Add(1)
	go c.readRTCP(tx.Sender())
	t.Cleanup(c.close)
	return c
}

func (c *fakeCamera) readRTCP(s *webrtc.RTPSender) {
	defer c.wg.Done()
	for {
		if _, _, err := s.ReadRTCP(); err != nil {
			return
		}
		c.key.Store(true)
	}
}

// start sends 30 frames a second until close.
func (c *fakeCamera) start() {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
			}
			frame := c.frame(c.key.Swap(false))
			_ = c.track.WriteSample(pionmedia.Sample{Data: frame, Duration: time.Second / 30})
		}
	}()
}

func (c *fakeCamera) close() {
	c.once.Do(func() {
		close(c.stop)
		_ = c.pc.Close()
		c.wg.Wait()
	})
}

// fakeViewer receives video and counts its packets; it keeps the codec
// and the payloads of the first frame it got.
type fakeViewer struct {
	pc      *webrtc.PeerConnection
	packets atomic.Int64
	wg      sync.WaitGroup
	once    sync.Once

	mu         sync.Mutex // guards codec and firstFrame
	codec      webrtc.RTPCodecParameters
	firstFrame [][]byte
	frameDone  bool
}

// received returns the track's codec and the first frame's payloads.
func (v *fakeViewer) received() (webrtc.RTPCodecParameters, [][]byte, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.codec, v.firstFrame, v.frameDone
}

// keep records a packet of the first frame, up to its marker bit.
func (v *fakeViewer) keep(p *rtp.Packet) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.frameDone {
		return
	}
	v.firstFrame = append(v.firstFrame, append([]byte(nil), p.Payload...))
	v.frameDone = p.Marker
}

func newFakeViewer(t testing.TB) *fakeViewer {
	t.Helper()
	pc, err := peerAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v := &fakeViewer{pc: pc}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		v.mu.Lock()
		v.codec = tr.Codec()
		v.mu.Unlock()
		v.wg.Add(1)
		go func() {
			defer v.wg.Done()
			for {
				p, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				v.keep(p)
				v.packets.Add(1)
			}
		}()
	})
	t.Cleanup(v.close)
	return v
}

// waitPackets waits until the viewer has received more than n packets.
func (v *fakeViewer) waitPackets(t testing.TB, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for v.packets.Load() <= n {
		if time.Now().After(deadline) {
			t.Fatalf("viewer got %d packets in 10 s, want more than %d", v.packets.Load(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (v *fakeViewer) close() {
	v.once.Do(func() {
		_ = v.pc.Close()
		v.wg.Wait()
	})
}
