package actors

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/persistence"
)

// BenchmarkRecordingWorker1500kbps measures the recording path as the
// SFU drives it: each packet of a 1.5 Mbps VP8 camera with Opus goes
// through the worker's mailbox into the recorder and onto disk. An op is
// one 2 s GOP; cpu%/stream is the process's CPU per second of media as a
// share of one core. Each op waits for the worker to drain its mailbox,
// so no packet is dropped.
func BenchmarkRecordingWorker1500kbps(b *testing.B) {
	const fps, gop, frameBytes = 30, 60, 1_500_000 / 8 / 30
	var processed atomic.Int64
	cfg := &RecordingConfig{Dir: b.TempDir(), SegmentLength: time.Minute,
		beforeWrite: func() { processed.Add(1) }}
	room := &fakeRoom{}
	sys := actor.NewActorSystem()
	b.Cleanup(sys.Shutdown)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pid := sys.Root.Spawn(recordingProps(cfg, room, persistence.Stream{ID: "bench"}, log))
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(time.Millisecond) {
		if a, _ := room.counts(); a == 1 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the worker did not attach")
		}
	}
	room.mu.Lock()
	sink := room.sink
	room.mu.Unlock()

	video := media.TrackInfo{SSRC: 1, Codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8,
		ClockRate: 90000}}
	audio := media.TrackInfo{SSRC: 2, Codec: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2}}
	vp := rtp.NewPacketizer(1200, 96, 1, &codecs.VP8Payloader{}, rtp.NewFixedSequencer(0), 90000)
	ap := rtp.NewPacketizer(1200, 111, 2, &codecs.OpusPayloader{}, rtp.NewFixedSequencer(0), 48000)
	type sent struct {
		track media.TrackInfo
		pkt   rtp.Packet
	}
	var one []sent
	var vn, an uint16
	for i := range gop {
		frame := make([]byte, frameBytes)
		for j := range frame {
			frame[j] = byte(rand.Uint32())
		}
		frame[0] = 0x01
		if i == 0 {
			copy(frame, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x07, 0x38, 0x04})
		}
		for _, p := range vp.Packetize(frame, 90000/fps) {
			one, vn = append(one, sent{video, *p}), vn+1
		}
		if i%3 != 2 { // 50 Opus packets a second
			for _, p := range ap.Packetize(make([]byte, 80), 960) {
				one, an = append(one, sent{audio, *p}), an+1
			}
		}
	}
	var vts, ats uint32
	var vseq, aseq uint16
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	before := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	b.ResetTimer()
	total := int64(0)
	for range b.N {
		for _, s := range one {
			p := s.pkt
			if s.track.SSRC == 1 {
				p.Timestamp, p.SequenceNumber = p.Timestamp+vts, p.SequenceNumber+vseq
			} else {
				p.Timestamp, p.SequenceNumber = p.Timestamp+ats, p.SequenceNumber+aseq
			}
			sink.WriteRTP(s.track, &p)
		}
		total += int64(len(one))
		for processed.Load() < total {
			time.Sleep(100 * time.Microsecond)
		}
		vts, ats = vts+90000*gop/fps, ats+48000*gop/fps
		vseq, aseq = vseq+vn, aseq+an
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	used := time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) - before
	media := time.Duration(b.N) * gop * time.Second / fps
	b.ReportMetric(100*float64(used)/float64(media), "cpu%/stream")
	if err := sys.Root.StopFuture(pid).Wait(); err != nil {
		b.Fatal(err)
	}
}
