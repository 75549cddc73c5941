package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-oss/vigil/cmd/vigil/bench"
	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/persistence/objectstore/s3test"
	"github.com/vigil-oss/vigil/persistence/pgtest"
)

// TestBenchScenariosAgainstAServedVigil serves Vigil as `vigil serve`
// does, with recording to a real S3, runs a short version of every bench
// scenario against it, and checks both what the scenarios measured and
// that the server's /metrics moved with that traffic.
func TestBenchScenariosAgainstAServedVigil(t *testing.T) {
	base, metricsURL, debugURL := serveForBench(t)
	before := scrapeMetrics(t, metricsURL)

	runs := []struct {
		args  []string
		check func(t *testing.T, r *bench.Result)
	}{
		{[]string{"connections", "-n", "40", "-hold", "1s", "-settle", "0s", "-gc-url", debugURL},
			func(t *testing.T, r *bench.Result) {
				wantFigure(t, r, "sockets opened", 40)
				figure(t, r, "server live heap at last GC per connection")
				for _, n := range r.Notes {
					if strings.Contains(n, "garbage collection not asked") {
						t.Fatalf("the server was not made to collect: %s", n)
					}
				}
				wantFigure(t, r, "open after hold", 40)
				wantFigure(t, r, "server: sockets open", 40)
			}},
		{[]string{"commands", "-rate", "50", "-duration", "1s", "-pairs", "2"}, func(t *testing.T, r *bench.Result) {
			sent := figure(t, r, "commands sent")
			wantFigure(t, r, "acknowledged at the client", sent)
			wantFigure(t, r, "server: commands acknowledged", sent)
			wantFigure(t, r, "lost", 0)
			wantFigure(t, r, "duplicated", 0)
			if r.Latency == nil || r.Latency.Count != int64(sent) || r.Latency.P50 <= 0 {
				t.Fatalf("latency %+v for %v commands", r.Latency, sent)
			}
		}},
		{[]string{"motion", "-rate", "10", "-duration", "1s", "-clients", "5"}, func(t *testing.T, r *bench.Result) {
			posted := figure(t, r, "motion events posted")
			wantFigure(t, r, "deliveries expected", posted*5)
			wantFigure(t, r, "deliveries lost", 0)
			wantFigure(t, r, "server: motion:detected fan-outs", posted)
		}},
		{[]string{"sfu", "-viewers", "3", "-duration", "2s", "-warmup", "1s"}, func(t *testing.T, r *bench.Result) {
			if got := figure(t, r, "received by all viewers"); got < 100 {
				t.Fatalf("viewers received %v packets/s", got)
			}
			if got := figure(t, r, "server: forwarded"); got < 100 {
				t.Fatalf("server forwarded %v packets/s", got)
			}
			wantFigure(t, r, "viewers without a keyframe", 0)
		}},
		{[]string{"auth", "-duration", "1s", "-concurrency", "2"}, func(t *testing.T, r *bench.Result) {
			if figure(t, r, "sign-ins") < 1 || figure(t, r, "failed otherwise") != 0 {
				t.Fatalf("figures %+v", r.Figures)
			}
		}},
	}
	for _, run := range runs {
		t.Run(run.args[0], func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "result.json")
			args := append(run.args, "-url", base, "-metrics", metricsURL, "-json", out,
				"-progress=false")
			var stdout, stderr bytes.Buffer
			if err := bench.Run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("bench %v: %v\n%s", run.args, err, stderr.String())
			}
			r, err := bench.ReadResult(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout.String(), "vigil bench "+run.args[0]) {
				t.Fatalf("no table printed:\n%s", stdout.String())
			}
			run.check(t, r)
		})
	}

	after := scrapeMetrics(t, metricsURL)
	for _, m := range []struct {
		name   string
		labels []string
		least  float64
	}{
		{"vigil_sockets_accepted_total", []string{"transport", "websocket"}, 40 + 4 + 5},
		{"vigil_commands_total", []string{"status", "queued"}, 40},
		{"vigil_commands_total", []string{"status", "delivered"}, 40},
		{"vigil_motion_events_total", []string{"event", "motion:detected"}, 5},
		{"vigil_actor_messages_total", []string{"kind", "device"}, 100},
		{"vigil_actor_messages_total", []string{"kind", "link"}, 5},
		{"vigil_actor_messages_total", []string{"kind", "stream"}, 3},
		{"vigil_streams_ended_total", []string{"reason", "camera_left"}, 1},
		{"vigil_sfu_rtp_packets_received_total", nil, 100},
		{"vigil_sfu_rtp_packets_forwarded_total", nil, 300},
		{"vigil_sfu_rtp_bytes_forwarded_total", nil, 300 * 100},
		{"process_cpu_seconds_total", nil, 0.01},
	} {
		if moved := metricValue(t, after, m.name, m.labels...) -
			metricValue(t, before, m.name, m.labels...); moved < m.least {
			t.Errorf("%s%v moved by %v, want at least %v", m.name, m.labels, moved, m.least)
		}
	}
	if n := metricValue(t, after, "vigil_sockets_open", "transport", "websocket"); n != 0 {
		t.Errorf("%v sockets still open after every scenario cleaned up", n)
	}

	// The stream's recording is finished when it ends, then uploaded.
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := scrapeMetrics(t, metricsURL)
		if metricValue(t, m, "vigil_recording_segments_uploaded_total") >= 1 {
			if metricValue(t, m, "vigil_recording_segments_written_total") < 1 ||
				metricValue(t, m, "vigil_recording_uploaded_bytes_total") < 1000 {
				t.Fatal("a segment was uploaded but the written and byte counters did not move")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no recorded segment was counted as uploaded")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// serveForBench runs `vigil serve` in this process on loopback ports with
// its own database and bucket, and returns the API's and the metrics'
// URLs and one that makes the server collect garbage.
func serveForBench(t *testing.T) (string, string, string) {
	_, dbURL := pgtest.New(t)
	store := s3test.Config(t)
	s3test.New(t, func(c *objectstore.Config) { *c = store })
	port, metricsPort, debugPort := freePort(t), freePort(t), freePort(t)
	for k, v := range map[string]string{
		"DATABASE_URL": dbURL, "BETTER_AUTH_SECRET": "bench-test-secret-0123456789abcdef0123",
		"PORT": strconv.Itoa(port), "VIGIL_LISTEN_HOST": "127.0.0.1",
		"VIGIL_METRICS_ADDR": fmt.Sprintf("127.0.0.1:%d", metricsPort), "LOG_LEVEL": "error",
		"VIGIL_DEBUG_ADDR":    fmt.Sprintf("127.0.0.1:%d", debugPort),
		"AUTH_RATE_LIMIT_MAX": "1000", "MEDIA_ICE_IPS": "127.0.0.1",
		"MINIO_ENDPOINT": store.Endpoint, "MINIO_PORT": strconv.Itoa(store.Port),
		"MINIO_ACCESS_KEY": store.AccessKey, "MINIO_SECRET_KEY": store.SecretKey,
		"MINIO_BUCKET": store.Bucket, "RECORDING_ENABLED": "true",
		"MEDIA_RECORDINGS_DIR": t.TempDir(), "VIGIL_ENV": "development",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("vigil did not answer /healthz")
		}
	}
	return base, fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort),
		fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?gc=1", debugPort)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// metricValue is the value of the series of name with the given label
// pairs; the metric must exist.
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string,
	labels ...string) float64 {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("/metrics has no %s", name)
	}
next:
	for _, m := range fam.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		}
	}
	t.Fatalf("/metrics has no %s%v", name, labels)
	return 0
}

func figure(t *testing.T, r *bench.Result, name string) float64 {
	t.Helper()
	v, ok := r.Figure(name)
	if !ok {
		t.Fatalf("%s: no figure %q in %+v", r.Scenario, name, r.Figures)
	}
	return v
}

func wantFigure(t *testing.T, r *bench.Result, name string, want float64) {
	t.Helper()
	if got := figure(t, r, name); got != want {
		t.Fatalf("%s: %s = %v, want %v", r.Scenario, name, got, want)
	}
}
