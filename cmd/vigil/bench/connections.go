package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// connections measures what idle device websockets cost the server: it
// registers N cameras, reads the server's memory from /metrics, opens one
// socket per camera, holds them open, and reads the memory again.
type connections struct {
	n       int
	hold    time.Duration
	settle  time.Duration
	sources int
	workers int
	gcURL   string
}

func (c *connections) summary() string {
	return "N idle device websockets; memory per connection from the server's /metrics"
}

func (c *connections) flags(fs *flag.FlagSet) {
	fs.IntVar(&c.n, "n", 1000, "devices and sockets")
	fs.DurationVar(&c.hold, "hold", 30*time.Second, "how long to hold the sockets open")
	fs.DurationVar(&c.settle, "settle", 10*time.Second,
		"wait after registering, so the server returns that garbage before the baseline")
	fs.IntVar(&c.sources, "sources", 4,
		"source addresses 127.0.0.2.. to spread sockets over when the server is on 127.0.0.1 "+
			"(one address has about 28,000 ephemeral ports)")
	fs.IntVar(&c.workers, "workers", 32, "registrations and dials in flight at once")
	fs.StringVar(&c.gcURL, "gc-url", "",
		"a URL that makes the server collect garbage before each memory reading, e.g. "+
			"http://127.0.0.1:6060/debug/pprof/heap?gc=1 with VIGIL_DEBUG_ADDR=127.0.0.1:6060; "+
			"without it the heap figures are as of the server's last collection")
}

func (c *connections) run(ctx context.Context, e *env) (*Result, error) {
	if c.n < 1 || c.workers < 1 || c.sources < 1 || c.sources > 250 {
		return nil, fmt.Errorf("-n and -workers must be positive, -sources 1..250")
	}
	if c.gcURL != "" {
		if err := checkURL("-gc-url", c.gcURL, e.opts.allowRemote); err != nil {
			return nil, err
		}
	}
	u, err := e.signUp(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	devs, err := c.registerAll(ctx, e, u)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	res.add("registration time", time.Since(start).Seconds(), "s")
	if err := e.wait(ctx, c.settle, "settling"); err != nil {
		return res, err
	}
	c.collect(ctx, e, res)
	before := e.scrapeOrNil(ctx, res)

	start = time.Now()
	socks, failed := c.dialAll(ctx, e, devs)
	res.add("sockets opened", float64(len(socks)), "")
	res.add("sockets failed", float64(failed), "")
	res.add("open time", time.Since(start).Seconds(), "s")
	e.onCleanup(func() error {
		for _, s := range socks {
			s.sock.close()
		}
		return nil
	})
	if err := e.wait(ctx, c.hold, "holding"); err != nil {
		return res, err
	}
	open := 0
	for _, s := range socks {
		if !s.closed.Load() {
			open++
		}
	}
	res.add("open after hold", float64(open), "")
	c.collect(ctx, e, res)
	after := e.scrapeOrNil(ctx, res)
	if before != nil && after != nil && open > 0 {
		perConn(res, before, after, open)
	}
	res.note("per connection is (after − before) / open sockets: the socket, its connection " +
		"actor, the device actor it activates, buffers and (in RSS) Go's GC headroom")
	if c.gcURL == "" {
		res.note("without -gc-url the heap figures are as of the server's last garbage " +
			"collection, which may predate the sockets or hold earlier garbage")
	}
	return res, nil
}

// collect asks the server to collect garbage through -gc-url, so the
// heap figures read next are what is live; a failure becomes a note.
func (c *connections) collect(ctx context.Context, e *env, res *Result) {
	if c.gcURL == "" {
		return
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.gcURL, nil)
	if err != nil {
		res.note("garbage collection not asked: %v", err)
		return
	}
	resp, err := e.client.Do(req)
	if err != nil {
		res.note("garbage collection not asked: %v", err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		res.note("garbage collection not asked: %s answered %d", c.gcURL, resp.StatusCode)
	}
}

// perConn adds the server's memory before and after, and per socket.
func perConn(res *Result, before, after samples, open int) {
	for _, m := range []struct{ metric, name string }{
		{"process_resident_memory_bytes", "server RSS"},
		{"go_memstats_heap_inuse_bytes", "server Go heap in use"},
		{"go_gc_heap_live_bytes", "server live heap at last GC"},
	} {
		b, ok1 := before.value(m.metric)
		a, ok2 := after.value(m.metric)
		if !ok1 || !ok2 {
			continue
		}
		res.add(m.name+" before", b/1024, "KiB")
		res.add(m.name+" after", a/1024, "KiB")
		res.add(m.name+" per connection", (a-b)/1024/float64(open), "KiB")
	}
	if n, ok := after.value("vigil_sockets_open"); ok {
		res.add("server: sockets open", n, "")
	}
	if v, ok := res.Figure("server RSS per connection"); ok && v <= 0 {
		res.note("the server's RSS did not grow: memory it had freed before the baseline " +
			"(the sign-up's 32 MiB scrypt buffer, the registrations) was returned to the OS " +
			"during the run; read the heap figures, or settle longer")
	}
}

// registerAll registers c.n cameras of u.
func (c *connections) registerAll(ctx context.Context, e *env, u user) ([]device, error) {
	devs := make([]device, c.n)
	var firstErr error
	var once sync.Once
	bar := e.progress(int64(c.n), "registering")
	defer bar.Finish()
	c.parallel(func(i int) bool {
		d, err := e.register(ctx, u, "bench-"+strconv.Itoa(i), "camera")
		if err != nil {
			once.Do(func() { firstErr = err })
			return false
		}
		devs[i] = d
		_ = bar.Add(1)
		return true
	})
	return devs, firstErr
}

type heldSocket struct {
	sock   *socket
	closed atomic.Bool
}

// dialAll opens one socket per device; each keeps reading, so it answers
// the server's pings like a live phone.
func (c *connections) dialAll(ctx context.Context, e *env, devs []device) ([]*heldSocket, int) {
	dl := e.dialer()
	spread := 0
	if u, err := url.Parse(e.base); err == nil && u.Hostname() == "127.0.0.1" {
		spread = c.sources
	}
	held := make([]*heldSocket, len(devs))
	var failed atomic.Int64
	bar := e.progress(int64(len(devs)), "opening sockets")
	defer bar.Finish()
	c.parallel(func(i int) bool {
		if ctx.Err() != nil {
			return false
		}
		source := 0
		if spread > 0 {
			source = 2 + i%spread
		}
		s, err := dl.dial(devs[i], source)
		if err != nil {
			failed.Add(1)
			return true
		}
		h := &heldSocket{sock: s}
		go func() {
			s.readFrames(func(frame) {})
			h.closed.Store(true)
		}()
		held[i] = h
		_ = bar.Add(1)
		return true
	})
	out := held[:0]
	for _, h := range held {
		if h != nil {
			out = append(out, h)
		}
	}
	return out, int(failed.Load())
}

// parallel calls f for 0..c.n-1 on c.workers goroutines until f reports
// false.
func (c *connections) parallel(f func(i int) bool) {
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < c.n && !stop.Load(); i = int(next.Add(1) - 1) {
				if !f(i) {
					stop.Store(true)
				}
			}
		}()
	}
	wg.Wait()
}
