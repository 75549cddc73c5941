package api

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/persistence"
)

// Session timing of Better Auth's defaults: a session is extended once it is
// a day old (updateAge), and a sign-in without "remember me" lasts a day.
const (
	sessionUpdateAge     = 24 * time.Hour
	dontRememberLifetime = 24 * time.Hour
)

// AccountStore is what the account routes need from persistence.
type AccountStore interface {
	CreateUser(ctx context.Context, name, email, hash string,
		s persistence.NewSession) (persistence.User, persistence.Session, error)
	CredentialByEmail(ctx context.Context, email string) (persistence.User, string, error)
	SetPasswordHash(ctx context.Context, id persistence.UserID, hash string) error
	CreateSession(ctx context.Context, id persistence.UserID,
		n persistence.NewSession) (persistence.Session, error)
	SessionByToken(ctx context.Context, token string) (persistence.Session, persistence.User, error)
	ExtendSession(ctx context.Context, id string, expiresAt time.Time) (persistence.Session, error)
	DeleteSession(ctx context.Context, token string) error
	DeleteUser(ctx context.Context, id persistence.UserID) error
}

// sessions finds, extends and issues Better Auth sessions.
type sessions struct {
	store    AccountStore
	secret   string
	secure   bool
	lifetime time.Duration
	now      func() time.Time
}

func (s *sessions) cookieName() string {
	return betterauth.CookieName(betterauth.SessionCookie, s.secure)
}

func (s *sessions) dontRememberName() string {
	return betterauth.CookieName(betterauth.DontRememberCookie, s.secure)
}

// authed is the signed-in user of a request, with how they proved it.
type authed struct {
	session  persistence.Session
	user     persistence.User
	byCookie bool
}

type authedKey struct{}

var errNoSession = errors.New("no session")

// tokenOf returns the session token the request carries: a Bearer header
// first (Better Auth's bearer plugin), then the signed cookie. A bearer may
// be the raw token or the signed value from set-auth-token. Another
// Authorization scheme (Basic from a proxy, say) leaves the cookie in force.
func (s *sessions) tokenOf(c *fiber.Ctx) (token string, byCookie bool) {
	scheme, raw, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if strings.EqualFold(scheme, "Bearer") {
		raw = strings.TrimSpace(raw)
		if strings.ContainsAny(raw, ".%") {
			raw, _ = betterauth.VerifySigned(raw, s.secret)
		}
		if !plausibleToken(raw) {
			return "", false
		}
		return raw, false
	}
	if cookie := c.Cookies(s.cookieName()); cookie != "" {
		if token, ok := betterauth.VerifySigned(cookie, s.secret); ok && plausibleToken(token) {
			return token, true
		}
	}
	return "", false
}

// maxTokenLength bounds what is looked up as a session token; Better Auth's
// are 32 characters.
const maxTokenLength = 256

// plausibleToken reports whether t could be a session token at all:
// printable ASCII without spaces. Anything else is not looked up.
func plausibleToken(t string) bool {
	if t == "" || len(t) > maxTokenLength {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return false
		}
	}
	return true
}

// current returns the request's live session, extending it when it is due
// (sliding expiry). An expired session is deleted and counts as none.
func (s *sessions) current(c *fiber.Ctx) (*authed, error) {
	if a, ok := c.Locals(authedKey{}).(*authed); ok {
		return a, nil
	}
	token, byCookie := s.tokenOf(c)
	if token == "" {
		return nil, errNoSession
	}
	ctx := c.UserContext()
	sess, user, err := s.store.SessionByToken(ctx, token)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !sess.ExpiresAt.After(now) {
		if err := s.store.DeleteSession(ctx, token); err != nil {
			return nil, err
		}
		return nil, errNoSession
	}
	dontRemember := c.Cookies(s.dontRememberName()) != ""
	if !dontRemember && !sess.ExpiresAt.Add(-s.lifetime).Add(sessionUpdateAge).After(now) {
		if sess, err = s.store.ExtendSession(ctx, sess.ID, now.Add(s.lifetime)); err != nil {
			return nil, err
		}
		if byCookie {
			s.setCookie(c, sess, false)
		}
	}
	a := &authed{session: sess, user: user, byCookie: byCookie}
	c.Locals(authedKey{}, a)
	return a, nil
}

// requireUser lets a request through only with a live session.
func (s *sessions) requireUser(c *fiber.Ctx) error {
	if _, err := s.current(c); err != nil {
		if errors.Is(err, errNoSession) {
			return newError(fiber.StatusUnauthorized, "UNAUTHORIZED", "sign in first")
		}
		return err
	}
	return c.Next()
}

// setCookie sets the signed session cookie. Without "remember me" it is a
// browser-session cookie and Better Auth's dont_remember marker goes with it.
func (s *sessions) setCookie(c *fiber.Ctx, sess persistence.Session, dontRemember bool) {
	ck := &fiber.Cookie{
		Name:     s.cookieName(),
		Value:    betterauth.SignedValue(sess.Token, s.secret),
		Path:     "/",
		HTTPOnly: true,
		Secure:   s.secure,
		SameSite: fiber.CookieSameSiteLaxMode,
	}
	if dontRemember {
		ck.SessionOnly = true
	} else {
		// Rounded up, so a fresh session's cookie says the whole lifetime
		// (604800 for a week), as Better Auth's does.
		ck.MaxAge = int(math.Ceil(sess.ExpiresAt.Sub(s.now()).Seconds()))
	}
	c.Cookie(ck)
	if dontRemember {
		c.Cookie(&fiber.Cookie{Name: s.dontRememberName(),
			Value: betterauth.SignedValue("true", s.secret), Path: "/", HTTPOnly: true,
			Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode, SessionOnly: true})
	}
	// Better Auth's bearer plugin hands the signed token to clients that
	// cannot read cookies.
	c.Set("set-auth-token", betterauth.SignedValue(sess.Token, s.secret))
}

// clearCookies deletes the cookies Better Auth clears on sign-out.
func (s *sessions) clearCookies(c *fiber.Ctx) {
	for _, name := range []string{s.cookieName(), s.dontRememberName(),
		betterauth.CookieName(betterauth.SessionDataCookie, s.secure)} {
		c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true,
			Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode,
			Expires: fasthttp.CookieExpireDelete, MaxAge: -1})
	}
}

// userOf returns the signed-in user of a request that passed requireUser.
func userOf(c *fiber.Ctx) persistence.User {
	return c.Locals(authedKey{}).(*authed).user
}
