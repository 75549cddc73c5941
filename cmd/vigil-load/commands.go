package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runCommands measures a command's round trip: a client's POST /commands,
// the camera receiving command:received and answering command:ack, and the
// client receiving command:status acknowledged. Commands go out at o.rate
// per second for o.duration, spread over o.pairs linked camera-client
// pairs; it counts every command the camera received twice and every one
// never acknowledged.
func runCommands(o options) error {
	if err := checkLoopback(o.base); err != nil {
		return err
	}
	session, err := signUp(o.base)
	if err != nil {
		return err
	}
	cams, clis, err := pairs(o, session)
	if err != nil {
		return err
	}

	lat := newLatencies()
	var sentAt sync.Map // idempotency key → time.Time
	var received, acked, dupes, failed atomic.Int64
	seen := sync.Map{} // command id → struct{}
	for i := range cams {
		camSock, err := openSocket(o.base, cams[i])
		if err != nil {
			return err
		}
		go camSock.readFrames(func(f frame) {
			if f.Event != "command:received" {
				return
			}
			var c struct{ ID string }
			json.Unmarshal(f.Data, &c)
			if _, dup := seen.LoadOrStore(c.ID, struct{}{}); dup {
				dupes.Add(1)
			}
			received.Add(1)
			camSock.send("command:ack", map[string]string{"commandId": c.ID, "status": "acknowledged"})
		})
		cliSock, err := openSocket(o.base, clis[i])
		if err != nil {
			return err
		}
		go cliSock.readFrames(func(f frame) {
			var c struct{ Status, IdempotencyKey string }
			if f.Event != "command:status" || json.Unmarshal(f.Data, &c) != nil ||
				c.Status != "acknowledged" {
				return
			}
			if at, ok := sentAt.Load(c.IdempotencyKey); ok {
				lat.record(time.Since(at.(time.Time)))
				acked.Add(1)
			}
		})
	}
	time.Sleep(time.Second)

	start := time.Now()
	n := pace(o.rate, o.duration, 512, func(i int) {
		p := i % len(cams)
		key := "load-" + strconv.Itoa(i)
		sentAt.Store(key, time.Now())
		var out struct{}
		err := post(o.base+"/commands", clis[p].Token, map[string]any{"targetDeviceId": cams[p].ID,
			"commandType": "take_snapshot", "idempotencyKey": key}, &out)
		if err != nil {
			failed.Add(1)
		}
	})
	elapsed := time.Since(start)
	for deadline := time.Now().Add(10 * time.Second); acked.Load()+failed.Load() < int64(n) &&
		time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("sent %d commands in %v (%.0f/s) over %d pairs; POST failed %d\n", n,
		elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), len(cams), failed.Load())
	fmt.Printf("camera received %d (%d duplicates); acknowledged status reached the client for %d; lost %d\n",
		received.Load(), dupes.Load(), acked.Load(), int64(n)-failed.Load()-acked.Load())
	lat.report("round trip POST → command:received → command:ack → command:status")
	return nil
}

// pairs registers o.pairs cameras and clients and links each pair.
func pairs(o options, session string) ([]device, []device, error) {
	var cams, clis []device
	for i := range o.pairs {
		cam, err := register(o.base, session, fmt.Sprintf("cam-%d", i), "camera")
		if err != nil {
			return nil, nil, err
		}
		cli, err := register(o.base, session, fmt.Sprintf("cli-%d", i), "client")
		if err != nil {
			return nil, nil, err
		}
		if err := link(o.base, session, cam, cli); err != nil {
			return nil, nil, err
		}
		cams, clis = append(cams, cam), append(clis, cli)
	}
	return cams, clis, nil
}
