// Command sfubench measures what Vigil's SFU costs to forward one 1.5 Mbps
// camera to N viewers on this machine. It runs the SFU in this process and
// re-runs itself as a load process holding the camera and the viewers, so
// the CPU time it reports (getrusage of this process) is the SFU's alone.
//
//	go run ./media/sfubench -viewers 10 -duration 10s
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-oss/vigil/media"
)

// message is one line of the pipe protocol between the two processes.
type message struct {
	Kind string `json:"kind"` // publish, subscribe, answer, ready, stop, report, error
	ID   string `json:"id,omitempty"`
	SDP  string `json:"sdp,omitempty"`
	// Report fields, from the load process.
	Received     int64     `json:"received,omitempty"`
	FirstFrameMs []float64 `json:"firstFrameMs,omitempty"`
}

func main() {
	role := flag.String("role", "server", "server, or load (started by the server)")
	viewers := flag.Int("viewers", 10, "viewers to forward to")
	duration := flag.Duration("duration", 10*time.Second, "measured time")
	warmup := flag.Duration("warmup", 2*time.Second, "time after the last viewer before measuring")
	flag.Parse()
	var err error
	if *role == "load" {
		err = runLoad(*viewers, os.Stdin, os.Stdout)
	} else {
		err = runServer(*viewers, *duration, *warmup)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sfubench:", err)
		os.Exit(1)
	}
}

// runServer serves the load process's offers, then measures.
func runServer(viewers int, duration, warmup time.Duration) error {
	sfu, err := media.New(media.Config{
		ICEIPs:        []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		MaxPublishers: 1, MaxSubscribersPerRoom: viewers,
	})
	if err != nil {
		return err
	}
	defer sfu.Close()
	room := sfu.NewRoom(media.RoomConfig{ID: "bench"})
	defer room.Close()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-role", "load", "-viewers", fmt.Sprint(viewers))
	cmd.Stderr = os.Stderr
	toLoad, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	fromLoad, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Wait() }()
	in, out := bufio.NewScanner(fromLoad), json.NewEncoder(toLoad)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	if err := serveOffers(room, in, out); err != nil {
		return err
	}
	time.Sleep(warmup)
	m := measure(room, duration)
	if err := out.Encode(message{Kind: "stop"}); err != nil {
		return err
	}
	rep, err := next(in)
	if err != nil {
		return err
	}
	printResult(viewers, duration, m, rep)
	return nil
}

// serveOffers answers offers until the load process is ready.
func serveOffers(room *media.Room, in *bufio.Scanner, out *json.Encoder) error {
	ctx := context.Background()
	for {
		msg, err := next(in)
		if err != nil {
			return err
		}
		var ans string
		switch msg.Kind {
		case "ready":
			return nil
		case "publish":
			ans, err = room.Publish(ctx, msg.SDP)
		case "subscribe":
			ans, err = room.Subscribe(ctx, msg.ID, msg.SDP)
		default:
			return fmt.Errorf("unexpected %q from the load process", msg.Kind)
		}
		if err != nil {
			return err
		}
		if err := out.Encode(message{Kind: "answer", SDP: ans}); err != nil {
			return err
		}
	}
}

// next reads one message.
func next(in *bufio.Scanner) (message, error) {
	if !in.Scan() {
		if in.Err() != nil {
			return message{}, in.Err()
		}
		return message{}, io.ErrUnexpectedEOF
	}
	var m message
	if err := json.Unmarshal(in.Bytes(), &m); err != nil {
		return message{}, err
	}
	if m.Kind == "error" {
		return message{}, fmt.Errorf("load process: %s", m.SDP)
	}
	return m, nil
}

// measurement is the SFU's cost over the measured time.
type measurement struct {
	cpu       time.Duration
	forwarded uint64
	received  uint64
	rssKiB    int64
	hwmKiB    int64
}

func measure(room *media.Room, d time.Duration) measurement {
	cpu0, st0 := cpuTime(), room.Stats()
	time.Sleep(d)
	cpu1, st1 := cpuTime(), room.Stats()
	return measurement{
		cpu:       cpu1 - cpu0,
		forwarded: st1.PacketsForwarded - st0.PacketsForwarded,
		received:  st1.PacketsIn - st0.PacketsIn,
		rssKiB:    procStatusKiB("VmRSS"),
		hwmKiB:    procStatusKiB("VmHWM"),
	}
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatusKiB reads one "Vm..." line of /proc/self/status.
func procStatusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kib)
			return kib
		}
	}
	return 0
}

func printResult(viewers int, d time.Duration, m measurement, rep message) {
	secs := d.Seconds()
	perPkt := float64(m.cpu.Microseconds()) / float64(max(m.forwarded, 1))
	fmt.Printf("viewers=%d in=%.0f pkt/s forwarded=%.0f pkt/s cpu=%.1f%% of one core "+
		"cpu/pkt=%.2f µs (%.0f pkt/s per core) rss=%d KiB hwm=%d KiB viewersReceived=%d "+
		"firstFrame median=%.0f ms max=%.0f ms\n",
		viewers, float64(m.received)/secs, float64(m.forwarded)/secs,
		100*m.cpu.Seconds()/secs, perPkt, 1e6/perPkt, m.rssKiB, m.hwmKiB, rep.Received,
		quantile(rep.FirstFrameMs, 0.5), quantile(rep.FirstFrameMs, 1))
}
