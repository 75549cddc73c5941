package mediatest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
)

// Publisher is a camera made of a pion peer that plays clips in a loop:
// a video clip and, optionally, an audio clip, counting what it sent once
// connected. Pre-encoded frames cannot answer a keyframe request, so
// keyframes come at the clip's own interval.
type Publisher struct {
	PC *webrtc.PeerConnection

	// Frames, Keyframes and AudioPackets count what Send wrote.
	Frames       atomic.Int64
	Keyframes    atomic.Int64
	AudioPackets atomic.Int64

	video, audio       *clipTrack
	connected          chan struct{}
	nextVideo, nextAud int
	once               sync.Once
}

type clipTrack struct {
	clip  Clip
	track *webrtc.TrackLocalStaticSample
}

// NewPublisher makes a send-only peer for video and, when audio is not
// nil, audio; it closes when the test ends.
func NewPublisher(t testing.TB, video Clip, audio *Clip) *Publisher {
	t.Helper()
	pc, err := LoopbackAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &Publisher{PC: pc, connected: make(chan struct{})}
	t.Cleanup(p.Close)
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(p.connected) })
		}
	})
	p.video = addClipTrack(t, pc, video, "video")
	if audio != nil {
		p.audio = addClipTrack(t, pc, *audio, "audio")
	}
	return p
}

func addClipTrack(t testing.TB, pc *webrtc.PeerConnection, c Clip, id string) *clipTrack {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: c.MimeType},
		id, "camera")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := pc.AddTransceiverFromTrack(tr,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	// RTCP must be read for pion's interceptors to run.
	go func() {
		for {
			if _, _, err := tx.Sender().ReadRTCP(); err != nil {
				return
			}
		}
	}()
	return &clipTrack{clip: c, track: tr}
}

// Offer is the publisher's offer with its candidates.
func (p *Publisher) Offer(t testing.TB) string {
	t.Helper()
	return GatheredOffer(t, p.PC)
}

// Connect applies the SFU's answer and waits for the connection.
func (p *Publisher) Connect(t testing.TB, answer string) {
	t.Helper()
	ApplyAnswer(t, p.PC, answer)
	select {
	case <-p.connected:
	case <-time.After(10 * time.Second):
		t.Fatal("publisher did not connect")
	}
}

// Send plays the clips for d of media time, going on where the last call
// stopped: every frame due in d is written, on one ticker for both
// tracks, so the counts are exact.
func (p *Publisher) Send(d time.Duration) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	var video, audio time.Duration
	for elapsed := time.Duration(0); elapsed < d; elapsed = time.Since(start) {
		<-tick.C
		for ; video <= elapsed && video < d; video += p.video.clip.Interval {
			p.sendVideo()
		}
		for ; p.audio != nil && audio <= elapsed && audio < d; audio += p.audio.clip.Interval {
			p.sendAudio()
		}
	}
}

func (p *Publisher) sendVideo() {
	c := p.video.clip
	i := p.nextVideo % len(c.Frames)
	p.nextVideo++
	err := p.video.track.WriteSample(pionmedia.Sample{Data: c.Frames[i], Duration: c.Interval})
	if err != nil {
		return
	}
	p.Frames.Add(1)
	if c.Keyframe[i] {
		p.Keyframes.Add(1)
	}
}

func (p *Publisher) sendAudio() {
	c := p.audio.clip
	i := p.nextAud % len(c.Frames)
	p.nextAud++
	if err := p.audio.track.WriteSample(pionmedia.Sample{Data: c.Frames[i],
		Duration: c.Interval}); err == nil {
		p.AudioPackets.Add(1)
	}
}

// Close hangs up.
func (p *Publisher) Close() {
	p.once.Do(func() { _ = p.PC.Close() })
}
