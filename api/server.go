package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/api/socketio"
)

// DefaultBodyLimit bounds every request body. Vigil's JSON bodies are small
// (the largest, an SDP offer, is tens of KiB); media never passes through.
const DefaultBodyLimit = 256 << 10

// Options is everything the HTTP layer needs, built by cmd/vigil.
type Options struct {
	Logger   *slog.Logger
	Accounts AccountStore
	Hasher   *betterauth.Hasher

	// Secret signs session cookies (BETTER_AUTH_SECRET).
	Secret string
	// BaseURL is the public URL; its scheme decides Secure cookies.
	BaseURL *url.URL
	// TrustedOrigins may call with cookies besides BaseURL's origin, in
	// Better Auth's trustedOrigins forms (see betterauth.OriginPattern).
	TrustedOrigins []string
	TrustedProxies []netip.Prefix

	// AuthRateLimit sign-ins (and, separately, sign-ups) are allowed per
	// client address in each AuthRateWindow.
	AuthRateLimit   int
	AuthRateWindow  time.Duration
	SessionLifetime time.Duration
	BodyLimit       int

	// Storage is the object storage behind /videos and /admin. Nil means
	// none is configured: those routes answer 503 STORAGE_NOT_CONFIGURED.
	Storage ObjectStore
	// Videos keeps the metadata of the objects users upload.
	Videos VideoStore
	// AdminUsername and AdminPassword guard /admin with HTTP Basic auth;
	// with either empty the dashboard is off.
	AdminUsername string
	AdminPassword string
	// Devices stores devices and links; Actors holds their live state.
	Devices DeviceStore
	Actors  *actors.System
	// ActorTimeout bounds a request's wait for an actor; default
	// DefaultActorTimeout.
	ActorTimeout time.Duration
	Realtime     Realtime
	// Commands and Events store commands and motion events; their live
	// side runs in the camera's actor.
	Commands CommandStore
	Events   EventStore
	// CommandTTL is a command's time to live when it names none, and
	// CommandTTLMax the longest it may name; defaults DefaultCommandTTL
	// and DefaultCommandTTLMax.
	CommandTTL    time.Duration
	CommandTTLMax time.Duration
	// Streams stores stream sessions, whose live side runs in stream
	// actors; Media says how their media flows. Without Streams the
	// /streams, WHIP and WHEP routes are not mounted.
	Streams StreamStore
	Media   MediaOptions

	// Checks run on /readyz; each names a dependency.
	Checks []Check
	// Now is the clock; nil means time.Now. Tests move it to expire sessions.
	Now func() time.Time
}

// Check is one dependency /readyz looks at.
type Check struct {
	Name  string
	Check func(context.Context) error
}

// Server is the Fiber application with Vigil's routes.
type Server struct {
	app      *fiber.App
	log      *slog.Logger
	sessions *sessions

	devices      DeviceStore
	actors       *actors.System
	actorTimeout time.Duration
	realtime     Realtime
	sockets      *socketSet
	sio          *socketio.Server

	commands CommandStore
	events   EventStore
	// clips finds the recordings an event shows; nil without Videos.
	clips         VideoStore
	commandTTL    time.Duration
	commandTTLMax time.Duration
	now           func() time.Time

	streams     StreamStore
	media       MediaOptions
	playbackKey []byte
	baseURL     string
}

// New builds the application. It does not listen; see Listen.
func New(opts Options) (*Server, error) {
	if opts.Devices == nil || opts.Actors == nil || opts.Commands == nil || opts.Events == nil {
		return nil, errors.New("api: Options.Devices, Actors, Commands and Events are required")
	}
	opts.setDefaults()
	trusted, err := betterauth.ParseOrigins(
		append([]string{opts.BaseURL.Scheme + "://" + opts.BaseURL.Host}, opts.TrustedOrigins...))
	if err != nil {
		return nil, fmt.Errorf("trusted origins: %w", err)
	}
	dummy, err := opts.Hasher.Hash(context.Background(), betterauth.NewToken(16))
	if err != nil {
		return nil, fmt.Errorf("prepare dummy hash: %w", err)
	}

	s := newServer(opts)
	s.useMiddleware(opts, trusted)
	s.app.Get("/healthz", healthz)
	s.app.Get("/readyz", readyz(opts.Checks))
	s.mountAccounts(opts, &accounts{log: s.log, store: opts.Accounts, hasher: opts.Hasher,
		sessions: s.sessions, dummyHash: dummy})
	if err := s.mountStorage(opts); err != nil {
		return nil, err
	}
	s.mountDevices()
	s.mountCommands()
	s.mountEvents()
	s.mountStreams()
	s.mountSocketIO()
	s.mountDocs()
	if err := s.mountSim(); err != nil {
		return nil, err
	}
	// No catch-all handler: Fiber's own 404 and 405 (a path that exists for
	// another method) reach errorHandler and answer in the contract's shape.
	return s, nil
}

// setDefaults fills the options a caller may leave zero.
func (o *Options) setDefaults() {
	if o.BodyLimit == 0 {
		o.BodyLimit = DefaultBodyLimit
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ActorTimeout == 0 {
		o.ActorTimeout = DefaultActorTimeout
	}
	if o.CommandTTL == 0 {
		o.CommandTTL = DefaultCommandTTL
	}
	if o.CommandTTLMax == 0 {
		o.CommandTTLMax = DefaultCommandTTLMax
	}
}

// newServer makes the Fiber application and the Server around it.
func newServer(opts Options) *Server {
	app := fiber.New(fiber.Config{
		AppName:               "vigil",
		BodyLimit:             opts.BodyLimit,
		ErrorHandler:          errorHandler(opts.Logger),
		DisableStartupMessage: true,
		// Handlers hand strings to actors and goroutines that outlive the
		// request; fasthttp would otherwise reuse their bytes.
		Immutable: true,
		// Browsers on a shared localhost carry many cookies; fasthttp's 4 KiB
		// default refuses them with 431.
		ReadBufferSize: 16 << 10,
		// Release a connection's read buffer once a request is read:
		// fasthttp otherwise hands it to every upgraded websocket for its
		// whole life, the largest single cost of an idle device socket.
		ReduceMemoryUsage: true,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	})
	return &Server{app: app, log: opts.Logger, sessions: &sessions{
		store: opts.Accounts, secret: opts.Secret, secure: opts.BaseURL.Scheme == "https",
		lifetime: opts.SessionLifetime, now: opts.Now,
	}, devices: opts.Devices, actors: opts.Actors, actorTimeout: opts.ActorTimeout,
		realtime: opts.Realtime.withDefaults(), sockets: newSocketSet(),
		commands: opts.Commands, events: opts.Events, clips: opts.Videos,
		commandTTL: opts.CommandTTL, commandTTLMax: opts.CommandTTLMax, now: opts.Now,
		streams: opts.Streams, media: opts.Media.withDefaults(), playbackKey: playbackKey(opts.Secret),
		baseURL: opts.BaseURL.Scheme + "://" + opts.BaseURL.Host}
}

// useMiddleware installs what every request passes through, in order.
func (s *Server) useMiddleware(opts Options, trusted betterauth.Origins) {
	log := s.log
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, e any) {
			log.Error("handler panicked", "path", c.Path(), "panic", e, "requestID", requestID(c))
		}}))
	s.app.Use(requestid.New())
	s.app.Use(resolveClientIP(opts.TrustedProxies))
	s.app.Use(accessLog(log))
	s.app.Use(cors.New(cors.Config{
		AllowOriginsFunc: trusted.Contains,
		AllowCredentials: true,
		AllowHeaders:     "Content-Type, Authorization",
		// WHIP and WHEP players in browsers read the resource's Location.
		ExposeHeaders: "set-auth-token, Location",
	}))
	s.app.Use(originGuard(trusted, s.sessions.cookieName()))
}

// mountAccounts registers Better Auth's routes.
func (s *Server) mountAccounts(opts Options, acc *accounts) {
	auth := s.app.Group("/api/auth")
	auth.Post("/sign-up/email", s.rateLimit(opts, "sign-up"), acc.signUp)
	auth.Post("/sign-in/email", s.rateLimit(opts, "sign-in"), acc.signIn)
	auth.Post("/sign-out", acc.signOut)
	auth.Get("/get-session", acc.getSession)
	auth.Post("/delete-user", s.sessions.requireUser,
		func(c *fiber.Ctx) error { return s.deleteUser(acc, c) })
}

// rateLimit allows opts.AuthRateLimit requests per client address per
// window on one route; the address is the one resolveClientIP believed.
func (s *Server) rateLimit(opts Options, name string) fiber.Handler {
	return limiter.New(limiter.Config{
		Max:          opts.AuthRateLimit,
		Expiration:   opts.AuthRateWindow,
		KeyGenerator: func(c *fiber.Ctx) string { return name + "|" + clientIP(c) },
		LimitReached: func(c *fiber.Ctx) error {
			return newError(fiber.StatusTooManyRequests, "RATE_LIMITED",
				"too many attempts from this address; retry after the time in Retry-After")
		},
	})
}

// App exposes the Fiber application, for tests (app.Test) and for later
// packages that mount routes.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Serve serves on a listener the caller opened, so that it can report the
// bound address, or a failure to bind, before serving starts.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown ends the Socket.IO sessions (their long-polls are requests in
// flight), stops accepting connections, waits for requests in flight, then
// closes every websocket (1001) and waits for their handlers, at most
// until ctx ends. Stop the actor system after it.
func (s *Server) Shutdown(ctx context.Context) error {
	s.sio.Close()
	if err := s.app.ShutdownWithContext(ctx); err != nil {
		return err
	}
	if err := s.sockets.closeAll(ctx); err != nil {
		return fmt.Errorf("close websockets: %w", err)
	}
	return nil
}
