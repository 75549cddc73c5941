package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api"
	"github.com/vigil-oss/vigil/cmd/vigil/metrics"
	"github.com/vigil-oss/vigil/media/record/upload"
	"github.com/vigil-oss/vigil/persistence"
)

// newMetrics gathers what /metrics reports from the parts serve built.
func newMetrics(log *slog.Logger, pool *pgxpool.Pool, plane *mediaPlane, up *upload.Uploader,
	segments *metrics.Segments, system *actors.System, srv *api.Server) *metrics.Registry {
	src := metrics.Sources{Actors: system.Stats, Sockets: srv.SocketStats,
		OpenStreams: persistence.NewStreams(pool).CountOpen, Logger: log}
	if plane.sfu != nil {
		src.SFU = plane.sfu.Stats
	}
	if up != nil {
		src.Uploads, src.Segments = up.Stats, segments
	}
	return metrics.New(src)
}

// serveMetrics serves reg at /metrics on its own listener, bound before
// start-up changes anything, so that a taken address stops it first. The
// returned func closes it.
func serveMetrics(log *slog.Logger, ln net.Listener, reg *metrics.Registry) func() {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server stopped", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}
