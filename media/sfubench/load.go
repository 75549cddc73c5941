package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
)

// The camera: 30 frames a second of 6,250 bytes (1.5 Mbps) and Opus
// frames every 20 ms.
const (
	frameInterval = time.Second / 30
	frameBytes    = 6250
	audioInterval = 20 * time.Millisecond
)

// load is the camera and the viewers, on the other end of the pipes.
type load struct {
	api      *webrtc.API
	in       *bufio.Scanner
	out      *json.Encoder
	pcs      []*webrtc.PeerConnection
	received atomic.Int64
	mu       sync.Mutex // guards first
	first    []float64
	stop     chan struct{}
}

// runLoad publishes the camera, subscribes the viewers, and reports what
// they received when the server says stop.
func runLoad(viewers int, r io.Reader, w io.Writer) error {
	l := &load{api: loadAPI(), in: bufio.NewScanner(r), out: json.NewEncoder(w),
		stop: make(chan struct{})}
	l.in.Buffer(make([]byte, 1<<20), 1<<20)
	err := l.run(viewers)
	if err != nil {
		_ = l.out.Encode(message{Kind: "error", SDP: err.Error()})
	}
	return err
}

func (l *load) run(viewers int) error {
	if err := l.publish(); err != nil {
		return err
	}
	for i := range viewers {
		if err := l.subscribe(fmt.Sprintf("viewer-%d", i)); err != nil {
			return err
		}
	}
	if err := l.out.Encode(message{Kind: "ready"}); err != nil {
		return err
	}
	if _, err := next(l.in); err != nil {
		return err
	}
	close(l.stop)
	for _, pc := range l.pcs {
		_ = pc.Close()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.Encode(message{Kind: "report", Received: l.received.Load(), FirstFrameMs: l.first})
}

// loadAPI is a browser-like pion API on loopback.
func loadAPI() *webrtc.API {
	me := &webrtc.MediaEngine{}
	_ = me.RegisterDefaultCodecs()
	reg := &interceptor.Registry{}
	_ = webrtc.RegisterDefaultInterceptors(me, reg)
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se))
}

// exchange sends an offer and applies the answer.
func (l *load) exchange(pc *webrtc.PeerConnection, kind, id string) error {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	if err := l.out.Encode(message{Kind: kind, ID: id, SDP: pc.LocalDescription().SDP}); err != nil {
		return err
	}
	ans, err := next(l.in)
	if err != nil {
		return err
	}
	return pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP})
}

// publish starts the camera.
func (l *load) publish() error {
	pc, err := l.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	l.pcs = append(l.pcs, pc)
	video, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "camera")
	if err != nil {
		return err
	}
	audio, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "camera")
	if err != nil {
		return err
	}
	vs, err := pc.AddTrack(video)
	if err != nil {
		return err
	}
	if _, err := pc.AddTrack(audio); err != nil {
		return err
	}
	if err := l.exchange(pc, "publish", ""); err != nil {
		return err
	}
	var wantKey atomic.Bool
	wantKey.Store(true)
	go watchPLI(vs, &wantKey)
	go l.sendVideo(video, &wantKey)
	go l.sendAudio(audio)
	return nil
}

func watchPLI(s *webrtc.RTPSender, wantKey *atomic.Bool) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if _, ok := p.(*rtcp.PictureLossIndication); ok {
				wantKey.Store(true)
			}
		}
	}
}

// sendVideo sends frames whose first byte is the VP8 P bit: 0 keyframe.
func (l *load) sendVideo(t *webrtc.TrackLocalStaticSample, wantKey *atomic.Bool) {
	tick := time.NewTicker(frameInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		frame := make([]byte, frameBytes)
		frame[0] = 0x11
		if wantKey.Swap(false) {
			frame[0] = 0x10
		}
		_ = t.WriteSample(pmedia.Sample{Data: frame, Duration: frameInterval})
	}
}

func (l *load) sendAudio(t *webrtc.TrackLocalStaticSample) {
	tick := time.NewTicker(audioInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		_ = t.WriteSample(pmedia.Sample{Data: make([]byte, 80), Duration: audioInterval})
	}
}

// subscribe adds one viewer that counts packets and times its first
// video packet from the moment its answer is applied.
func (l *load) subscribe(id string) error {
	pc, err := l.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	l.pcs = append(l.pcs, pc)
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		init := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
		if _, err := pc.AddTransceiverFromKind(k, init); err != nil {
			return err
		}
	}
	var answered atomic.Int64
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go l.count(tr, time.Unix(0, answered.Load()))
	})
	err = l.exchange(pc, "subscribe", id)
	answered.Store(time.Now().UnixNano())
	return err
}

func (l *load) count(tr *webrtc.TrackRemote, answered time.Time) {
	buf := make([]byte, 1500)
	first := tr.Kind() == webrtc.RTPCodecTypeVideo
	for {
		if _, _, err := tr.Read(buf); err != nil {
			return
		}
		l.received.Add(1)
		if first {
			first = false
			l.mu.Lock()
			l.first = append(l.first, float64(time.Since(answered).Microseconds())/1000)
			l.mu.Unlock()
		}
	}
}

// quantile of a small sample, by sorting it.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1))]
}
