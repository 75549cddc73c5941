// Package persistence is Vigil's source of truth: the Postgres pool, the
// schema migrations and every query, with the mapping between rows and the
// values the rest of Vigil uses. It knows nothing about HTTP or actors.
package persistence
