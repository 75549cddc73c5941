package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/vigil-oss/vigil/media"
)

// Synthetic camera: Opus-sized audio every 20 ms beside the video.
const (
	audioInterval = 20 * time.Millisecond
	audioBytes    = 80
)

// peerAPI is a browser-like pion API. Without remote targets allowed it
// gathers and accepts loopback candidates only.
func peerAPI(loopbackOnly bool) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if loopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)), nil
}

// errNotFound is a WHIP or WHEP endpoint answering 404.
var errNotFound = errors.New("status 404")

// whipExchange posts pc's complete offer (no trickle) to a WHIP or WHEP
// endpoint, applies the answer, and returns the resource's URL.
func whipExchange(ctx context.Context, client *http.Client, pc *webrtc.PeerConnection,
	endpoint, token string) (string, error) {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, "POST", endpoint,
		strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusNotFound {
		return "", fmt.Errorf("POST %s: %w: %.300s", endpoint, errNotFound, body)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST %s: status %d: %.300s", endpoint, resp.StatusCode, body)
	}
	err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer,
		SDP: string(body)})
	if err != nil {
		return "", err
	}
	loc, err := url.Parse(endpoint)
	if err != nil {
		return "", err
	}
	res, err := loc.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return "", nil
	}
	return res.String(), nil
}

// deleteResource ends a WHIP or WHEP session; a missing one is no error.
func deleteResource(client *http.Client, resource, token string) error {
	if resource == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "DELETE", resource, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("DELETE %s: status %d", resource, resp.StatusCode)
	}
	return nil
}

// publisher is the synthetic camera.
type publisher struct {
	pc       *webrtc.PeerConnection
	video    *webrtc.TrackLocalStaticSample
	audio    *webrtc.TrackLocalStaticSample
	wantKey  atomic.Bool
	stop     chan struct{}
	stopOnce sync.Once
}

func newPublisher(api *webrtc.API) (*publisher, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &publisher{pc: pc, stop: make(chan struct{})}
	p.wantKey.Store(true)
	if p.video, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "bench"); err != nil {
		return nil, err
	}
	if p.audio, err = webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "bench"); err != nil {
		return nil, err
	}
	vs, err := pc.AddTrack(p.video)
	if err != nil {
		return nil, err
	}
	if _, err := pc.AddTrack(p.audio); err != nil {
		return nil, err
	}
	go p.watchPLI(vs)
	return p, nil
}

// start sends VP8-shaped frames of frameBytes at fps, a keyframe whenever
// the SFU asks, and audio every 20 ms.
func (p *publisher) start(fps, frameBytes int) {
	go p.every(time.Second/time.Duration(fps), func(d time.Duration) {
		frame := make([]byte, frameBytes)
		frame[0] = 0x11 // VP8 payload descriptor's P bit set: an interframe
		if p.wantKey.Swap(false) {
			frame[0] = 0x10
		}
		_ = p.video.WriteSample(pmedia.Sample{Data: frame, Duration: d})
	})
	go p.every(audioInterval, func(d time.Duration) {
		_ = p.audio.WriteSample(pmedia.Sample{Data: make([]byte, audioBytes), Duration: d})
	})
}

func (p *publisher) every(d time.Duration, f func(time.Duration)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			f(d)
		}
	}
}

func (p *publisher) watchPLI(s *webrtc.RTPSender) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				p.wantKey.Store(true)
			}
		}
	}
}

func (p *publisher) close() {
	p.stopOnce.Do(func() { close(p.stop) })
	_ = p.pc.Close()
}

// viewer is one subscriber: it counts packets and sequence-number gaps of
// each track it receives.
type viewer struct {
	pc       *webrtc.PeerConnection
	resource string

	mu     sync.Mutex // guards tracks
	tracks []*trackCount

	answered   atomic.Int64 // UnixNano when the answer was applied
	firstVideo atomic.Int64 // ns from answer to the first video packet; 0 until then
	// firstKey is ns from the answer to the first packet of a keyframe,
	// where the viewer could start decoding; 0 until then. An SFU that
	// forwards from any packet has firstVideo well before it.
	firstKey atomic.Int64
}

// trackCount is one received track's counters, written by its reader.
type trackCount struct {
	received atomic.Int64
	// highest is the highest extended sequence number seen; expected
	// packets over a window are its growth.
	highest atomic.Int64
}

func newViewer(api *webrtc.API) (*viewer, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	v := &viewer{pc: pc}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		init := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
		if _, err := pc.AddTransceiverFromKind(k, init); err != nil {
			return nil, err
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { go v.read(tr) })
	return v, nil
}

func (v *viewer) read(tr *webrtc.TrackRemote) {
	tc := &trackCount{}
	v.mu.Lock()
	v.tracks = append(v.tracks, tc)
	v.mu.Unlock()
	video := tr.Kind() == webrtc.RTPCodecTypeVideo
	mime := tr.Codec().MimeType
	var cycles int64
	last := -1
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		seq := int(p.SequenceNumber)
		if last >= 0 && seq < last && last-seq > 1<<15 {
			cycles += 1 << 16
		}
		if ext := cycles + int64(seq); ext > tc.highest.Load() || last < 0 {
			tc.highest.Store(ext)
		}
		last = seq
		tc.received.Add(1)
		if video && v.firstKey.Load() == 0 {
			if at := v.answered.Load(); at > 0 {
				since := max(time.Now().UnixNano()-at, 1)
				v.firstVideo.CompareAndSwap(0, since)
				if media.StartsKeyframe(mime, p.Payload) {
					v.firstKey.CompareAndSwap(0, since)
				}
			}
		}
	}
}

// counts sums received packets and highest sequence numbers over tracks.
func (v *viewer) counts() (received, highest int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, t := range v.tracks {
		received += t.received.Load()
		highest += t.highest.Load()
	}
	return received, highest
}
