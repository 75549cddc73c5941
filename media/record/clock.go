package record

import "time"

// trackClock turns one track's 32-bit RTP timestamps into positions on
// the recorder's timeline. The first packet anchors the track at the time
// it arrived; later positions follow the RTP timestamps, unwrapped across
// the 2^32 rollover (RFC 3550 §5.1), so the file keeps the camera's timing
// and its gaps rather than the network's jitter.
type trackClock struct {
	rate   int64
	anchor time.Duration
	first  int64
	ext    int64
	last   uint32
	init   bool
}

// start anchors the clock at ts, which arrived at offset since the
// recorder's first packet. Later calls do nothing.
func (c *trackClock) start(ts uint32, offset time.Duration, rate uint32) {
	if c.init {
		return
	}
	c.init = true
	c.rate = int64(rate)
	if c.rate == 0 {
		c.rate = 90000
	}
	c.anchor = offset
	c.last = ts
	c.ext = int64(ts)
	c.first = c.ext
}

// at gives the timeline position of ts. A timestamp behind the previous
// one by less than half the range counts as late, not as a rollover.
func (c *trackClock) at(ts uint32) time.Duration {
	c.ext += int64(int32(ts - c.last))
	c.last = ts
	ticks := c.ext - c.first
	whole := time.Duration(ticks/c.rate) * time.Second
	return c.anchor + whole + time.Duration(ticks%c.rate*int64(time.Second)/c.rate)
}
