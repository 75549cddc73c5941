package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// auth measures sign-ins per second: workers sign in as a few users, one
// request after another, for a while.
type auth struct {
	concurrency int
	duration    time.Duration
	users       int
}

func (a *auth) summary() string {
	return "sign-in requests per second (POST /api/auth/sign-in/email) and their latency"
}

func (a *auth) flags(fs *flag.FlagSet) {
	fs.IntVar(&a.concurrency, "concurrency", 4, "sign-ins in flight at once")
	fs.DurationVar(&a.duration, "duration", 10*time.Second, "how long to sign in")
	fs.IntVar(&a.users, "users", 2, "users to sign in as, in turn")
}

func (a *auth) run(ctx context.Context, e *env) (*Result, error) {
	if a.concurrency < 1 || a.users < 1 || a.duration <= 0 {
		return nil, fmt.Errorf("-concurrency, -users and -duration must be positive")
	}
	var users []user
	for range a.users {
		u, err := e.signUp(ctx)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}

	res := &Result{}
	scraped := time.Now()
	before := e.scrapeOrNil(ctx, res)
	lat := newHistogram()
	var ok, limited, failed atomic.Int64
	runCtx, cancel := context.WithTimeout(ctx, a.duration)
	defer cancel()
	go func() { _ = e.wait(runCtx, a.duration, "signing in") }()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range a.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; runCtx.Err() == nil; i += a.concurrency {
				u := users[i%len(users)]
				t0 := time.Now()
				// The request itself is not cut off at the deadline: a
				// sign-in in flight is finished and counted.
				err := e.call(ctx, "POST", "/api/auth/sign-in/email", "",
					map[string]string{"email": u.Email, "password": benchPassword}, nil)
				var apiErr *apiError
				switch {
				case err == nil:
					lat.record(time.Since(t0))
					ok.Add(1)
				case errors.As(err, &apiErr) && apiErr.Status == http.StatusTooManyRequests:
					limited.Add(1)
				case ctx.Err() == nil:
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	res.add("sign-ins", float64(ok.Load()), "")
	res.add("sign-ins per second", float64(ok.Load())/elapsed.Seconds(), "/s")
	res.add("refused by the rate limit (429)", float64(limited.Load()), "")
	res.add("failed otherwise", float64(failed.Load()), "")
	if after := e.scrapeOrNil(ctx, res); before != nil && after != nil {
		addCPU(res, before, after, time.Since(scraped))
	}
	res.Latency = lat.latency("sign-in")
	if limited.Load() > 0 {
		res.note("the server's AUTH_RATE_LIMIT_MAX refused some sign-ins; raise it on a " +
			"benchmark server to measure the hashing cost")
	}
	res.note("every sign-in verifies a scrypt hash (N=16384, r=16, p=1), which bounds the rate")
	return res, nil
}
