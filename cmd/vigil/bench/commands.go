package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// drainTimeout is how long a scenario waits after sending for answers
// still on their way; what has not arrived by then counts as lost.
const drainTimeout = 10 * time.Second

// commands measures a command's round trip: a client's POST /commands,
// the camera receiving command:received and answering command:ack, and
// the client hearing command:status acknowledged.
type commands struct {
	rate     int
	duration time.Duration
	pairs    int
}

func (c *commands) summary() string {
	return "command round trip (p50/p95/p99/max) at a target rate; lost and duplicated"
}

func (c *commands) flags(fs *flag.FlagSet) {
	fs.IntVar(&c.rate, "rate", 200, "commands per second")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to send")
	fs.IntVar(&c.pairs, "pairs", 10, "linked camera-client pairs the commands are spread over")
}

// commandCounts are what the sockets saw.
type commandCounts struct {
	received, dupes, acked, postFailed atomic.Int64
}

func (c *commands) run(ctx context.Context, e *env) (*Result, error) {
	if c.rate < 1 || c.pairs < 1 || c.duration <= 0 {
		return nil, fmt.Errorf("-rate, -pairs and -duration must be positive")
	}
	u, err := e.signUp(ctx)
	if err != nil {
		return nil, err
	}
	cams, clis, err := linkedPairs(ctx, e, u, c.pairs)
	if err != nil {
		return nil, err
	}

	lat := newHistogram()
	var sentAt sync.Map // idempotency key → time.Time
	var n commandCounts
	if err := c.listen(e, cams, clis, &sentAt, lat, &n); err != nil {
		return nil, err
	}
	res := &Result{}
	scraped := time.Now()
	before := e.scrapeOrNil(ctx, res)

	bar := e.progress(int64(float64(c.rate)*c.duration.Seconds()), "commands")
	start := time.Now()
	sent := pace(ctx, c.rate, c.duration, 512, func(i int) {
		p := i % len(cams)
		key := "bench-" + strconv.Itoa(i)
		sentAt.Store(key, time.Now())
		err := e.call(ctx, "POST", "/commands", clis[p].Token, map[string]any{
			"targetDeviceId": cams[p].ID, "commandType": "take_snapshot", "idempotencyKey": key}, nil)
		if err != nil {
			n.postFailed.Add(1)
		}
	}, func() { _ = bar.Add(1) })
	elapsed := time.Since(start)
	_ = bar.Finish()
	for deadline := time.Now().Add(drainTimeout); n.acked.Load()+n.postFailed.Load() < int64(sent) &&
		time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}

	res.add("commands sent", float64(sent), "")
	res.add("send rate", float64(sent)/elapsed.Seconds(), "/s")
	res.add("POST failed", float64(n.postFailed.Load()), "")
	res.add("received by cameras", float64(n.received.Load()), "")
	res.add("duplicated", float64(n.dupes.Load()), "")
	res.add("acknowledged at the client", float64(n.acked.Load()), "")
	res.add("lost", float64(int64(sent)-n.postFailed.Load()-n.acked.Load()), "")
	if after := e.scrapeOrNil(ctx, res); before != nil && after != nil {
		addDelta(res, before, after, "server: commands acknowledged", "vigil_commands_total",
			"status", "acknowledged")
		addCPU(res, before, after, time.Since(scraped))
	}
	res.Latency = lat.latency("round trip")
	res.note("round trip: POST /commands → command:received at the camera → command:ack → " +
		"command:status acknowledged at the client")
	return res, nil
}

// listen opens every camera's and client's socket: cameras acknowledge
// each command, clients time the acknowledged status.
func (c *commands) listen(e *env, cams, clis []device, sentAt *sync.Map, lat *histogram,
	n *commandCounts) error {
	dl := e.dialer()
	var seen sync.Map // command id → struct{}
	for i := range cams {
		cam, err := dl.dial(cams[i], 0)
		if err != nil {
			return err
		}
		e.onCleanup(func() error { cam.close(); return nil })
		go cam.readFrames(func(f frame) {
			var cmd struct{ ID string }
			if f.Event != "command:received" || json.Unmarshal(f.Data, &cmd) != nil {
				return
			}
			if _, dup := seen.LoadOrStore(cmd.ID, struct{}{}); dup {
				n.dupes.Add(1)
			}
			n.received.Add(1)
			_ = cam.send("command:ack", map[string]string{"commandId": cmd.ID, "status": "acknowledged"})
		})
		cli, err := dl.dial(clis[i], 0)
		if err != nil {
			return err
		}
		e.onCleanup(func() error { cli.close(); return nil })
		go cli.readFrames(func(f frame) {
			var cmd struct{ Status, IdempotencyKey string }
			if f.Event != "command:status" || json.Unmarshal(f.Data, &cmd) != nil ||
				cmd.Status != "acknowledged" {
				return
			}
			if at, ok := sentAt.LoadAndDelete(cmd.IdempotencyKey); ok {
				lat.record(time.Since(at.(time.Time)))
				n.acked.Add(1)
			}
		})
	}
	// Let the device actors see the sockets before the first command.
	time.Sleep(500 * time.Millisecond)
	return nil
}

// linkedPairs registers n cameras and n clients and links each pair.
func linkedPairs(ctx context.Context, e *env, u user, n int) ([]device, []device, error) {
	var cams, clis []device
	for i := range n {
		cam, err := e.register(ctx, u, fmt.Sprintf("bench-cam-%d", i), "camera")
		if err != nil {
			return nil, nil, err
		}
		cli, err := e.register(ctx, u, fmt.Sprintf("bench-cli-%d", i), "client")
		if err != nil {
			return nil, nil, err
		}
		if err := e.link(ctx, u, cam, cli); err != nil {
			return nil, nil, err
		}
		cams, clis = append(cams, cam), append(clis, cli)
	}
	return cams, clis, nil
}

// addDelta adds how much a server counter moved between two scrapes.
func addDelta(res *Result, before, after samples, name, metric string, labels ...string) {
	b, ok1 := before.value(metric, labels...)
	a, ok2 := after.value(metric, labels...)
	if ok1 && ok2 {
		res.add(name, a-b, "")
	}
}

// addCPU adds the server's CPU use between two scrapes window apart, in
// percent of one core, and its resident memory at the end.
func addCPU(res *Result, before, after samples, window time.Duration) {
	b, ok1 := before.value("process_cpu_seconds_total")
	a, ok2 := after.value("process_cpu_seconds_total")
	if ok1 && ok2 {
		res.add("server CPU", 100*(a-b)/window.Seconds(), "% of a core")
	}
	if rss, ok := after.value("process_resident_memory_bytes"); ok {
		res.add("server RSS", rss/(1<<20), "MiB")
	}
}
