package bench

import (
	"context"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// maxLatency is the longest latency the histograms hold; anything slower
// is recorded as this.
const maxLatency = time.Minute

// histogram records latencies in microseconds (HdrHistogram, three
// significant digits), from many goroutines.
type histogram struct {
	mu sync.Mutex // guards h: hdrhistogram is not safe for concurrent use
	h  *hdrhistogram.Histogram
}

func newHistogram() *histogram {
	return &histogram{h: hdrhistogram.New(1, maxLatency.Microseconds(), 3)}
}

func (l *histogram) record(d time.Duration) {
	us := min(max(d.Microseconds(), 1), maxLatency.Microseconds())
	l.mu.Lock()
	_ = l.h.RecordValue(us)
	l.mu.Unlock()
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	What  string  `json:"what"`
	Count int64   `json:"count"`
	P50   float64 `json:"p50Ms"`
	P90   float64 `json:"p90Ms"`
	P95   float64 `json:"p95Ms"`
	P99   float64 `json:"p99Ms"`
	P999  float64 `json:"p999Ms"`
	Max   float64 `json:"maxMs"`
}

type quantile struct {
	name string
	ms   float64
}

func (l *Latency) quantiles() []quantile {
	return []quantile{{"p50", l.P50}, {"p90", l.P90}, {"p95", l.P95}, {"p99", l.P99},
		{"p99.9", l.P999}, {"max", l.Max}}
}

// latency summarises the histogram; what says what was timed.
func (l *histogram) latency(what string) *Latency {
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := func(q float64) float64 { return float64(l.h.ValueAtQuantile(q)) / 1000 }
	return &Latency{What: what, Count: l.h.TotalCount(), P50: ms(50), P90: ms(90), P95: ms(95),
		P99: ms(99), P999: ms(99.9), Max: float64(l.h.Max()) / 1000}
}

// pace calls f rate times a second for d, each call on its own goroutine
// with at most inflight running, waits for them, and returns how many it
// started. It stops early when ctx ends. tick, when set, is called after
// each start.
func pace(ctx context.Context, rate int, d time.Duration, inflight int, f func(i int),
	tick func()) int {
	sem := make(chan struct{}, inflight)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(max(rate, 1))
	start := time.Now()
	n := 0
	for end := start.Add(d); time.Now().Before(end) && ctx.Err() == nil; n++ {
		if wait := time.Until(start.Add(time.Duration(n) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}(n)
		if tick != nil {
			tick()
		}
	}
	wg.Wait()
	return n
}
