package media

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
)

// sinkQueueLen is how many packets a sink may fall behind before packets
// are dropped for it: about two seconds of a 1.5 Mbps camera.
const sinkQueueLen = 512

// Sink receives a copy of every RTP packet the camera sends, audio and
// video, with the track it belongs to; a recorder is one. WriteRTP is
// called from the sink's own goroutine, one packet at a time, and may keep
// the packet. A slow sink loses packets (counted in Room.Stats) instead of
// slowing the viewers.
type Sink interface {
	WriteRTP(track TrackInfo, packet *rtp.Packet)
}

// sinkPacket is one queued packet and its track.
type sinkPacket struct {
	track *TrackInfo
	pkt   *rtp.Packet
}

// sinkFeed queues packets for one sink and runs its goroutine.
type sinkFeed struct {
	sink  Sink
	queue chan sinkPacket
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
	drops atomic.Uint64
}

func newSinkFeed(s Sink) *sinkFeed {
	f := &sinkFeed{
		sink:  s,
		queue: make(chan sinkPacket, sinkQueueLen),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go f.run()
	return f
}

// offer queues a copy of the packet, or drops it when the sink is behind.
func (f *sinkFeed) offer(track *TrackInfo, p *rtp.Packet) {
	select {
	case f.queue <- sinkPacket{track: track, pkt: p.Clone()}:
	default:
		f.drops.Add(1)
	}
}

func (f *sinkFeed) run() {
	defer close(f.done)
	for {
		select {
		case <-f.quit:
			return
		case sp := <-f.queue:
			f.sink.WriteRTP(*sp.track, sp.pkt)
		}
	}
}

// stop ends the goroutine and waits for the packet in hand to be written.
func (f *sinkFeed) stop() {
	f.once.Do(func() { close(f.quit) })
	<-f.done
}
