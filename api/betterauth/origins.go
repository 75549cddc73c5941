package betterauth

import (
	"fmt"
	"strings"
)

// OriginPattern is one entry of Better Auth's trustedOrigins: an exact web
// origin ("https://app.example.com"), a wildcard over subdomains
// ("https://*.example.com", or "*.example.com" for http and https alike),
// or an app scheme ("myapp://", "capacitor://localhost") that native
// shells send as their Origin.
type OriginPattern struct {
	scheme string // "" matches http and https
	host   string // without the "*." of a wildcard; "" matches any host
	suffix bool   // host is a suffix: "*." was given
}

// ParseOriginPattern reads one trusted-origin entry.
func ParseOriginPattern(raw string) (OriginPattern, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	scheme, host, hasScheme := strings.Cut(s, "://")
	if !hasScheme {
		scheme, host = "", s
	}
	host = strings.TrimSuffix(host, "/")
	web := scheme == "" || scheme == "http" || scheme == "https"
	var p OriginPattern
	p.scheme = scheme
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		p.suffix, host = true, rest
	}
	switch {
	case hasScheme && !validScheme(scheme):
		return p, fmt.Errorf("%q has an invalid scheme", raw)
	case strings.ContainsAny(host, "*/?#@ "):
		return p, fmt.Errorf("%q: only a leading \"*.\" wildcard and no path are allowed", raw)
	case web && host == "":
		return p, fmt.Errorf("%q names no host", raw)
	case !hasScheme && !p.suffix:
		return p, fmt.Errorf("%q needs a scheme, such as https://", raw)
	}
	p.host = host
	return p, nil
}

func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// Matches reports whether an Origin header value is trusted by p.
func (p OriginPattern) Matches(origin string) bool {
	scheme, host, ok := strings.Cut(strings.ToLower(origin), "://")
	if !ok || strings.ContainsAny(host, "/?#@") {
		return false
	}
	switch {
	case p.scheme == "" && scheme != "http" && scheme != "https":
		return false
	case p.scheme != "" && scheme != p.scheme:
		return false
	case p.host == "":
		return true
	case p.suffix:
		return strings.HasSuffix(host, "."+p.host)
	}
	return host == p.host
}

// Origins is a set of trusted-origin patterns.
type Origins []OriginPattern

// ParseOrigins reads every entry, failing on the first bad one.
func ParseOrigins(raw []string) (Origins, error) {
	out := make(Origins, 0, len(raw))
	for _, r := range raw {
		p, err := ParseOriginPattern(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Contains reports whether any pattern trusts origin.
func (o Origins) Contains(origin string) bool {
	for _, p := range o {
		if p.Matches(origin) {
			return true
		}
	}
	return false
}
