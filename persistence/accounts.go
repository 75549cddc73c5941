package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// UserID identifies a user. Better Auth stores ids as text; Vigil writes
// UUIDs into them.
type UserID string

// CredentialProvider is Better Auth's providerId for email/password accounts.
const CredentialProvider = "credential"

// User is a row of Better Auth's "user" table.
type User struct {
	ID            UserID
	Name          string
	Email         string
	EmailVerified bool
	Image         *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Session is a row of Better Auth's "session" table.
type Session struct {
	ID        string
	Token     string
	UserID    UserID
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	IPAddress string
	UserAgent string
}

// NewSession is what a sign-in or sign-up knows about the session it opens.
type NewSession struct {
	Token     string
	ExpiresAt time.Time
	IPAddress string
	UserAgent string
}

// Accounts runs the queries behind sign-up, sign-in and sessions.
type Accounts struct {
	pool *pgxpool.Pool
}

// NewAccounts returns the account queries over pool.
func NewAccounts(pool *pgxpool.Pool) *Accounts { return &Accounts{pool: pool} }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

const userColumns = `u."id", u."name", u."email", u."emailVerified", u."image",
	u."createdAt", u."updatedAt"`

func scanUser(row pgx.Row, extra ...any) (User, error) {
	var u User
	dest := append([]any{&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image,
		&u.CreatedAt, &u.UpdatedAt}, extra...)
	err := row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	return u, err
}

// CreateUser stores a user with a credential account and opens its first
// session, all or nothing. A taken email, in any letter case, is ErrConflict.
func (a *Accounts) CreateUser(ctx context.Context, name, email, passwordHash string,
	s NewSession) (User, Session, error) {
	var user User
	var sess Session
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		var err error
		user, err = scanUser(tx.QueryRow(ctx, `
			INSERT INTO "user" AS u ("id", "name", "email") VALUES ($1, $2, $3)
			RETURNING `+userColumns, newID(), name, email))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password")
			VALUES ($1, $2, $3, $2, $4)`,
			newID(), user.ID, CredentialProvider, passwordHash); err != nil {
			return err
		}
		sess, err = insertSession(ctx, tx, user.ID, s)
		return err
	})
	if isUniqueViolation(err) {
		return User{}, Session{}, fmt.Errorf("email %q: %w", email, ErrConflict)
	}
	if err != nil {
		return User{}, Session{}, fmt.Errorf("create user: %w", err)
	}
	return user, sess, nil
}

// CredentialByEmail returns the user with email (any letter case) and the
// password hash of its credential account, or ErrNotFound.
func (a *Accounts) CredentialByEmail(ctx context.Context, email string) (User, string, error) {
	var hash string
	user, err := scanUser(a.pool.QueryRow(ctx, `
		SELECT `+userColumns+`, acc."password"
		FROM "user" u
		JOIN "account" acc ON acc."userId" = u."id"
		WHERE lower(u."email") = lower($1) AND acc."providerId" = $2
			AND acc."password" IS NOT NULL`,
		email, CredentialProvider), &hash)
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("find credential: %w", err)
	}
	return user, hash, err
}

// SetPasswordHash replaces the hash of a user's credential account.
func (a *Accounts) SetPasswordHash(ctx context.Context, id UserID, hash string) error {
	_, err := a.pool.Exec(ctx, `
		UPDATE "account" SET "password" = $1, "updatedAt" = now()
		WHERE "userId" = $2 AND "providerId" = $3`, hash, id, CredentialProvider)
	if err != nil {
		return fmt.Errorf("set password of user %s: %w", id, err)
	}
	return nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const sessionColumns = `s."id", s."token", s."userId", s."expiresAt", s."createdAt",
	s."updatedAt", coalesce(s."ipAddress", ''), coalesce(s."userAgent", '')`

func sessionDest(s *Session) []any {
	return []any{&s.ID, &s.Token, &s.UserID, &s.ExpiresAt, &s.CreatedAt,
		&s.UpdatedAt, &s.IPAddress, &s.UserAgent}
}

func insertSession(ctx context.Context, q querier, id UserID, n NewSession) (Session, error) {
	var s Session
	err := q.QueryRow(ctx, `
		INSERT INTO "session" AS s ("id", "token", "userId", "expiresAt", "ipAddress", "userAgent")
		VALUES ($1, $2, $3, $4, nullif($5, ''), nullif($6, ''))
		RETURNING `+sessionColumns,
		newID(), n.Token, id, n.ExpiresAt, n.IPAddress, n.UserAgent).Scan(sessionDest(&s)...)
	return s, err
}

// CreateSession opens a session for the user.
func (a *Accounts) CreateSession(ctx context.Context, id UserID, n NewSession) (Session, error) {
	s, err := insertSession(ctx, a.pool, id, n)
	if err != nil {
		return Session{}, fmt.Errorf("create session for user %s: %w", id, goneOf(err))
	}
	return s, nil
}

// SessionByToken returns the session with token and its user, expired or
// not: the caller decides what expiry means. No such session is ErrNotFound.
func (a *Accounts) SessionByToken(ctx context.Context, token string) (Session, User, error) {
	var s Session
	user, err := scanUser(a.pool.QueryRow(ctx, `
		SELECT `+userColumns+`, `+sessionColumns+`
		FROM "session" s JOIN "user" u ON u."id" = s."userId"
		WHERE s."token" = $1`, token), sessionDest(&s)...)
	if errors.Is(err, ErrNotFound) {
		return Session{}, User{}, ErrNotFound
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("find session: %w", err)
	}
	return s, user, nil
}

// ExtendSession moves a session's expiry and returns its new state.
func (a *Accounts) ExtendSession(ctx context.Context, id string, expiresAt time.Time) (Session, error) {
	var s Session
	err := a.pool.QueryRow(ctx, `
		UPDATE "session" AS s SET "expiresAt" = $2, "updatedAt" = now()
		WHERE s."id" = $1
		RETURNING `+sessionColumns, id, expiresAt).Scan(sessionDest(&s)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("extend session %s: %w", id, err)
	}
	return s, nil
}

// DeleteSession revokes the session with token; revoking a missing session
// is not an error.
func (a *Accounts) DeleteSession(ctx context.Context, token string) error {
	if _, err := a.pool.Exec(ctx, `DELETE FROM "session" WHERE "token" = $1`, token); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions whose expiry has passed.
func (a *Accounts) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	tag, err := a.pool.Exec(ctx, `DELETE FROM "session" WHERE "expiresAt" < now()`)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// LegacyUser is a user that has a password hash on its row but no
// credential account yet.
type LegacyUser struct {
	ID    UserID
	Email string
	Hash  string
}

// LegacyUsers lists the users `auth backfill` would give a credential account.
func (a *Accounts) LegacyUsers(ctx context.Context) ([]LegacyUser, error) {
	rows, err := a.pool.Query(ctx, `
		SELECT u."id", u."email", u."passwordHash" FROM "user" u
		WHERE u."passwordHash" IS NOT NULL AND u."passwordHash" <> ''
			AND NOT EXISTS (SELECT 1 FROM "account" acc
				WHERE acc."userId" = u."id" AND acc."providerId" = $1)
		ORDER BY u."createdAt"`, CredentialProvider)
	if err != nil {
		return nil, fmt.Errorf("list legacy users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LegacyUser, error) {
		var l LegacyUser
		return l, r.Scan(&l.ID, &l.Email, &l.Hash)
	})
	if err != nil {
		return nil, fmt.Errorf("list legacy users: %w", err)
	}
	return users, nil
}

// AddCredentialAccount gives a user a credential account with hash. It
// reports false when the user already had one, so a second backfill running
// at the same time changes nothing.
func (a *Accounts) AddCredentialAccount(ctx context.Context, id UserID, hash string) (bool, error) {
	tag, err := a.pool.Exec(ctx, `
		INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password")
		VALUES ($1, $2, $3, $2, $4)
		ON CONFLICT ("providerId", "accountId") DO NOTHING`,
		newID(), id, CredentialProvider, hash)
	if err != nil {
		return false, fmt.Errorf("add credential account for user %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}
