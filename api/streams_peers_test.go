package api

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// fakeCamera sends VP8 frames (keyframes when asked by PLI) over one
// send-only video track.
type fakeCamera struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticSample
	key   atomic.Bool
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

func newFakeCamera(t testing.TB) *fakeCamera {
	t.Helper()
	pc, err := peerAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeCamera{pc: pc, stop: make(chan struct{})}
	c.key.Store(true)
	c.track, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "camera")
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
			frame := make([]byte, 1200)
			frame[0] = 0x11
			if c.key.Swap(false) {
				frame[0] = 0x10
			}
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

// fakeViewer receives video and counts its packets.
type fakeViewer struct {
	pc      *webrtc.PeerConnection
	packets atomic.Int64
	wg      sync.WaitGroup
	once    sync.Once
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
		v.wg.Add(1)
		go func() {
			defer v.wg.Done()
			for {
				if _, _, err := tr.ReadRTP(); err != nil {
					return
				}
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
