package betterauth

import (
	"strings"
	"testing"
)

func TestOriginPatterns(t *testing.T) {
	cases := []struct {
		pattern string
		yes     []string
		no      []string
	}{
		{"https://app.example.com", []string{"https://app.example.com", "HTTPS://App.Example.com"},
			[]string{"http://app.example.com", "https://app.example.com:8443", "https://x.app.example.com"}},
		{"http://localhost:3000/", []string{"http://localhost:3000"}, []string{"http://localhost"}},
		{"https://*.example.com", []string{"https://a.example.com", "https://a.b.example.com"},
			[]string{"https://example.com", "http://a.example.com", "https://evilexample.com",
				"https://a.example.com.evil.io"}},
		{"*.example.com", []string{"https://a.example.com", "http://a.example.com"},
			[]string{"myapp://a.example.com", "https://example.com"}},
		{"myapp://", []string{"myapp://", "myapp://anything"}, []string{"https://myapp", "other://"}},
		{"capacitor://localhost", []string{"capacitor://localhost"}, []string{"capacitor://evil"}},
	}
	for _, tc := range cases {
		p, err := ParseOriginPattern(tc.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tc.pattern, err)
		}
		for _, o := range tc.yes {
			if !p.Matches(o) {
				t.Errorf("%q does not match %q", tc.pattern, o)
			}
		}
		for _, o := range tc.no {
			if p.Matches(o) {
				t.Errorf("%q matches %q", tc.pattern, o)
			}
		}
	}
}

func TestOriginPatternsRefused(t *testing.T) {
	for _, raw := range []string{"", "localhost:3000", "https://", "https://a.*.com", "https://x.com/path",
		"1app://x", "https://u:p@x.com", "ht tp://x"} {
		if _, err := ParseOriginPattern(raw); err == nil {
			t.Errorf("%q accepted", raw)
		}
	}
}

func FuzzOriginPattern(f *testing.F) {
	f.Add("https://*.example.com", "https://a.example.com")
	f.Add("myapp://", "myapp://x")
	f.Fuzz(func(t *testing.T, pattern, origin string) {
		p, err := ParseOriginPattern(pattern)
		if err != nil {
			return
		}
		if p.Matches(origin) && p.host != "" && !p.suffix {
			_, host, _ := strings.Cut(strings.ToLower(origin), "://")
			if host != p.host {
				t.Fatalf("%q matched %q with another host", pattern, origin)
			}
		}
	})
}
