package mediatest

import (
	"strings"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// rtpMTU is the payload size pion's tracks packetize to.
const rtpMTU = 1200

// Packets packetizes n frames of the clip, looping it, as a camera's
// track would: RTP packets per frame, timestamps advancing by the clip's
// interval on the codec's clock. It also gives the codec as negotiated.
// (A media.TrackInfo would make media's own tests import themselves.)
func Packets(c Clip, ssrc uint32, n int) (webrtc.RTPCodecCapability, [][]*rtp.Packet) {
	codec := webrtc.RTPCodecCapability{MimeType: c.MimeType, ClockRate: 90000}
	var payloader rtp.Payloader
	switch {
	case strings.EqualFold(c.MimeType, webrtc.MimeTypeVP8):
		payloader = &codecs.VP8Payloader{}
	case strings.EqualFold(c.MimeType, webrtc.MimeTypeH264):
		payloader = &codecs.H264Payloader{}
	default:
		payloader = &codecs.OpusPayloader{}
		codec.ClockRate, codec.Channels = 48000, 2
	}
	p := rtp.NewPacketizer(rtpMTU, 96, ssrc, payloader, rtp.NewRandomSequencer(), codec.ClockRate)
	ticks := uint32(int64(c.Interval) * int64(codec.ClockRate) / int64(time.Second))
	out := make([][]*rtp.Packet, n)
	for i := range n {
		out[i] = p.Packetize(c.Frames[i%len(c.Frames)], ticks)
	}
	return codec, out
}
