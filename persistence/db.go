package persistence

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool limits. A request that waits longer than statementTimeout for
// Postgres is answered 503 instead of holding its connection forever.
const (
	connectTimeout    = 5 * time.Second
	statementTimeout  = 10 * time.Second
	maxConnIdleTime   = 5 * time.Minute
	healthCheckPeriod = 30 * time.Second

	// defaultMaxConns replaces pgx's default of max(4, CPUs) when the URL
	// does not set pool_max_conns. Device actors and request handlers
	// each hold a connection while Postgres commits; with four, a few busy
	// cameras queue everyone else behind their fsyncs.
	defaultMaxConns = 16
)

var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique constraint refused the write.
	ErrConflict = errors.New("conflict")
)

// Open connects a pool to url and checks that the database answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may echo the URL, password included.
		return nil, errors.New("DATABASE_URL is not a valid Postgres connection string")
	}
	cfg.ConnConfig.ConnectTimeout = connectTimeout
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] =
			fmt.Sprint(statementTimeout.Milliseconds())
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	cfg.MaxConnIdleTime = maxConnIdleTime
	cfg.HealthCheckPeriod = healthCheckPeriod
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %q at %s:%d: %s", cfg.ConnConfig.Database,
			cfg.ConnConfig.Host, cfg.ConnConfig.Port, lastCause(err))
	}
	return pool, nil
}

// lastCause reduces a connection error to one line. pgx reports every
// attempt (TLS first, then plain text, with sslmode=prefer) on its own line;
// the last attempt's reason is the one that matters.
func lastCause(err error) string {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		err = connErr.Unwrap()
	}
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	// "host:port (ip): server error: FATAL: ..." names the host again.
	if _, reason, ok := strings.Cut(last, "): "); ok {
		return reason
	}
	return last
}

// pgUniqueViolation is Postgres's SQLSTATE for a unique constraint.
const pgUniqueViolation = "23505"

// isUniqueViolation reports whether err is a unique constraint violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgUniqueViolation
}

// IsUnavailable reports whether err means Postgres could not be reached or
// gave up on the query in time, as opposed to refusing it.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 53: insufficient resources;
		// 57: operator intervention (statement timeout, shutdown).
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53") ||
			strings.HasPrefix(pgErr.Code, "57")
	}
	return false
}

// IsInvalidValue reports whether Postgres refused a value itself: a NUL
// byte or bytes that are not UTF-8 in text, a number out of range. Routes
// validate their input; this is the net for a field that slipped through,
// which is still the client's error.
func IsInvalidValue(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	// character_not_in_repertoire, untranslatable_character,
	// numeric_value_out_of_range, invalid_text_representation (a malformed
	// uuid or json literal).
	case "22021", "22P05", "22003", "22P02":
		return true
	}
	return false
}
