package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// streamReadyTimeout bounds how long a viewer waits for the published
// stream to become playable.
const streamReadyTimeout = 10 * time.Second

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU
// times; 100 on every Linux architecture Go supports.
const clockTicks = 100

// sfu measures forwarding: one publisher at a set bitrate over WHIP, N
// subscribers over WHEP, all real pion peers. Against Vigil it makes the
// stream session itself; with -whip and -whep it drives any SFU that
// speaks both, MediaMTX or LiveKit among them.
type sfu struct {
	viewers   int
	bitrate   int
	fps       int
	duration  time.Duration
	warmup    time.Duration
	whip      string
	whep      string
	whipToken string
	whepToken string
	pid       int
}

func (s *sfu) summary() string {
	return "one WHIP publisher at a bitrate, N WHEP viewers: packets forwarded/s, loss, server CPU"
}

func (s *sfu) flags(fs *flag.FlagSet) {
	fs.IntVar(&s.viewers, "viewers", 10, "WHEP viewers")
	fs.IntVar(&s.bitrate, "bitrate", 1_500_000, "video bits per second")
	fs.IntVar(&s.fps, "fps", 30, "video frames per second")
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "measured time")
	fs.DurationVar(&s.warmup, "warmup", 2*time.Second, "time after the last viewer joins, before measuring")
	fs.StringVar(&s.whip, "whip", "", "WHIP endpoint of another SFU (with -whep); empty: make a Vigil stream")
	fs.StringVar(&s.whep, "whep", "", "WHEP endpoint of another SFU")
	fs.StringVar(&s.whipToken, "whip-token", "", "bearer token for -whip")
	fs.StringVar(&s.whepToken, "whep-token", "", "bearer token for -whep")
	fs.IntVar(&s.pid, "pid", 0,
		"the SFU's process id on this machine: its CPU and memory are read from /proc "+
			"(for an SFU without Vigil's /metrics)")
}

// endpoints are where the run publishes and plays, with their tokens:
// the flags, or a stream session made on Vigil.
type endpoints struct {
	whip, whep, whipToken, whepToken string
}

// window is what the viewers and the server counted at one moment.
type window struct {
	at                 time.Time
	received, highest  int64
	server             samples
	procCPU, procRSSKB float64
}

func (s *sfu) run(ctx context.Context, e *env) (*Result, error) {
	if s.viewers < 1 || s.bitrate < 8*s.fps || s.fps < 1 || s.duration <= 0 {
		return nil, errors.New("-viewers, -fps and -duration must be positive, -bitrate at least 8·fps")
	}
	if (s.whip == "") != (s.whep == "") {
		return nil, errors.New("-whip and -whep go together")
	}
	for name, u := range map[string]string{"-whip": s.whip, "-whep": s.whep} {
		if u != "" {
			if err := checkURL(name, u, e.opts.allowRemote); err != nil {
				return nil, err
			}
		}
	}
	vigil := s.whip == ""
	ep := endpoints{whip: s.whip, whep: s.whep, whipToken: s.whipToken, whepToken: s.whepToken}
	if vigil {
		var err error
		if ep, err = makeVigilStream(ctx, e); err != nil {
			return nil, err
		}
	}
	api, err := peerAPI(!e.opts.allowRemote)
	if err != nil {
		return nil, err
	}

	if err := s.publish(ctx, e, api, ep); err != nil {
		return nil, err
	}
	viewers, err := s.subscribe(ctx, e, api, ep)
	if err != nil {
		return nil, err
	}
	if err := e.wait(ctx, s.warmup, "warming up"); err != nil {
		return nil, err
	}
	res := &Result{}
	if !vigil {
		res.Target = s.whip
	}
	w0 := s.snapshot(ctx, e, res, viewers)
	if err := e.wait(ctx, s.duration, "measuring"); err != nil {
		return nil, err
	}
	w1 := s.snapshot(ctx, e, res, viewers)
	s.report(res, viewers, w0, w1)
	return res, nil
}

// makeVigilStream sets up what a real camera and viewer have: a user, a
// linked camera and client, and a stream session the client requested.
// The camera's token publishes; the client's token plays, once per viewer.
func makeVigilStream(ctx context.Context, e *env) (endpoints, error) {
	u, err := e.signUp(ctx)
	if err != nil {
		return endpoints{}, err
	}
	cams, clis, err := linkedPairs(ctx, e, u, 1)
	if err != nil {
		return endpoints{}, err
	}
	var out struct{ StreamSession struct{ ID string } }
	if err := e.call(ctx, "POST", "/streams/request", clis[0].Token,
		map[string]string{"cameraDeviceId": cams[0].ID}, &out); err != nil {
		return endpoints{}, fmt.Errorf("request a stream: %w", err)
	}
	id := out.StreamSession.ID
	return endpoints{whip: e.base + "/whip/streams/" + id, whipToken: cams[0].Token,
		whep: e.base + "/whep/streams/" + id, whepToken: clis[0].Token}, nil
}

func (s *sfu) publish(ctx context.Context, e *env, api *webrtc.API, ep endpoints) error {
	pub, err := newPublisher(api)
	if err != nil {
		return err
	}
	e.onCleanup(func() error { pub.close(); return nil })
	resource, err := whipExchange(ctx, e.client, pub.pc, ep.whip, ep.whipToken)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	// Registered after pub.close, so it runs first: the session ends
	// before the peer connection drops under it.
	e.onCleanup(func() error { return deleteResource(e.client, resource, ep.whipToken) })
	pub.start(s.fps, s.bitrate/8/s.fps)
	return nil
}

func (s *sfu) subscribe(ctx context.Context, e *env, api *webrtc.API,
	ep endpoints) ([]*viewer, error) {
	bar := e.progress(int64(s.viewers), "viewers")
	defer bar.Finish()
	var viewers []*viewer
	for range s.viewers {
		v, err := play(ctx, e, api, ep)
		if err != nil {
			return nil, fmt.Errorf("viewer %d: %w", len(viewers)+1, err)
		}
		viewers = append(viewers, v)
		_ = bar.Add(1)
	}
	return viewers, nil
}

// play adds one WHEP viewer. An SFU may answer 404 until the camera's
// tracks are in (MediaMTX waits for them after WHIP answers), so a 404 is
// tried again for a while.
func play(ctx context.Context, e *env, api *webrtc.API, ep endpoints) (*viewer, error) {
	deadline := time.Now().Add(streamReadyTimeout)
	for {
		v, err := newViewer(api)
		if err != nil {
			return nil, err
		}
		resource, err := whipExchange(ctx, e.client, v.pc, ep.whep, ep.whepToken)
		if err == nil {
			v.answered.Store(time.Now().UnixNano())
			v.resource = resource
			e.onCleanup(func() error { return v.pc.Close() })
			e.onCleanup(func() error { return deleteResource(e.client, resource, ep.whepToken) })
			return v, nil
		}
		_ = v.pc.Close()
		if !errors.Is(err, errNotFound) || time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *sfu) snapshot(ctx context.Context, e *env, res *Result, viewers []*viewer) window {
	w := window{at: time.Now(), server: e.scrapeOrNil(ctx, res)}
	for _, v := range viewers {
		r, h := v.counts()
		w.received += r
		w.highest += h
	}
	if s.pid > 0 {
		w.procCPU, w.procRSSKB = procUsage(s.pid)
	}
	return w
}

func (s *sfu) report(res *Result, viewers []*viewer, w0, w1 window) {
	secs := w1.at.Sub(w0.at).Seconds()
	got, expected := w1.received-w0.received, w1.highest-w0.highest
	res.add("viewers", float64(len(viewers)), "")
	res.add("video bitrate", float64(s.bitrate)/1e6, "Mbit/s")
	res.add("received by all viewers", float64(got)/secs, "packets/s")
	if expected > 0 {
		res.add("loss", 100*float64(max(expected-got, 0))/float64(expected), "%")
	}
	if ms := firstTimes(viewers, func(v *viewer) int64 { return v.firstVideo.Load() }); len(ms) > 0 {
		res.add("first video packet, median", ms[len(ms)/2], "ms")
		res.add("first video packet, max", ms[len(ms)-1], "ms")
	}
	ms := firstTimes(viewers, func(v *viewer) int64 { return v.firstKey.Load() })
	if len(ms) > 0 {
		res.add("first keyframe, median", ms[len(ms)/2], "ms")
		res.add("first keyframe, max", ms[len(ms)-1], "ms")
	}
	res.add("viewers without a keyframe", float64(len(viewers)-len(ms)), "")
	if w0.server != nil && w1.server != nil {
		if a, ok := w1.server.value("vigil_sfu_rtp_packets_forwarded_total"); ok {
			b, _ := w0.server.value("vigil_sfu_rtp_packets_forwarded_total")
			res.add("server: forwarded", (a-b)/secs, "packets/s")
		}
		if a, ok := w1.server.value("vigil_sfu_rtp_bytes_forwarded_total"); ok {
			b, _ := w0.server.value("vigil_sfu_rtp_bytes_forwarded_total")
			res.add("server: forwarded", 8*(a-b)/secs/1e6, "Mbit/s")
		}
		addCPU(res, w0.server, w1.server, w1.at.Sub(w0.at))
	}
	if s.pid > 0 && w1.procCPU > 0 {
		res.add("SFU process CPU", 100*(w1.procCPU-w0.procCPU)/secs, "% of a core")
		res.add("SFU process RSS", w1.procRSSKB/1024, "MiB")
	}
	res.note("loss counts sequence-number gaps at the viewers over the measured window; " +
		"first video packet and first keyframe are timed from the viewer's WHEP answer")
}

// firstTimes returns one time of each viewer that has it, in ms, sorted.
func firstTimes(viewers []*viewer, of func(*viewer) int64) []float64 {
	var ms []float64
	for _, v := range viewers {
		if ns := of(v); ns > 0 {
			ms = append(ms, float64(ns)/1e6)
		}
	}
	sort.Float64s(ms)
	return ms
}

// procUsage reads a process's CPU seconds (user + system) and resident
// memory in KiB from /proc; zeros when it cannot.
func procUsage(pid int) (cpuSeconds, rssKB float64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: utime and stime are the 12th and 13th of them.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 22 {
		return 0, 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	pages, _ := strconv.ParseFloat(f[21], 64)
	return (ut + st) / clockTicks, pages * float64(os.Getpagesize()) / 1024
}
