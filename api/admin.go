package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
)

// Failed admin sign-ins allowed per client address per window: enough for
// a person mistyping, far too few to guess a password.
const (
	adminFailureLimit  = 10
	adminFailureWindow = time.Minute
)

// adminRealm names the protection space browsers show and cache
// credentials for (RFC 7617).
const adminRealm = `Basic realm="Vigil admin", charset="UTF-8"`

// adminAuth checks HTTP Basic credentials against ADMIN_USERNAME and
// ADMIN_PASSWORD. It keeps only their SHA-256 sums and compares sums, so
// the comparison takes the same time whatever the lengths.
type adminAuth struct {
	enabled  bool
	userSum  [32]byte
	passSum  [32]byte
	failures fiber.Handler
}

func newAdminAuth(username, password string) *adminAuth {
	return &adminAuth{
		enabled: username != "" && password != "",
		userSum: sha256.Sum256([]byte(username)),
		passSum: sha256.Sum256([]byte(password)),
		failures: limiter.New(limiter.Config{
			Max:                    adminFailureLimit,
			Expiration:             adminFailureWindow,
			SkipSuccessfulRequests: true,
			// Only a wrong password is a failed sign-in: a request without
			// Basic credentials (a browser's first visit, answered with
			// the challenge) guesses nothing and is not counted.
			Next: func(c *fiber.Ctx) bool {
				_, _, ok := parseBasic(c.Get(fiber.HeaderAuthorization))
				return !ok
			},
			KeyGenerator: func(c *fiber.Ctx) string { return "admin|" + clientIP(c) },
			LimitReached: func(c *fiber.Ctx) error {
				return newError(fiber.StatusTooManyRequests, "RATE_LIMITED",
					"too many failed admin requests; retry after the time in Retry-After")
			},
		}),
	}
}

// require lets through requests with the admin's credentials. Without
// configured credentials the dashboard is off and says so.
func (a *adminAuth) require(c *fiber.Ctx) error {
	if !a.enabled {
		return newError(fiber.StatusNotFound, "ADMIN_DISABLED",
			"the admin dashboard is off: set ADMIN_USERNAME and ADMIN_PASSWORD")
	}
	return a.failures(c)
}

// check is the handler after the failure limiter. Only failed sign-ins
// count against the limit, not a signed-in admin's mistakes.
func (a *adminAuth) check(c *fiber.Ctx) error {
	user, pass, ok := parseBasic(c.Get(fiber.HeaderAuthorization))
	if ok {
		userSum, passSum := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
		userOK := subtle.ConstantTimeCompare(userSum[:], a.userSum[:])
		passOK := subtle.ConstantTimeCompare(passSum[:], a.passSum[:])
		if userOK&passOK == 1 {
			return c.Next()
		}
	}
	c.Set(fiber.HeaderWWWAuthenticate, adminRealm)
	// The failure limiter reads the status before the error handler runs;
	// setting it here is what makes this request count as a failure.
	c.Status(fiber.StatusUnauthorized)
	return newError(fiber.StatusUnauthorized, "UNAUTHORIZED", "admin credentials required")
}

// parseBasic reads an RFC 7617 Authorization header. The user name ends
// at the first colon; the password may contain more.
func parseBasic(header string) (user, pass string, ok bool) {
	scheme, encoded, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}
