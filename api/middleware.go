package api

import (
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"github.com/vigil-oss/vigil/api/betterauth"
)

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}

// accessLog logs one line per request through slog. It logs the path
// without the query string: browsers pass device tokens as ?token=.
// Successful Socket.IO polls, one per device every PingInterval and per
// packet sent, are logged at Debug.
func accessLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status = classify(err).Status
		}
		level := slog.LevelInfo
		if status < 400 && strings.HasPrefix(c.Path(), "/socket.io") {
			level = slog.LevelDebug
		}
		log.LogAttrs(c.UserContext(), level, "http request",
			slog.String("method", c.Method()),
			slog.String("path", c.Path()),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String("clientIP", clientIP(c)),
			slog.String("requestID", requestID(c)),
		)
		return err
	}
}

type clientIPKey struct{}

// resolveClientIP records the address of the client. X-Forwarded-For is
// believed only when the peer is a trusted proxy, and then read from the
// right, skipping trusted hops: the leftmost entries are whatever the client
// chose to send.
func resolveClientIP(trusted []netip.Prefix) fiber.Handler {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(c *fiber.Ctx) error {
		peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		ip := peer.Unmap()
		if len(trusted) > 0 && isTrusted(ip) {
			ip = forwardedClient(forwardedFor(c), ip, isTrusted)
		}
		c.Locals(clientIPKey{}, ip.String())
		return c.Next()
	}
}

// forwardedFor joins every X-Forwarded-For line in order: a proxy may add
// its own line instead of appending to the client's.
func forwardedFor(c *fiber.Ctx) string {
	lines := c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = string(l)
	}
	return strings.Join(parts, ",")
}

func forwardedClient(header string, peer netip.Addr, isTrusted func(netip.Addr) bool) netip.Addr {
	hops := strings.Split(header, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// A hop we cannot read ends what we can believe.
			return peer
		}
		if !isTrusted(a) {
			return a.Unmap()
		}
		peer = a.Unmap()
	}
	return peer
}

func clientIP(c *fiber.Ctx) string {
	ip, _ := c.Locals(clientIPKey{}).(string)
	return ip
}

// originGuard refuses cross-site state changes. A browser always sends
// Origin with a POST, PATCH or DELETE; it must be the base URL's origin, a
// trusted origin, or the host the request was sent to. A request carrying
// the session cookie but no Origin or Referer is refused too, since nothing
// then shows where it came from. Requests without cookies and without Origin
// (mobile apps, curl, devices) pass: a bearer token is not sent by a browser
// on its own.
func originGuard(trusted betterauth.Origins, sessionCookie string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		origin := c.Get(fiber.HeaderOrigin)
		if origin == "" {
			origin = refererOrigin(c.Get(fiber.HeaderReferer))
		}
		if origin == "" {
			if c.Cookies(sessionCookie) != "" {
				return newError(fiber.StatusForbidden, "MISSING_ORIGIN",
					"a request that uses the session cookie must carry an Origin header")
			}
			return c.Next()
		}
		if trusted.Contains(origin) || sameHost(origin, string(c.Request().Host())) {
			return c.Next()
		}
		return newError(fiber.StatusForbidden, "INVALID_ORIGIN",
			"the request's origin is not trusted; add it to BETTER_AUTH_TRUSTED_ORIGINS")
	}
}

func refererOrigin(referer string) string {
	u, err := url.Parse(referer)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// sameHost reports whether origin is a web origin naming host, the host the
// request was sent to.
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Path == "" &&
		host != "" && strings.EqualFold(u.Host, host)
}
