package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api"
	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/cmd/vigil/config"
	"github.com/vigil-oss/vigil/cmd/vigil/metrics"
	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// shutdownTimeout bounds graceful shutdown: requests in flight get this long
// to finish before the process exits anyway.
const shutdownTimeout = 15 * time.Second

// sessionSweepInterval is how often expired sessions are deleted.
const sessionSweepInterval = time.Hour

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("setting LOG_LEVEL must be debug, info, warn or error, got %q", level)
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// loadConfig reads settings and opens the database, the start of every
// command that touches it.
func loadConfig(ctx context.Context) (*config.Config, *slog.Logger, *pgxpool.Pool, error) {
	cfg, err := config.Load(".env")
	if err != nil {
		return nil, nil, nil, err
	}
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return nil, nil, nil, err
	}
	pool, err := persistence.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, log, pool, nil
}

func serve(ctx context.Context) error {
	cfg, log, pool, err := loadConfig(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := ensureSchema(ctx, log, pool, cfg.AutoMigrate); err != nil {
		return err
	}

	store, storageChecks, err := openStorage(ctx, log, cfg.Storage)
	checks := append([]api.Check{{Name: "database", Check: pool.Ping}}, storageChecks...)
	if err != nil {
		return err
	}
	if cfg.AdminUsername == "" {
		log.Info("admin dashboard off", "setting", "ADMIN_USERNAME")
	}

	plane, err := startMedia(log, cfg.Media)
	if err != nil {
		return err
	}
	defer plane.close(log)

	devices := persistence.NewDevices(pool)
	commands, events := persistence.NewCommands(pool), persistence.NewEvents(pool)
	streams := persistence.NewStreams(pool)
	segments := &metrics.Segments{}
	recording, uploader := startRecording(log, cfg.Media, plane, store, pool, segments)
	if uploader != nil {
		// Stopped after the actors (deferred calls run last first), so the
		// segments that stopping streams finish are queued; what is not
		// uploaded by then stays on disk for the next start.
		defer uploader.Stop()
	}
	// Bound before recoverWork ends the streams "left open": a second
	// process started by mistake must fail here, before it ends the live
	// streams of the one already serving.
	ln, metricsLn, err := bindListeners(cfg)
	if err != nil {
		return err
	}
	defer ln.Close()
	if metricsLn != nil {
		defer metricsLn.Close()
	}
	system := actors.New(actors.Config{Store: devices, Commands: commands, Events: events,
		Streams: streams, SFU: plane.sfu, Logger: log, MotionOpenTimeout: cfg.MotionOpenTimeout,
		Recording: recording, StreamOfflineGrace: cfg.Media.StreamOfflineGrace})
	defer system.Shutdown()
	if err := recoverWork(ctx, log, system); err != nil {
		return err
	}

	srv, err := api.New(apiOptions(cfg, log, pool, store, checks, system))
	if err != nil {
		return err
	}
	go sweepSessions(ctx, log, persistence.NewAccounts(pool))
	if cfg.DebugAddr != "" {
		go serveDebug(log, cfg.DebugAddr)
	}
	if metricsLn != nil {
		reg := newMetrics(log, pool, plane, uploader, segments, system, srv)
		defer serveMetrics(log, metricsLn, reg)()
	}
	return serveUntilDone(ctx, log, cfg, ln, srv, system)
}

// bindListeners takes the API's address and, when set, the metrics
// address. "tcp" listens on IPv6 and IPv4 alike; Fiber's own default is
// tcp4.
func bindListeners(cfg *config.Config) (ln, metricsLn net.Listener, err error) {
	addr := net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port))
	if ln, err = net.Listen("tcp", addr); err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("listen for metrics on %s: %w", cfg.MetricsAddr, err)
		}
	}
	return ln, metricsLn, nil
}

// apiOptions is what the HTTP layer gets: the stores over pool, the
// actor system and the settings that shape the routes.
func apiOptions(cfg *config.Config, log *slog.Logger, pool *pgxpool.Pool, store *objectstore.Store,
	checks []api.Check, system *actors.System) api.Options {
	return api.Options{
		Logger:          log,
		Accounts:        persistence.NewAccounts(pool),
		Videos:          persistence.NewVideos(pool),
		Storage:         apiStorage(store),
		AdminUsername:   cfg.AdminUsername,
		AdminPassword:   cfg.AdminPassword,
		Hasher:          betterauth.NewHasher(0),
		Secret:          cfg.AuthSecret,
		BaseURL:         cfg.BaseURL,
		TrustedOrigins:  cfg.TrustedOrigins,
		TrustedProxies:  cfg.TrustedProxies,
		AuthRateLimit:   cfg.AuthRateLimit,
		AuthRateWindow:  cfg.AuthRateWindow,
		SessionLifetime: cfg.SessionLifetime,
		Checks:          checks,
		Devices:         persistence.NewDevices(pool),
		Actors:          system,
		Commands:        persistence.NewCommands(pool),
		Events:          persistence.NewEvents(pool),
		CommandTTL:      cfg.CommandTTL,
		CommandTTLMax:   cfg.CommandTTLMax,
		Streams:         persistence.NewStreams(pool),
		Media:           mediaOptions(cfg.Media),
	}
}

// serveUntilDone serves until ctx ends or serving fails, then ends open
// streams while their sockets can still hear it and drains requests,
// all within shutdownTimeout.
func serveUntilDone(ctx context.Context, log *slog.Logger, cfg *config.Config, ln net.Listener,
	srv *api.Server, system *actors.System) error {
	addr := ln.Addr().String()
	listenErr := make(chan error, 1)
	go func() { listenErr <- srv.Serve(ln) }()
	log.Info("vigil serving", "addr", ln.Addr().String(), "baseURL", cfg.BaseURL.Redacted(),
		"version", version, "env", cfg.Env)

	select {
	case err := <-listenErr:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", shutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if _, err := system.StopStreams(shutCtx, streamStopTimeout); err != nil {
		log.Warn("open streams not stopped", "err", err)
	}
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("shutdown did not finish cleanly", "err", err)
	}
	log.Info("stopped")
	return nil
}

// recoverWork ends the streams a previous process left open and
// activates the cameras that Postgres says have work left: pending
// commands or open motion.
func recoverWork(ctx context.Context, log *slog.Logger, system *actors.System) error {
	n, err := system.EndStreamsLeftOpen(ctx)
	if err != nil {
		return fmt.Errorf("end streams left open: %w", err)
	}
	if n > 0 {
		log.Info("ended streams left open by the previous process", "streams", n,
			"reason", actors.EndReasonServerRestart)
	}
	n, err = system.Recover(ctx)
	if err != nil {
		return fmt.Errorf("recover pending commands and open motion: %w", err)
	}
	if n > 0 {
		log.Info("resumed cameras with pending work", "cameras", n)
	}
	return nil
}

// ensureSchema refuses to serve on a schema older than the binary, or
// migrates it when auto-migration is on.
func ensureSchema(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, auto bool) error {
	m, err := persistence.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	err = m.CheckCurrent(ctx)
	if !errors.Is(err, persistence.ErrSchemaBehind) {
		return err
	}
	if !auto {
		return fmt.Errorf("%w: run `vigil migrate up` (or set VIGIL_AUTO_MIGRATE=true)", err)
	}
	applied, err := m.Up(ctx)
	if err != nil {
		return err
	}
	log.Info("migrated database", "applied", applied)
	return nil
}

func sweepSessions(ctx context.Context, log *slog.Logger, acc *persistence.Accounts) {
	t := time.NewTicker(sessionSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := acc.DeleteExpiredSessions(ctx)
		if err != nil {
			log.Warn("could not delete expired sessions", "err", err)
			continue
		}
		if n > 0 {
			log.Info("deleted expired sessions", "count", n)
		}
	}
}

// serveDebug serves net/http/pprof's profiles, for measuring a running
// server. It is off unless VIGIL_DEBUG_ADDR is set.
func serveDebug(log *slog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("serving profiles", "addr", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Warn("profile server stopped", "err", err)
	}
}
