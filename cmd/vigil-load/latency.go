package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/fasthttp/websocket"
)

// device is a registered device as the latency scenarios use it.
type device struct {
	ID    string
	Token string
}

// register registers a device of the session's user.
func register(base, session, name, role string) (device, error) {
	var out struct {
		Device      struct{ ID string }
		DeviceToken string
	}
	err := post(base+"/devices/register", session, map[string]string{"name": name, "role": role}, &out)
	return device{ID: out.Device.ID, Token: out.DeviceToken}, err
}

func link(base, session string, camera, client device) error {
	var out struct{}
	return post(base+"/device-links", session,
		map[string]string{"cameraDeviceId": camera.ID, "clientDeviceId": client.ID}, &out)
}

// socket is a device's websocket; writes are serialised, reads belong to
// one goroutine.
type socket struct {
	ws *websocket.Conn
	mu sync.Mutex
}

func openSocket(base string, d device) (*socket, error) {
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws",
		http.Header{"Authorization": {"Bearer " + d.Token}})
	if err != nil {
		return nil, fmt.Errorf("dial as %s: %w", d.ID, err)
	}
	return &socket{ws: ws}, nil
}

func (s *socket) send(event string, data any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws.WriteJSON(map[string]any{"event": event, "data": data})
}

type frame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// readFrames calls f with each frame until the socket closes.
func (s *socket) readFrames(f func(frame)) {
	for {
		var fr frame
		if err := s.ws.ReadJSON(&fr); err != nil {
			return
		}
		f(fr)
	}
}

// latencies is a histogram of microseconds, shared by reader goroutines.
type latencies struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newLatencies() *latencies {
	return &latencies{h: hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)}
}

func (l *latencies) record(d time.Duration) {
	l.mu.Lock()
	l.h.RecordValue(d.Microseconds())
	l.mu.Unlock()
}

func (l *latencies) report(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := func(q float64) float64 { return float64(l.h.ValueAtQuantile(q)) / 1000 }
	fmt.Printf("%s: n=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms p99.9=%.2f ms max=%.2f ms\n",
		what, l.h.TotalCount(), ms(50), ms(90), ms(99), ms(99.9), float64(l.h.Max())/1000)
}

// pace calls f rate times a second for d, each call in its own goroutine
// with at most inflight running, and waits for them.
func pace(rate int, d time.Duration, inflight int, f func(i int)) int {
	sem := make(chan struct{}, inflight)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	n := 0
	for end := start.Add(d); time.Now().Before(end); n++ {
		if wait := time.Until(start.Add(time.Duration(n) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}(n)
	}
	wg.Wait()
	return n
}

func init() {
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 512
}
