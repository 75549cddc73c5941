// Package betterauth holds the wire-level primitives that let Vigil share
// accounts and sessions with the Better Auth TypeScript library: its scrypt
// password hash format, its signed session cookie and its token alphabet.
//
// Everything here is pure computation so that it can be tested against the
// known-answer vectors made with the real library and fuzzed in isolation.
package betterauth
