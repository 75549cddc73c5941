package media

import (
	"sync"
	"time"
)

// keyframeRequester throttles keyframe requests to a camera: at most one
// per interval. A request inside the interval is not dropped but deferred
// to the interval's end, so a viewer who joins just after a keyframe still
// gets one soon; requests arriving meanwhile share it.
type keyframeRequester struct {
	interval time.Duration
	send     func()

	mu     sync.Mutex // guards the fields below
	last   time.Time
	timer  *time.Timer
	closed bool
}

func newKeyframeRequester(interval time.Duration, send func()) *keyframeRequester {
	return &keyframeRequester{interval: interval, send: send}
}

// request asks for a keyframe now or at the end of the current interval.
func (k *keyframeRequester) request() {
	k.mu.Lock()
	if k.closed || k.timer != nil {
		k.mu.Unlock()
		return
	}
	wait := k.interval - time.Since(k.last)
	if wait > 0 {
		k.timer = time.AfterFunc(wait, k.fire)
		k.mu.Unlock()
		return
	}
	k.last = time.Now()
	k.mu.Unlock()
	k.send()
}

// fire sends the deferred request.
func (k *keyframeRequester) fire() {
	k.mu.Lock()
	k.timer = nil
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.last = time.Now()
	k.mu.Unlock()
	k.send()
}

// stop cancels a deferred request and refuses new ones.
func (k *keyframeRequester) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closed = true
	if k.timer != nil {
		k.timer.Stop()
		k.timer = nil
	}
}
