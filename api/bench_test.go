package api

import (
	"net/http"
	"testing"
)

// BenchmarkSignIn measures whole sign-ins (decode, scrypt verify, session
// insert, cookie) through the Fiber stack against the real Postgres, from
// GOMAXPROCS goroutines.
func BenchmarkSignIn(b *testing.B) {
	e := newTestEnv(b, func(o *Options) { o.AuthRateLimit = 1 << 30 })
	e.signUp("bench@example.com")
	body := map[string]string{"email": "bench@example.com", "password": "password123"}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp := e.do("POST", "/api/auth/sign-in/email", body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
}
