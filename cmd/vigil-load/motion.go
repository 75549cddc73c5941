package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runMotion measures motion fan-out: one camera linked to o.clients
// clients posts motion starts at o.rate per second for o.duration; each
// client records the time from the camera's POST to its motion:detected.
func runMotion(o options) error {
	if err := checkLoopback(o.base); err != nil {
		return err
	}
	session, err := signUp(o.base)
	if err != nil {
		return err
	}
	cam, err := register(o.base, session, "cam", "camera")
	if err != nil {
		return err
	}

	lat := newLatencies()
	var sentAt sync.Map // clientEventId → time.Time
	var delivered, outOfOrder atomic.Int64
	for i := range o.clients {
		cli, err := register(o.base, session, "cli-"+strconv.Itoa(i), "client")
		if err != nil {
			return err
		}
		if err := link(o.base, session, cam, cli); err != nil {
			return err
		}
		sock, err := openSocket(o.base, cli)
		if err != nil {
			return err
		}
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
			if n, _ := strconv.Atoi(ev.ClientEventID[len("ev-"):]); n < last {
				outOfOrder.Add(1)
			} else {
				last = n
			}
		})
	}
	time.Sleep(time.Second)

	var failed atomic.Int64
	n := pace(o.rate, o.duration, 1, func(i int) {
		key := "ev-" + strconv.Itoa(i)
		sentAt.Store(key, time.Now())
		var out struct{}
		if err := post(o.base+"/events/motion/start", cam.Token,
			map[string]any{"clientEventId": key}, &out); err != nil {
			failed.Add(1)
		}
	})
	want := int64(n-int(failed.Load())) * int64(o.clients)
	for deadline := time.Now().Add(10 * time.Second); delivered.Load() < want &&
		time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("camera posted %d motion starts (%d failed) to %d linked clients; "+
		"%d of %d deliveries arrived, %d out of order\n",
		n, failed.Load(), o.clients, delivered.Load(), want, outOfOrder.Load())
	lat.report("fan-out POST /events/motion/start → motion:detected at each client")
	return nil
}
