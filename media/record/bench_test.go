package record

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/mediatest"
)

// Shape of the benchmark's camera: 1.5 Mbps of video at 30 frames a
// second with a keyframe every 2 s, and 20 ms Opus packets at 32 kbps.
const (
	benchBitrate   = 1_500_000
	benchFPS       = 30
	benchGOP       = 60
	benchOpusBytes = 80
)

// benchStream is one second of a camera's packets, ready to replay with
// timestamps and sequence numbers moved on each time.
type benchStream struct {
	video, audio media.TrackInfo
	packets      []benchPacket
}

type benchPacket struct {
	video bool
	pkt   rtp.Packet
}

// newBenchStream packetizes a GOP of synthetic frames (the recorder does
// not decode, so only their headers matter) and a second of Opus, in the
// order a camera sends them.
func newBenchStream(b *testing.B, mime string) *benchStream {
	s := &benchStream{
		video: media.TrackInfo{SSRC: 1, Codec: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}},
		audio: media.TrackInfo{SSRC: 2, Codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
			ClockRate: 48000, Channels: 2}},
	}
	var payloader rtp.Payloader = &codecs.VP8Payloader{}
	if mime == webrtc.MimeTypeH264 {
		payloader = &codecs.H264Payloader{}
	}
	vp := rtp.NewPacketizer(1200, 96, 1, payloader, rtp.NewFixedSequencer(0), 90000)
	ap := rtp.NewPacketizer(1200, 111, 2, &codecs.OpusPayloader{}, rtp.NewFixedSequencer(0), 48000)
	frameBytes := benchBitrate / 8 / benchFPS
	sps, pps := h264Params(mediatest.H264Clip(b).Frames[0])
	audioPerFrame := 0.0
	for i := range benchGOP {
		frame := benchFrame(mime, i == 0, frameBytes, sps, pps)
		for _, p := range vp.Packetize(frame, 90000/benchFPS) {
			s.packets = append(s.packets, benchPacket{video: true, pkt: *p})
		}
		for audioPerFrame += 50.0 / benchFPS; audioPerFrame >= 1; audioPerFrame-- {
			for _, p := range ap.Packetize(make([]byte, benchOpusBytes), 960) {
				s.packets = append(s.packets, benchPacket{pkt: *p})
			}
		}
	}
	return s
}

// benchFrame is a frame of n bytes that reads as a keyframe or not.
// H.264 keyframes lead with sps and pps.
func benchFrame(mime string, key bool, n int, sps, pps []byte) []byte {
	body := make([]byte, n)
	for i := range body {
		body[i] = byte(rand.Uint32()) | 0x01 // no start codes inside
	}
	if mime != webrtc.MimeTypeH264 {
		body[0] = 0x01 // VP8 interframe
		if key {
			copy(body, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x07, 0x38, 0x04})
		}
		return body
	}
	nal := byte(0x41) // non-IDR slice
	var frame []byte
	if key {
		nal = 0x65 // IDR slice
		frame = append(append(append(frame, 0, 0, 0, 1), sps...), 0, 0, 0, 1)
		frame = append(frame, pps...)
	}
	body[0] = nal
	return append(append(frame, 0, 0, 0, 1), body...)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRecorder1500kbps records one stream's packets as fast as they
// come; an op is 2 s of media (one GOP). cpu%/stream is the CPU the
// recorder spent per second of media, as a share of one core: what one
// recorded 1.5 Mbps camera costs.
func BenchmarkRecorder1500kbps(b *testing.B) {
	for _, mime := range []string{webrtc.MimeTypeVP8, webrtc.MimeTypeH264} {
		b.Run(mime, func(b *testing.B) {
			s := newBenchStream(b, mime)
			videoPackets := uint16(countVideo(s.packets, true))
			audioPackets := uint16(countVideo(s.packets, false))
			rec, err := New(Config{Dir: b.TempDir(), SegmentLength: DefaultSegmentLength})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(benchBitrate / 8 * benchGOP / benchFPS)
			var vts, ats uint32
			var vseq, aseq uint16
			b.ResetTimer()
			cpu := cpuTime(b)
			for range b.N {
				for _, bp := range s.packets {
					p := bp.pkt
					if bp.video {
						p.Timestamp += vts
						p.SequenceNumber += vseq
						rec.WriteRTP(s.video, &p)
					} else {
						p.Timestamp += ats
						p.SequenceNumber += aseq
						rec.WriteRTP(s.audio, &p)
					}
				}
				vts += 90000 * benchGOP / benchFPS
				ats += 48000 * benchGOP / benchFPS
				vseq += videoPackets
				aseq += audioPackets
			}
			rec.Close()
			used := cpuTime(b) - cpu
			media := time.Duration(b.N) * benchGOP * time.Second / benchFPS
			b.ReportMetric(100*float64(used)/float64(media), "cpu%/stream")
		})
	}
}

func countVideo(ps []benchPacket, video bool) int {
	n := 0
	for _, p := range ps {
		if p.video == video {
			n++
		}
	}
	return n
}
