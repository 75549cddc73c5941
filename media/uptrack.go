package media

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// maxPacketSize bounds one RTP packet read from the camera; pion's own
// receive MTU (1460) is below it.
const maxPacketSize = 1500

// TrackInfo describes one camera track: what a recording needs to write
// it and what a viewer is offered.
type TrackInfo struct {
	// ID and StreamID are the camera's track and stream (MediaStream) IDs.
	ID       string
	StreamID string
	Kind     webrtc.RTPCodecType
	// Codec is the negotiated codec: MIME type, clock rate, channels, fmtp.
	Codec       webrtc.RTPCodecCapability
	PayloadType uint8
	SSRC        uint32
}

// upTrack is one track received from the camera, fanned out to every
// viewer's downTrack and every sink. The read loop takes the current lists
// with one atomic load per packet; changes copy the list under mu.
type upTrack struct {
	info   TrackInfo
	remote *webrtc.TrackRemote
	log    *slog.Logger
	totals *totals // the SFU's

	mu    sync.Mutex // serialises changes to downs and sinks
	downs atomic.Pointer[[]*downTrack]
	sinks atomic.Pointer[[]*sinkFeed]

	packetsIn  atomic.Uint64
	packetsOut atomic.Uint64
}

func newUpTrack(remote *webrtc.TrackRemote, log *slog.Logger, t *totals) *upTrack {
	codec := remote.Codec()
	u := &upTrack{
		info: TrackInfo{
			ID: remote.ID(), StreamID: remote.StreamID(), Kind: remote.Kind(),
			Codec: codec.RTPCodecCapability, PayloadType: uint8(codec.PayloadType),
			SSRC: uint32(remote.SSRC()),
		},
		remote: remote,
		totals: t,
	}
	u.log = log.With("trackKind", u.info.Kind.String(), "codec", codec.MimeType)
	u.downs.Store(&[]*downTrack{})
	u.sinks.Store(&[]*sinkFeed{})
	return u
}

// run forwards packets until the camera's track ends. The camera's header
// extensions are dropped: their IDs were negotiated with the camera, not
// with the viewers, whose own interceptors add the ones they agreed on.
func (u *upTrack) run() {
	buf := make([]byte, maxPacketSize)
	var in rtp.Packet
	for {
		n, _, err := u.remote.Read(buf)
		if err != nil {
			u.log.Debug("camera track ended", "err", err)
			return
		}
		if in.Unmarshal(buf[:n]) != nil || len(in.Payload) == 0 {
			continue
		}
		u.packetsIn.Add(1)
		u.totals.packetsIn.Add(1)
		out := in
		out.Header.Extension = false
		out.Header.Extensions = nil
		out.Header.ExtensionProfile = 0
		u.forward(&out)
	}
}

// forward writes one packet to every viewer and offers it to every sink.
func (u *upTrack) forward(p *rtp.Packet) {
	sent := uint64(0)
	for _, d := range *u.downs.Load() {
		if d.write(p) {
			sent++
		}
	}
	u.packetsOut.Add(sent)
	if sent > 0 {
		u.totals.packetsForwarded.Add(sent)
		u.totals.bytesForwarded.Add(sent * uint64(p.MarshalSize()))
	}
	for _, s := range *u.sinks.Load() {
		s.offer(&u.info, p)
	}
}

// addDown starts forwarding to a viewer's track.
func (u *upTrack) addDown(d *downTrack) {
	u.mu.Lock()
	defer u.mu.Unlock()
	list := append(append([]*downTrack{}, *u.downs.Load()...), d)
	u.downs.Store(&list)
}

// removeDown stops forwarding to a viewer's track.
func (u *upTrack) removeDown(d *downTrack) {
	u.mu.Lock()
	defer u.mu.Unlock()
	old := *u.downs.Load()
	list := make([]*downTrack, 0, len(old))
	for _, x := range old {
		if x != d {
			list = append(list, x)
		}
	}
	u.downs.Store(&list)
}

// addSink starts offering packets to a sink.
func (u *upTrack) addSink(s *sinkFeed) {
	u.mu.Lock()
	defer u.mu.Unlock()
	list := append(append([]*sinkFeed{}, *u.sinks.Load()...), s)
	u.sinks.Store(&list)
}

// removeSink stops offering packets to a sink.
func (u *upTrack) removeSink(s *sinkFeed) {
	u.mu.Lock()
	defer u.mu.Unlock()
	old := *u.sinks.Load()
	list := make([]*sinkFeed, 0, len(old))
	for _, x := range old {
		if x != s {
			list = append(list, x)
		}
	}
	u.sinks.Store(&list)
}
