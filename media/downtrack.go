package media

import (
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// downTrack is one camera track as sent to one viewer. It holds packets
// back until the viewer's connection is up and, for video, until a
// keyframe starts, so the viewer's first frame is decodable.
type downTrack struct {
	local    *webrtc.TrackLocalStaticRTP
	mimeType string
	video    bool

	live    atomic.Bool // the viewer's connection is up
	started atomic.Bool // a decodable frame has been sent
}

func newDownTrack(up *upTrack, streamID string) (*downTrack, error) {
	local, err := webrtc.NewTrackLocalStaticRTP(up.info.Codec, up.info.ID, streamID)
	if err != nil {
		return nil, err
	}
	return &downTrack{
		local:    local,
		mimeType: up.info.Codec.MimeType,
		video:    up.info.Kind == webrtc.RTPCodecTypeVideo,
	}, nil
}

// write forwards one packet, or drops it while the viewer cannot use it.
// It reports whether the packet was sent.
func (d *downTrack) write(p *rtp.Packet) bool {
	if !d.live.Load() {
		return false
	}
	if !d.started.Load() {
		if d.video && !startsKeyframe(d.mimeType, p.Payload) {
			return false
		}
		d.started.Store(true)
	}
	// Errors come from a viewer whose transport closed; its state change
	// removes it from the room.
	return d.local.WriteRTP(p) == nil
}
