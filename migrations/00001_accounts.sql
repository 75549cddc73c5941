-- Better Auth's core schema (user, session, account, verification) with its
-- camelCase column names, so a database made by the TypeScript backend can
-- be pointed at Vigil and the reverse. IF NOT EXISTS lets Vigil adopt such a
-- database without failing on tables that are already there.

-- +goose Up
CREATE TABLE IF NOT EXISTS "user" (
    "id"            text PRIMARY KEY,
    "name"          text NOT NULL,
    "email"         text NOT NULL UNIQUE,
    "emailVerified" boolean NOT NULL DEFAULT false,
    "image"         text,
    "createdAt"     timestamptz NOT NULL DEFAULT now(),
    "updatedAt"     timestamptz NOT NULL DEFAULT now()
);

-- Emails compare case-insensitively; Better Auth stores them lower-cased,
-- and this index makes a duplicate in another letter case a conflict even
-- for rows written by something else.
CREATE UNIQUE INDEX IF NOT EXISTS user_email_lower_key ON "user" (lower("email"));

-- The old backend kept a password hash on the user row before it moved to
-- Better Auth; `vigil auth backfill` turns it into a credential account.
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS "passwordHash" text;

CREATE TABLE IF NOT EXISTS "session" (
    "id"        text PRIMARY KEY,
    "expiresAt" timestamptz NOT NULL,
    "token"     text NOT NULL UNIQUE,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    "ipAddress" text,
    "userAgent" text,
    "userId"    text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS session_user_id_idx ON "session" ("userId");
CREATE INDEX IF NOT EXISTS session_expires_at_idx ON "session" ("expiresAt");

CREATE TABLE IF NOT EXISTS "account" (
    "id"                    text PRIMARY KEY,
    "accountId"             text NOT NULL,
    "providerId"            text NOT NULL,
    "userId"                text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    "accessToken"           text,
    "refreshToken"          text,
    "idToken"               text,
    "accessTokenExpiresAt"  timestamptz,
    "refreshTokenExpiresAt" timestamptz,
    "scope"                 text,
    "password"              text,
    "createdAt"             timestamptz NOT NULL DEFAULT now(),
    "updatedAt"             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS account_user_id_idx ON "account" ("userId");
-- One account per identity at a provider. Credential accounts use the user's
-- id as accountId, so concurrent backfills cannot give a user two.
CREATE UNIQUE INDEX IF NOT EXISTS account_provider_account_key
    ON "account" ("providerId", "accountId");

CREATE TABLE IF NOT EXISTS "verification" (
    "id"         text PRIMARY KEY,
    "identifier" text NOT NULL,
    "value"      text NOT NULL,
    "expiresAt"  timestamptz NOT NULL,
    "createdAt"  timestamptz NOT NULL DEFAULT now(),
    "updatedAt"  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS verification_identifier_idx ON "verification" ("identifier");

-- +goose Down
-- The Up step adopts tables that may hold a Better Auth deployment's users,
-- so rolling it back refuses instead of dropping them. To start over, drop
-- the four tables and goose_db_version by hand.
-- +goose StatementBegin
DO $$
BEGIN
    RAISE EXCEPTION 'refusing to drop the Better Auth tables (user, session, account, verification): drop them by hand';
END
$$;
-- +goose StatementEnd
