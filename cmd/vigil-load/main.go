// Command vigil-load puts load on a running Vigil on loopback. The default
// scenario, sockets, measures how many idle device websockets one Vigil
// process holds and what each costs; commands and motion measure latency
// (see commands.go, motion.go).
//
// The sockets scenario It registers N devices on a running
// server, opens one socket per device from several loopback source
// addresses (one source address has only ~28,000 ephemeral ports), keeps
// them open and answering pings for a while, and reports the server's
// resident memory from /proc. It talks to loopback only and stops by
// itself.
//
//	vigil-load -url http://127.0.0.1:3100 -n 10000 -pid $(pgrep -n vigil) -hold 60s
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

type options struct {
	base    string
	n       int
	pid     int
	hold    time.Duration
	sources int
	workers int
	settle  time.Duration

	scenario string
	rate     int
	duration time.Duration
	pairs    int
	clients  int
}

func main() {
	var o options
	flag.StringVar(&o.base, "url", "http://127.0.0.1:3100", "server base URL (loopback only)")
	flag.IntVar(&o.n, "n", 1000, "devices and sockets")
	flag.IntVar(&o.pid, "pid", 0, "server process id, for /proc/<pid>/status")
	flag.DurationVar(&o.hold, "hold", 30*time.Second, "how long to hold the sockets open")
	flag.IntVar(&o.sources, "sources", 4, "source addresses 127.0.0.2.. to spread sockets over")
	flag.IntVar(&o.workers, "workers", 32, "concurrent registrations and dials")
	flag.DurationVar(&o.settle, "settle", 20*time.Second,
		"wait after registering, so the server returns its garbage before the baseline")
	flag.StringVar(&o.scenario, "scenario", "sockets", "sockets, commands or motion")
	flag.IntVar(&o.rate, "rate", 1000, "commands: commands per second; motion: events per second")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "commands, motion: how long to send")
	flag.IntVar(&o.pairs, "pairs", 10, "commands: camera-client pairs to spread commands over")
	flag.IntVar(&o.clients, "clients", 100, "motion: clients linked to the one camera")
	flag.Parse()
	scenarios := map[string]func(options) error{"sockets": run, "commands": runCommands,
		"motion": runMotion}
	scenario, ok := scenarios[o.scenario]
	if !ok {
		fmt.Fprintln(os.Stderr, "vigil-load: -scenario must be sockets, commands or motion")
		os.Exit(2)
	}
	if err := scenario(o); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-load:", err)
		os.Exit(1)
	}
}

func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil || !net.ParseIP(u.Hostname()).IsLoopback() {
		return errors.New("-url must be a loopback address")
	}
	return nil
}

func run(o options) error {
	if err := checkLoopback(o.base); err != nil {
		return err
	}
	session, err := signUp(o.base)
	if err != nil {
		return err
	}
	start := time.Now()
	tokens, err := registerAll(o, session)
	if err != nil {
		return err
	}
	fmt.Printf("registered %d devices in %v\n", len(tokens), time.Since(start).Round(time.Millisecond))

	time.Sleep(o.settle)
	before := rssKiB(o.pid)
	fmt.Printf("server RSS before sockets: %d KiB\n", before)
	start = time.Now()
	conns, failed := dialAll(o, tokens)
	fmt.Printf("opened %d sockets (%d failed) in %v\n", len(conns), failed,
		time.Since(start).Round(time.Millisecond))

	peak := hold(o, conns)
	after := rssKiB(o.pid)
	open := countOpen(conns)
	fmt.Printf("held %v: %d sockets still open; server RSS %d KiB (peak %d KiB)\n",
		o.hold, open, after, peak)
	if open > 0 {
		fmt.Printf("per socket: %.1f KiB settled, %.1f KiB at peak\n",
			float64(after-before)/float64(open), float64(peak-before)/float64(open))
	}
	for _, c := range conns {
		c.ws.Close()
	}
	return nil
}

func signUp(base string) (string, error) {
	email := fmt.Sprintf("load-%d@example.com", time.Now().UnixNano())
	var out struct{ Token string }
	err := post(base+"/api/auth/sign-up/email", "", map[string]string{
		"name": "load", "email": email, "password": "load-password-1"}, &out)
	return out.Token, err
}

func registerAll(o options, session string) ([]string, error) {
	tokens := make([]string, o.n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < o.n; i = int(next.Add(1) - 1) {
				var out struct{ DeviceToken string }
				err := post(o.base+"/devices/register", session,
					map[string]string{"name": "load-" + strconv.Itoa(i), "role": "camera"}, &out)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				tokens[i] = out.DeviceToken
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	return tokens, nil
}

func post(target, bearer string, body, out any) error {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", target, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: status %d", target, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

type conn struct {
	ws     *websocket.Conn
	closed atomic.Bool
}

// dialAll opens one socket per token; each gets a reader goroutine so it
// answers the server's pings like a live device.
func dialAll(o options, tokens []string) ([]*conn, int) {
	wsURL := "ws" + strings.TrimPrefix(o.base, "http") + "/ws"
	conns := make([]*conn, len(tokens))
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(tokens); i = int(next.Add(1) - 1) {
				c, err := dialFrom(wsURL, tokens[i], i%o.sources+2)
				if err != nil {
					failed.Add(1)
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	return out, int(failed.Load())
}

func dialFrom(wsURL, token string, source int) (*conn, error) {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(source))}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 512,
		WriteBufferSize: 512, NetDial: (&net.Dialer{LocalAddr: local}).Dial}
	ws, _, err := d.Dial(wsURL, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		return nil, err
	}
	c := &conn{ws: ws}
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				c.closed.Store(true)
				return
			}
		}
	}()
	return c, nil
}

// hold keeps the sockets open for o.hold and returns the peak RSS seen.
func hold(o options, conns []*conn) int {
	peak := 0
	for end := time.Now().Add(o.hold); time.Now().Before(end); time.Sleep(time.Second) {
		peak = max(peak, rssKiB(o.pid))
	}
	return peak
}

func countOpen(conns []*conn) int {
	n := 0
	for _, c := range conns {
		if !c.closed.Load() {
			n++
		}
	}
	return n
}

// rssKiB reads VmRSS of pid; 0 when pid is unset or unreadable.
func rssKiB(pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}
