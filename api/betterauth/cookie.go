package betterauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
)

// Cookie names Better Auth uses with its default "better-auth" prefix. On
// https the browser only accepts them with the "__Secure-" prefix.
const (
	SessionCookie      = "better-auth.session_token"
	DontRememberCookie = "better-auth.dont_remember"
	// SessionDataCookie is Better Auth's cookie cache of the session. Vigil
	// never sets it, but clears it on sign-out as Better Auth does, so a
	// browser coming from the TypeScript backend keeps no stale copy.
	SessionDataCookie = "better-auth.session_data"
	securePrefix      = "__Secure-"
)

// CookieName returns name as Better Auth sets it for a base URL that is
// https (secure) or not.
func CookieName(name string, secure bool) string {
	if secure {
		return securePrefix + name
	}
	return name
}

// Sign returns the signature Better Auth (better-call's signCookieValue)
// appends to a cookie value: standard base64 of HMAC-SHA256(secret, value).
func Sign(value, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(value))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignedValue returns "value.signature", URL-encoded the way it travels in a
// Set-Cookie header.
func SignedValue(value, secret string) string {
	return url.QueryEscape(value + "." + Sign(value, secret))
}

// signatureLen is the length of a base64 HMAC-SHA256: 32 bytes → 44 chars.
const signatureLen = 44

// VerifySigned checks a signed value as found in a cookie or a bearer header,
// URL-encoded or not, and returns the value it carries.
func VerifySigned(raw, secret string) (string, bool) {
	if strings.ContainsRune(raw, '%') {
		decoded, err := url.QueryUnescape(raw)
		if err != nil {
			return "", false
		}
		raw = decoded
	}
	dot := strings.LastIndexByte(raw, '.')
	if dot <= 0 || len(raw)-dot-1 != signatureLen {
		return "", false
	}
	value, sig := raw[:dot], raw[dot+1:]
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return "", false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(value))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return "", false
	}
	return value, true
}

// tokenAlphabet is Better Auth's generateId alphabet (a-z, A-Z, 0-9).
const tokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// SessionTokenLength is the length of Better Auth's session tokens.
const SessionTokenLength = 32

// NewToken returns a random token of n characters from Better Auth's
// alphabet, drawn without modulo bias.
func NewToken(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		rand.Read(buf) // never fails since Go 1.24
		for _, b := range buf {
			// 248 is the largest multiple of 62 below 256.
			if b < 248 && len(out) < n {
				out = append(out, tokenAlphabet[int(b)%len(tokenAlphabet)])
			}
		}
	}
	return string(out)
}
