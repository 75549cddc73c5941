package api

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/api/betterauth"
	"github.com/vigil-oss/vigil/persistence"
)

// Input bounds. Better Auth leaves name and email unbounded; Vigil caps them
// so a client cannot store megabytes in a row. 254 is the longest address
// RFC 5321 lets through SMTP.
const (
	maxNameLength  = 200
	maxEmailLength = 254
	// RFC 5321 §4.5.3.1.1.
	maxLocalPartLength = 64
	maxUserAgentLength = 512
)

type accounts struct {
	log      *slog.Logger
	store    AccountStore
	hasher   *betterauth.Hasher
	sessions *sessions
	// dummyHash is verified against when an email is unknown, so that a
	// wrong email costs as long as a wrong password.
	dummyHash string
}

type signUpRequest struct {
	Name       string `json:"name"`
	Email      string `json:"email"`
	Password   string `json:"password"`
	RememberMe *bool  `json:"rememberMe"`
}

// signInRequest keeps email and password as pointers: Better Auth tells a
// missing field (VALIDATION_ERROR) from an empty one.
type signInRequest struct {
	Email      *string `json:"email"`
	Password   *string `json:"password"`
	RememberMe *bool   `json:"rememberMe"`
}

// userJSON is a user as Better Auth answers it.
type userJSON struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"emailVerified"`
	Image         *string   `json:"image"`
	CreatedAt     time.Time `json:"createdAt" format:"date-time"`
	UpdatedAt     time.Time `json:"updatedAt" format:"date-time"`
}

// sessionJSON is a session as Better Auth answers it.
type sessionJSON struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	UserID    string    `json:"userId"`
	ExpiresAt time.Time `json:"expiresAt" format:"date-time"`
	CreatedAt time.Time `json:"createdAt" format:"date-time"`
	UpdatedAt time.Time `json:"updatedAt" format:"date-time"`
	IPAddress string    `json:"ipAddress"`
	UserAgent string    `json:"userAgent"`
}

type signUpResponse struct {
	Token string   `json:"token"`
	User  userJSON `json:"user"`
}

type signInResponse struct {
	Redirect bool     `json:"redirect"`
	Token    string   `json:"token"`
	User     userJSON `json:"user"`
}

type sessionResponse struct {
	Session sessionJSON `json:"session"`
	User    userJSON    `json:"user"`
}

func toUserJSON(u persistence.User) userJSON {
	return userJSON{ID: string(u.ID), Name: u.Name, Email: u.Email,
		EmailVerified: u.EmailVerified, Image: u.Image,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

func toSessionJSON(s persistence.Session) sessionJSON {
	return sessionJSON{ID: s.ID, Token: s.Token, UserID: string(s.UserID),
		ExpiresAt: s.ExpiresAt.UTC(), CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
		IPAddress: s.IPAddress, UserAgent: s.UserAgent}
}

func (a *accounts) newSession(c *fiber.Ctx, rememberMe bool) persistence.NewSession {
	lifetime := a.sessions.lifetime
	if !rememberMe {
		lifetime = dontRememberLifetime
	}
	return persistence.NewSession{
		Token:     betterauth.NewToken(betterauth.SessionTokenLength),
		ExpiresAt: a.sessions.now().Add(lifetime),
		IPAddress: clientIP(c),
		UserAgent: cleanHeaderText(c.Get(fiber.HeaderUserAgent), maxUserAgentLength),
	}
}

// signUp serves POST /api/auth/sign-up/email.
//
//	@Summary	Create an account and sign in
//	@Description	Better Auth's wire format; sets the session cookie and a set-auth-token header.
//	@Tags	accounts
//	@Accept	json
//	@Produce	json
//	@Param	body body signUpRequest true "the new account"
//	@Success	200 {object} signUpResponse
//	@Header	200 {string} set-auth-token "the signed session token"
//	@Failure	400,403,413,422,429 {object} errorBody "the contract's error body"
//	@Router	/api/auth/sign-up/email [post]
func (a *accounts) signUp(c *fiber.Ctx) error {
	var req signUpRequest
	if err := parseAuthBody(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}

	ctx := c.UserContext()
	hash, err := a.hasher.Hash(ctx, req.Password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	remember := req.RememberMe == nil || *req.RememberMe
	user, sess, err := a.store.CreateUser(ctx, req.Name, req.Email, hash, a.newSession(c, remember))
	if errors.Is(err, persistence.ErrConflict) {
		return newError(fiber.StatusUnprocessableEntity, codeUserExists,
			"a user with this email already exists; use another email")
	}
	if err != nil {
		return err
	}

	a.log.Info("user signed up", "userID", user.ID)
	a.sessions.setCookie(c, sess, !remember)
	return c.JSON(signUpResponse{Token: sess.Token, User: toUserJSON(user)})
}

var errInvalidCredentials = newError(fiber.StatusUnauthorized, codeBadCredentials,
	"invalid email or password")

// signIn serves POST /api/auth/sign-in/email.
//
//	@Summary	Sign in with email and password
//	@Description	rememberMe false gives a browser-session cookie.
//	@Description	Sets the session cookie and set-auth-token.
//	@Tags	accounts
//	@Accept	json
//	@Produce	json
//	@Param	body body signInRequest true "credentials"
//	@Success	200 {object} signInResponse
//	@Header	200 {string} set-auth-token "the signed session token"
//	@Failure	400,401,403,413,429 {object} errorBody "the contract's error body"
//	@Router	/api/auth/sign-in/email [post]
func (a *accounts) signIn(c *fiber.Ctx) error {
	var req signInRequest
	if err := parseAuthBody(c, &req); err != nil {
		return err
	}
	email, password, err := req.validate()
	if err != nil {
		return err
	}
	if password == "" {
		return errInvalidCredentials
	}

	ctx := c.UserContext()
	user, hash, err := a.store.CredentialByEmail(ctx, email)
	if errors.Is(err, persistence.ErrNotFound) {
		_ = a.hasher.Verify(ctx, a.dummyHash, password)
		return errInvalidCredentials
	}
	if err != nil {
		return err
	}
	switch err := a.hasher.Verify(ctx, hash, password); {
	case errors.Is(err, betterauth.ErrMismatch):
		return errInvalidCredentials
	case errors.Is(err, betterauth.ErrMalformedHash):
		a.log.Error("stored password hash is unreadable", "userID", user.ID)
		return errInvalidCredentials
	case err != nil:
		return err
	}
	if betterauth.NeedsRehash(hash) {
		a.upgradeHash(c, user.ID, password)
	}

	remember := req.RememberMe == nil || *req.RememberMe
	sess, err := a.store.CreateSession(ctx, user.ID, a.newSession(c, remember))
	if err != nil {
		// The user was deleted since their password was checked.
		return goneError(err, errInvalidCredentials)
	}
	a.sessions.setCookie(c, sess, !remember)
	return c.JSON(signInResponse{Redirect: false, Token: sess.Token, User: toUserJSON(user)})
}

// upgradeHash replaces a legacy bcrypt hash with Better Auth's scrypt once
// the password is known to be right. Failing here does not fail the sign-in.
func (a *accounts) upgradeHash(c *fiber.Ctx, id persistence.UserID, password string) {
	ctx := c.UserContext()
	hash, err := a.hasher.Hash(ctx, password)
	if err == nil {
		err = a.store.SetPasswordHash(ctx, id, hash)
	}
	if err != nil {
		a.log.Warn("could not upgrade legacy password hash", "userID", id, "err", err)
		return
	}
	a.log.Info("upgraded legacy password hash", "userID", id)
}

// signOut revokes the request's session, if it carries one, and clears the
// cookies either way: Better Auth answers success even without a session.
//
//	@Summary	Sign out: revoke the session and clear its cookies
//	@Description	Answers success with or without a session, as Better Auth does.
//	@Tags	accounts
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Success	200 {object} object{success=bool}
//	@Failure	403 {object} errorBody "the contract's error body"
//	@Router	/api/auth/sign-out [post]
func (a *accounts) signOut(c *fiber.Ctx) error {
	if token, _ := a.sessions.tokenOf(c); token != "" {
		if err := a.store.DeleteSession(c.UserContext(), token); err != nil {
			return err
		}
	}
	a.sessions.clearCookies(c)
	return c.JSON(fiber.Map{"success": true})
}

// getSession answers the session and user, or JSON null without a live
// session, as Better Auth does.
//
//	@Summary	The caller's session and user
//	@Description	Answers the JSON literal null without a valid session.
//	@Tags	accounts
//	@Produce	json
//	@Security	sessionCookie
//	@Security	sessionBearer
//	@Success	200 {object} sessionResponse "or null"
//	@Router	/api/auth/get-session [get]
func (a *accounts) getSession(c *fiber.Ctx) error {
	auth, err := a.sessions.current(c)
	if errors.Is(err, errNoSession) {
		if c.Cookies(a.sessions.cookieName()) != "" {
			a.sessions.clearCookies(c)
		}
		return c.Type("json").SendString("null")
	}
	if err != nil {
		return err
	}
	return c.JSON(sessionResponse{Session: toSessionJSON(auth.session), User: toUserJSON(auth.user)})
}
