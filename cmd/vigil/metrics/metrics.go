// Package metrics exposes Vigil's counters in the Prometheus text format
// for /metrics. It keeps no counters of its own on the hot paths: at each
// scrape it reads the snapshots the actor system, the API, the SFU and the
// recording uploader already keep with atomic adds, and asks Postgres how
// many streams are open. Only recorded segments, which cmd/vigil learns of
// through a callback, are counted here (Segments).
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api"
	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/media/record/upload"
	"github.com/vigil-oss/vigil/persistence"
)

// namespace prefixes every Vigil metric.
const namespace = "vigil"

// streamCountTimeout bounds the one query a scrape makes, so a slow
// database delays a scrape by at most this long; the gauge is left out of
// that scrape instead.
const streamCountTimeout = 2 * time.Second

// Sources are what a scrape reads. A nil source is left out: without an
// SFU there are no forwarding metrics, without recording no upload ones.
type Sources struct {
	Actors  func() actors.Stats
	Sockets func() api.SocketStats
	SFU     func() media.Stats
	Uploads func() upload.Stats
	// OpenStreams counts stream sessions by state from Postgres.
	OpenStreams func(ctx context.Context) (map[persistence.StreamStatus]int64, error)
	Segments    *Segments
	Logger      *slog.Logger
}

// Segments counts recorded segments finished on local disk.
type Segments struct {
	n, bytes atomic.Uint64
}

// Add counts one finished segment of the given size.
func (s *Segments) Add(bytes int64) {
	s.n.Add(1)
	s.bytes.Add(uint64(max(bytes, 0)))
}

// Registry is Vigil's Prometheus registry: the Go and process collectors
// and Vigil's own metrics.
type Registry struct {
	reg *prometheus.Registry
}

// New builds a registry over src.
func New(src Sources) *Registry {
	if src.Logger == nil {
		src.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry{reg: prometheus.NewRegistry()}
	// The live heap after the last GC is the figure that says what a
	// socket or a stream really keeps; the rest is the default set.
	goc := collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
		collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)}))
	r.reg.MustRegister(goc,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &collector{src: src})
	return r
}

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg,
		EnableOpenMetrics: true, MaxRequestsInFlight: 2, Timeout: 10 * time.Second})
}

// Gatherer is the registry, for tests and for serving it another way.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }
