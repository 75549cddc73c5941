package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// motion measures motion fan-out: one camera linked to many clients posts
// motion starts; each client times its motion:detected from the POST.
type motion struct {
	rate     int
	duration time.Duration
	clients  int
}

func (m *motion) summary() string {
	return "motion fan-out latency from one camera to N linked clients"
}

func (m *motion) flags(fs *flag.FlagSet) {
	fs.IntVar(&m.rate, "rate", 20, "motion events per second, posted one at a time")
	fs.DurationVar(&m.duration, "duration", 10*time.Second, "how long to post")
	fs.IntVar(&m.clients, "clients", 100, "clients linked to the camera")
}

func (m *motion) run(ctx context.Context, e *env) (*Result, error) {
	if m.rate < 1 || m.clients < 1 || m.duration <= 0 {
		return nil, fmt.Errorf("-rate, -clients and -duration must be positive")
	}
	u, err := e.signUp(ctx)
	if err != nil {
		return nil, err
	}
	cam, err := e.register(ctx, u, "bench-cam", "camera")
	if err != nil {
		return nil, err
	}

	lat := newHistogram()
	var sentAt sync.Map // clientEventId → time.Time
	var delivered, outOfOrder atomic.Int64
	dl := e.dialer()
	bar := e.progress(int64(m.clients), "clients")
	for i := range m.clients {
		cli, err := e.register(ctx, u, "bench-cli-"+strconv.Itoa(i), "client")
		if err != nil {
			return nil, err
		}
		if err := e.link(ctx, u, cam, cli); err != nil {
			return nil, err
		}
		sock, err := dl.dial(cli, 0)
		if err != nil {
			return nil, err
		}
		e.onCleanup(func() error { sock.close(); return nil })
		last := -1
		go sock.readFrames(func(f frame) {
			var ev struct{ ClientEventID string }
			if f.Event != "motion:detected" || json.Unmarshal(f.Data, &ev) != nil {
				return
			}
			if at, ok := sentAt.Load(ev.ClientEventID); ok {
				lat.record(time.Since(at.(time.Time)))
				delivered.Add(1)
			}
			if n, err := strconv.Atoi(strings.TrimPrefix(ev.ClientEventID, "ev-")); err == nil {
				if n < last {
					outOfOrder.Add(1)
				}
				last = max(last, n)
			}
		})
		_ = bar.Add(1)
	}
	_ = bar.Finish()
	time.Sleep(500 * time.Millisecond)

	res := &Result{}
	scraped := time.Now()
	before := e.scrapeOrNil(ctx, res)
	var failed atomic.Int64
	bar = e.progress(int64(float64(m.rate)*m.duration.Seconds()), "motion events")
	start := time.Now()
	n := pace(ctx, m.rate, m.duration, 1, func(i int) {
		key := "ev-" + strconv.Itoa(i)
		sentAt.Store(key, time.Now())
		if err := e.call(ctx, "POST", "/events/motion/start", cam.Token,
			map[string]any{"clientEventId": key}, nil); err != nil {
			failed.Add(1)
		}
	}, func() { _ = bar.Add(1) })
	elapsed := time.Since(start)
	_ = bar.Finish()
	want := (int64(n) - failed.Load()) * int64(m.clients)
	for deadline := time.Now().Add(drainTimeout); delivered.Load() < want &&
		time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}

	res.add("motion events posted", float64(n), "")
	res.add("post rate", float64(n)/elapsed.Seconds(), "/s")
	res.add("POST failed", float64(failed.Load()), "")
	res.add("linked clients", float64(m.clients), "")
	res.add("deliveries expected", float64(want), "")
	res.add("deliveries lost", float64(want-delivered.Load()), "")
	res.add("delivered out of order", float64(outOfOrder.Load()), "")
	if after := e.scrapeOrNil(ctx, res); before != nil && after != nil {
		addDelta(res, before, after, "server: motion:detected fan-outs", "vigil_motion_events_total",
			"event", "motion:detected")
		addCPU(res, before, after, time.Since(scraped))
	}
	res.Latency = lat.latency("fan-out")
	res.note("fan-out: POST /events/motion/start → motion:detected at each linked client; " +
		"one sample per client per event")
	return res, nil
}
