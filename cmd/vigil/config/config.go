// Package config reads Vigil's settings from the environment (and an optional
// .env file) into one validated value. Names follow the wire contract so that
// deployments of the original TypeScript backend keep their environment.
//
// Settings are read in one order: built-in defaults, then .env, then the
// process environment (which wins), then Validate. Every error names the
// setting that caused it.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"github.com/vigil-oss/vigil/api/betterauth"
)

// Env is the deployment environment. Development relaxes the secret length
// check and nothing else.
type Env string

// Deployment environments.
const (
	EnvDevelopment Env = "development"
	EnvProduction  Env = "production"
)

// minSecretLength is Better Auth's own lower bound for BETTER_AUTH_SECRET.
const minSecretLength = 32

// minAdminPasswordLength bounds ADMIN_PASSWORD outside development: the
// dashboard can read and delete every recording.
const minAdminPasswordLength = 12

// Config is every setting Vigil reads.
type Config struct {
	Env      Env
	LogLevel string
	// DebugAddr, when set, serves Go's pprof profiles on that address; keep
	// it on loopback.
	DebugAddr string
	// MetricsAddr, when set, serves Prometheus metrics at /metrics on
	// that address, apart from the API (as MediaMTX's metricsAddress and
	// LiveKit's prometheus_port do), so that it can stay off the public
	// network without a proxy rule.
	MetricsAddr string
	Port        int
	// ListenHost is the address to listen on; empty means every interface.
	ListenHost string

	DatabaseURL string
	// AutoMigrate applies pending migrations when serving starts; meant for
	// development, where the schema follows the checkout.
	AutoMigrate bool

	AuthSecret     string
	BaseURL        *url.URL
	TrustedOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies  []netip.Prefix
	AuthRateLimit   int
	AuthRateWindow  time.Duration
	SessionLifetime time.Duration

	Media   Media
	Storage Storage

	AdminUsername string
	AdminPassword string

	// CommandTTL is a command's time to live when it names none;
	// CommandTTLMax the longest it may name.
	CommandTTL    time.Duration
	CommandTTLMax time.Duration
	// MotionOpenTimeout is how long an offline camera's motion stays open
	// before Vigil closes it.
	MotionOpenTimeout time.Duration
}

// Media holds the media plane's settings.
type Media struct {
	Mode                  string
	Provider              string
	TURNURLs              []string
	TURNUsername          string
	TURNCredential        string
	RecordingsDir         string
	MaxPublishers         int
	MaxSubscribersPerRoom int
	ICEIPs                []netip.Addr
	UDPPort               int
	// TURNSecret, when set, makes short-lived TURN REST credentials in
	// place of TURNUsername and TURNCredential; they last TURNTTL.
	TURNSecret string
	TURNTTL    time.Duration
	// TURNEmbeddedListen, when set, runs pion's TURN server on that UDP
	// address (host:port); TURNEmbeddedRelayIP is the address its relayed
	// candidates carry (default: the listening one).
	TURNEmbeddedListen  string
	TURNEmbeddedRelayIP netip.Addr
	// StreamRequestTimeout bounds how long a stream request waits for the
	// camera to accept.
	StreamRequestTimeout time.Duration
	// StreamOfflineGrace is how long an open stream waits for its camera
	// or requester to come back online before it ends.
	StreamOfflineGrace time.Duration
	// RecordingEnabled records SFU streams into RecordingsDir and uploads
	// them; it needs object storage. RecordingSegment is a segment's
	// length; RecordingMaxDisk bounds RecordingsDir in bytes.
	RecordingEnabled bool
	RecordingSegment time.Duration
	RecordingMaxDisk int64
}

// maxStreamOfflineGrace bounds STREAM_OFFLINE_GRACE: a camera gone for
// longer is not coming back to this stream, and its viewers should know.
const maxStreamOfflineGrace = 10 * time.Minute

// minRecordingSegment keeps segments long enough that a keyframe interval
// of a few seconds still cuts them near their length.
const minRecordingSegment = 5 * time.Second

// Storage holds the object storage settings (MINIO_*).
type Storage struct {
	Endpoint       string
	Port           int
	UseSSL         bool
	AccessKey      string
	SecretKey      string
	Bucket         string
	Region         string
	PublicEndpoint string
}

// Configured reports whether object storage is set up at all; without it
// the storage routes answer 503.
func (s Storage) Configured() bool { return s.Endpoint != "" }

// Load reads the .env file at envFile when it exists, then the environment,
// and validates the result.
func Load(envFile string) (*Config, error) {
	if envFile != "" {
		// godotenv.Load never overrides a variable that is already set, so the
		// process environment wins over the file.
		if err := godotenv.Load(envFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			// godotenv's message quotes the text it choked on, which may be
			// a secret.
			return nil, fmt.Errorf("%s cannot be parsed (check its quoting; values are not shown)",
				envFile)
		}
	}
	return FromLookup(os.LookupEnv)
}

// FromLookup builds a Config from a lookup function, for tests and for Load.
func FromLookup(lookup func(string) (string, bool)) (*Config, error) {
	r := reader{lookup: lookup}
	c := &Config{
		Env:         Env(r.str("VIGIL_ENV", string(EnvProduction))),
		LogLevel:    r.str("LOG_LEVEL", "info"),
		DebugAddr:   r.str("VIGIL_DEBUG_ADDR", ""),
		MetricsAddr: r.str("VIGIL_METRICS_ADDR", ""),
		Port:        r.int("PORT", 3000),
		ListenHost:  r.str("VIGIL_LISTEN_HOST", ""),

		DatabaseURL: r.str("DATABASE_URL", ""),
		AutoMigrate: r.bool("VIGIL_AUTO_MIGRATE", false),

		AuthSecret:      r.str("BETTER_AUTH_SECRET", ""),
		TrustedOrigins:  r.list("BETTER_AUTH_TRUSTED_ORIGINS"),
		AuthRateLimit:   r.int("AUTH_RATE_LIMIT_MAX", 5),
		AuthRateWindow:  r.duration("AUTH_RATE_LIMIT_WINDOW", 10*time.Second),
		SessionLifetime: r.duration("SESSION_EXPIRES_IN", 7*24*time.Hour),

		Media: Media{
			Mode:                  r.str("MEDIA_MODE", "single_server_sfu"),
			Provider:              r.str("MEDIA_PROVIDER", "pion"),
			TURNURLs:              r.list("TURN_URLS"),
			TURNUsername:          r.str("TURN_USERNAME", ""),
			TURNCredential:        r.str("TURN_CREDENTIAL", ""),
			RecordingsDir:         r.str("MEDIA_RECORDINGS_DIR", "./.data/recordings"),
			MaxPublishers:         r.int("MEDIA_MAX_PUBLISHERS", 100),
			MaxSubscribersPerRoom: r.int("MEDIA_MAX_SUBSCRIBERS_PER_ROOM", 20),
			UDPPort:               r.int("MEDIA_UDP_PORT", 0),
			TURNSecret:            r.str("TURN_SECRET", ""),
			TURNTTL:               r.duration("TURN_TTL", 6*time.Hour),
			TURNEmbeddedListen:    r.str("TURN_EMBEDDED_LISTEN", ""),
			StreamRequestTimeout:  r.duration("STREAM_REQUEST_TIMEOUT", time.Minute),
			StreamOfflineGrace:    r.duration("STREAM_OFFLINE_GRACE", 30*time.Second),
			RecordingEnabled:      r.bool("RECORDING_ENABLED", true),
			RecordingSegment:      r.duration("RECORDING_SEGMENT", time.Minute),
			RecordingMaxDisk:      int64(r.int("RECORDING_MAX_DISK", 1<<30)),
		},
		Storage: Storage{
			Endpoint:       r.str("MINIO_ENDPOINT", ""),
			Port:           r.int("MINIO_PORT", 0),
			UseSSL:         r.bool("MINIO_USE_SSL", false),
			AccessKey:      r.str("MINIO_ACCESS_KEY", ""),
			SecretKey:      r.str("MINIO_SECRET_KEY", ""),
			Bucket:         r.str("MINIO_BUCKET", "vigil"),
			Region:         r.str("MINIO_REGION", "us-east-1"),
			PublicEndpoint: r.str("MINIO_PUBLIC_ENDPOINT", ""),
		},

		AdminUsername: r.str("ADMIN_USERNAME", ""),
		AdminPassword: r.str("ADMIN_PASSWORD", ""),

		CommandTTL:        r.duration("COMMAND_TTL_DEFAULT", time.Minute),
		CommandTTLMax:     r.duration("COMMAND_TTL_MAX", time.Hour),
		MotionOpenTimeout: r.duration("MOTION_OPEN_TIMEOUT", 5*time.Minute),
	}
	c.BaseURL = r.url("BETTER_AUTH_BASE_URL", r.str("BETTER_AUTH_URL", ""))
	if c.BaseURL == nil && r.err == nil {
		c.BaseURL = &url.URL{Scheme: "http", Host: fmt.Sprintf("localhost:%d", c.Port)}
	}
	c.TrustedProxies = r.prefixes("TRUSTED_PROXIES")
	c.Media.ICEIPs = r.addrs("MEDIA_ICE_IPS")
	if relay := r.addrs("TURN_EMBEDDED_RELAY_IP"); len(relay) > 0 {
		c.Media.TURNEmbeddedRelayIP = relay[0]
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks values that parsed but make no sense together.
func (c *Config) Validate() error {
	switch {
	case c.Env != EnvDevelopment && c.Env != EnvProduction:
		return settingError("VIGIL_ENV", "must be development or production")
	case c.Port < 1 || c.Port > 65535:
		return settingError("PORT", "must be a port number 1..65535")
	case c.DatabaseURL == "":
		return settingError("DATABASE_URL", "is required")
	case c.AuthSecret == "":
		return settingError("BETTER_AUTH_SECRET", "is required (signs session cookies)")
	case c.Env != EnvDevelopment && len(c.AuthSecret) < minSecretLength:
		return settingError("BETTER_AUTH_SECRET",
			fmt.Sprintf("must be at least %d characters outside development", minSecretLength))
	case c.BaseURL == nil:
		return settingError("BETTER_AUTH_BASE_URL", "is required")
	}
	if c.AuthRateLimit < 1 {
		return settingError("AUTH_RATE_LIMIT_MAX", "must be at least 1")
	}
	if c.AuthRateWindow < time.Second {
		return settingError("AUTH_RATE_LIMIT_WINDOW", "must be at least 1s")
	}
	if c.SessionLifetime < time.Minute {
		return settingError("SESSION_EXPIRES_IN", "must be at least 1m")
	}
	if err := c.validateWork(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		return settingError("VIGIL_METRICS_ADDR", "must be host:port, e.g. 127.0.0.1:9464")
	}
	if _, err := betterauth.ParseOrigins(c.TrustedOrigins); err != nil {
		return settingError("BETTER_AUTH_TRUSTED_ORIGINS", err.Error())
	}
	return c.validateMedia()
}

// validateWork checks the bounds of commands and motion. Whole seconds,
// because the contract's ttlSeconds counts in them.
func (c *Config) validateWork() error {
	switch {
	case c.CommandTTLMax < time.Second || c.CommandTTLMax%time.Second != 0:
		return settingError("COMMAND_TTL_MAX", "must be whole seconds, at least 1s")
	case c.CommandTTL < time.Second || c.CommandTTL%time.Second != 0:
		return settingError("COMMAND_TTL_DEFAULT", "must be whole seconds, at least 1s")
	case c.CommandTTL > c.CommandTTLMax:
		return settingError("COMMAND_TTL_DEFAULT", "must not exceed COMMAND_TTL_MAX")
	case c.MotionOpenTimeout < time.Second:
		return settingError("MOTION_OPEN_TIMEOUT", "must be at least 1s")
	}
	return nil
}

func (c *Config) validateMedia() error {
	m := c.Media
	switch {
	case m.Mode != "single_server_sfu" && m.Mode != "legacy":
		return settingError("MEDIA_MODE", "must be single_server_sfu or legacy")
	case m.Provider != "pion" && m.Provider != "mock":
		return settingError("MEDIA_PROVIDER", "must be pion or mock")
	case m.MaxPublishers < 1:
		return settingError("MEDIA_MAX_PUBLISHERS", "must be at least 1")
	case m.MaxSubscribersPerRoom < 1:
		return settingError("MEDIA_MAX_SUBSCRIBERS_PER_ROOM", "must be at least 1")
	case m.UDPPort < 0 || m.UDPPort > 65535:
		return settingError("MEDIA_UDP_PORT", "must be a port number 1..65535")
	}
	if err := m.validateStreams(); err != nil {
		return err
	}
	if err := c.Storage.validate(); err != nil {
		return err
	}
	return c.validateAdmin()
}

// validateStreams checks the TURN and stream request settings.
func (m Media) validateStreams() error {
	switch {
	case m.TURNTTL < time.Minute:
		return settingError("TURN_TTL", "must be at least 1m (TURN allocations refresh every 10m)")
	case m.StreamRequestTimeout < time.Second:
		return settingError("STREAM_REQUEST_TIMEOUT", "must be at least 1s")
	case m.StreamOfflineGrace < time.Second || m.StreamOfflineGrace > maxStreamOfflineGrace:
		return settingError("STREAM_OFFLINE_GRACE", "must be between 1s and 10m")
	case m.RecordingSegment < minRecordingSegment:
		return settingError("RECORDING_SEGMENT", "must be at least 5s")
	case m.RecordingMaxDisk < 1:
		return settingError("RECORDING_MAX_DISK", "must be a number of bytes, at least 1")
	case m.RecordingEnabled && m.RecordingsDir == "":
		return settingError("MEDIA_RECORDINGS_DIR", "is required with RECORDING_ENABLED")
	case m.TURNEmbeddedListen == "":
		return nil
	case m.TURNSecret == "":
		return settingError("TURN_EMBEDDED_LISTEN", "needs TURN_SECRET: the embedded server "+
			"accepts only TURN REST credentials")
	}
	host, port, err := net.SplitHostPort(m.TURNEmbeddedListen)
	if err != nil || port == "" {
		return settingError("TURN_EMBEDDED_LISTEN", "must be host:port, e.g. 127.0.0.1:3478")
	}
	ip, err := netip.ParseAddr(host)
	if (err != nil || ip.IsUnspecified()) && !m.TURNEmbeddedRelayIP.IsValid() {
		return settingError("TURN_EMBEDDED_RELAY_IP",
			"is required when TURN_EMBEDDED_LISTEN does not name one IP address")
	}
	return nil
}

func (s Storage) validate() error {
	switch {
	case s.Port < 0 || s.Port > 65535:
		return settingError("MINIO_PORT", "must be a port number 1..65535")
	case !s.Configured():
		return nil
	case strings.Contains(s.Endpoint, "/"):
		return settingError("MINIO_ENDPOINT",
			"must be a host name or address; the scheme comes from MINIO_USE_SSL, "+
				"the port from MINIO_PORT")
	case s.AccessKey == "":
		return settingError("MINIO_ACCESS_KEY", "is required with MINIO_ENDPOINT")
	case s.SecretKey == "":
		return settingError("MINIO_SECRET_KEY", "is required with MINIO_ENDPOINT")
	case !validBucketName(s.Bucket):
		return settingError("MINIO_BUCKET",
			"must be an S3 bucket name: 3..63 lower-case letters, digits, '-' or '.'")
	case s.Region == "":
		return settingError("MINIO_REGION", "is required with MINIO_ENDPOINT")
	}
	if s.PublicEndpoint != "" && !validPublicEndpoint(s.PublicEndpoint) {
		return settingError("MINIO_PUBLIC_ENDPOINT",
			"must be host[:port] or an http(s) URL without a path")
	}
	return nil
}

// validBucketName follows the S3 bucket naming rules, less the ones about
// IP-address look-alikes, which the server checks itself.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") {
		return false
	}
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		edge := i == 0 || i == len(name)-1
		if !alnum && (edge || (r != '-' && r != '.')) {
			return false
		}
	}
	return true
}

func validPublicEndpoint(raw string) bool {
	if !strings.Contains(raw, "://") {
		return !strings.ContainsAny(raw, "/?# ")
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		strings.Trim(u.Path, "/") == "" && u.RawQuery == ""
}

func (c *Config) validateAdmin() error {
	switch {
	case c.AdminUsername == "" && c.AdminPassword == "":
		return nil
	case c.AdminUsername == "":
		return settingError("ADMIN_USERNAME", "is required with ADMIN_PASSWORD")
	case c.AdminPassword == "":
		return settingError("ADMIN_PASSWORD", "is required with ADMIN_USERNAME")
	case strings.Contains(c.AdminUsername, ":"):
		// RFC 7617: the user name ends at the first colon.
		return settingError("ADMIN_USERNAME", "must not contain ':' (HTTP Basic cannot carry it)")
	case c.Env != EnvDevelopment && len(c.AdminPassword) < minAdminPasswordLength:
		return settingError("ADMIN_PASSWORD",
			fmt.Sprintf("must be at least %d characters outside development",
				minAdminPasswordLength))
	}
	return nil
}

func settingError(name, problem string) error {
	return fmt.Errorf("setting %s %s", name, problem)
}

// reader parses settings and keeps the first error, so Load can read every
// value in one block and report the first bad one.
type reader struct {
	lookup func(string) (string, bool)
	err    error
}

func (r *reader) raw(name string) (string, bool) {
	v, ok := r.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (r *reader) fail(name, problem string) {
	if r.err == nil {
		r.err = settingError(name, problem)
	}
}

func (r *reader) str(name, def string) string {
	if v, ok := r.raw(name); ok {
		return v
	}
	return def
}

func (r *reader) int(name string, def int) int {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be a whole number, got %q", v))
	}
	return n
}

func (r *reader) bool(name string, def bool) bool {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be true or false, got %q", v))
	}
	return b
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be a duration such as 10s or 168h, got %q", v))
	}
	return d
}

func (r *reader) list(name string) []string {
	v, ok := r.raw(name)
	if !ok {
		return nil
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// url reads an http(s) URL. Its value is not quoted in errors: it may carry
// credentials, which are refused.
func (r *reader) url(name, def string) *url.URL {
	v, ok := r.raw(name)
	if !ok {
		v = def
	}
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		r.fail(name, "must be an http(s) URL such as https://cams.example.com")
		return nil
	case u.User != nil:
		r.fail(name, "must not contain a user name or password")
		return nil
	}
	return u
}

func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range r.list(name) {
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				r.fail(name, fmt.Sprintf("must list IP addresses or CIDR ranges, got %q", item))
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

func (r *reader) addrs(name string) []netip.Addr {
	var out []netip.Addr
	for _, item := range r.list(name) {
		a, err := netip.ParseAddr(item)
		if err != nil {
			r.fail(name, fmt.Sprintf("must list IP addresses, got %q", item))
			continue
		}
		out = append(out, a)
	}
	return out
}
