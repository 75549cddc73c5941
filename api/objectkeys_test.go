package api

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/persistence"
)

func TestCleanFileName(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"clip.mp4", "clip.mp4"},
		{"my clip=1+2 über.mp4", "my clip=1+2 über.mp4"},
		{"u\u0308ber.mp4", "über.mp4"}, // decomposed ü is stored composed
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\Videos\a b.mov`, "a b.mov"},
		{"tab\there\x00.mp4", "tabhere.mp4"},
		{"\u202eevil\u200b.mp4", "evil.mp4"},
		{"line\u2028para\u2029.mp4", "linepara.mp4"},
		{"  padded  ", "padded"},
	}
	for _, tc := range cases {
		got, err := cleanFileName(tc.raw)
		if err != nil || got != tc.want {
			t.Errorf("cleanFileName(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
	for _, raw := range []string{"", " ", "a/", "..", "x/.", "\u200b", strings.Repeat("a", 256)} {
		if got, err := cleanFileName(raw); err == nil {
			t.Errorf("cleanFileName(%q) = %q, want an error", raw, got)
		}
	}
}

func TestCheckOwnedKey(t *testing.T) {
	const me = persistence.UserID("u1")
	cases := []struct {
		key  string
		code string // "" means allowed
	}{
		{"users/u1/devices/d/x/a.mp4", ""},
		{"users/u1/devices/d/x/my clip=1+2 über.mp4", ""},
		{"users/u2/devices/d/x/a.mp4", "OBJECT_KEY_FORBIDDEN"},
		{"users/u10/devices/d/x/a.mp4", "OBJECT_KEY_FORBIDDEN"},
		{"admin/x/a.mp4", "OBJECT_KEY_FORBIDDEN"},
		{"users/u1/../u2/a.mp4", "INVALID_OBJECT_KEY"},
		{"users/u1/./a.mp4", "INVALID_OBJECT_KEY"},
		{"users/u1//a.mp4", "INVALID_OBJECT_KEY"},
		{"/users/u1/a.mp4", "INVALID_OBJECT_KEY"},
		{"users/u1/a\xff.mp4", "INVALID_OBJECT_KEY"},
		{"", "INVALID_OBJECT_KEY"},
		// Keys Vigil would not make but storage may list (made by an older
		// Vigil or by hand) pass, so they can be deleted; storage decides
		// whether it can address them.
		{"users/u1/a\n.mp4", ""},
		{"users/u1/" + strings.Repeat("a", 1020), ""},
	}
	for _, tc := range cases {
		err := checkOwnedKey(me, tc.key)
		var apiErr *Error
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("checkOwnedKey(%q) = %v, want allowed", tc.key, err)
		case tc.code != "" && (!errors.As(err, &apiErr) || apiErr.Code != tc.code):
			t.Errorf("checkOwnedKey(%q) = %v, want %s", tc.key, err, tc.code)
		}
	}
}

func TestUserPrefixCannotHoldAnother(t *testing.T) {
	if p := userPrefix("a/b"); p != "users/a%2Fb/" {
		t.Fatalf("userPrefix(a/b) = %q, want the slash escaped", p)
	}
}

func TestCleanContentType(t *testing.T) {
	cases := []struct{ raw, name, want string }{
		{"", "a.mp4", "video/mp4"},
		{"", "a.WEBM", "video/webm"},
		{"", "a.unknownext", "application/octet-stream"},
		{"", "noext", "application/octet-stream"},
		{"Video/MP4", "a.bin", "video/mp4"},
		{"", "a.html", "application/octet-stream"},
		{"", "a.svg", "application/octet-stream"},
		{"Image/PNG", "a", "image/png"},
		{"audio/ogg", "a", "audio/ogg"},
		{"application/octet-stream", "a.html", "application/octet-stream"},
	}
	for _, tc := range cases {
		got, err := cleanContentType(tc.raw, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("cleanContentType(%q, %q) = %q, %v; want %q", tc.raw, tc.name, got, err, tc.want)
		}
	}
	for _, raw := range []string{"video", "video/", "/mp4", "video/mp4; x=y", "a/b/c", "vid eo/mp4",
		"text/plain\r\nX-Evil: 1", "video/" + strings.Repeat("a", 300), "text/html", "image/svg+xml",
		"*/*", "video/*", "application/vnd.apple.mpegurl", "text/plain", "application/json"} {
		if got, err := cleanContentType(raw, "a.mp4"); err == nil {
			t.Errorf("cleanContentType(%q) = %q, want an error", raw, got)
		}
	}
}

// FuzzObjectKeyStaysInsidePrefix checks that whatever a client sends as
// file name and prefix, the key the server builds passes its own checks,
// lies under the user's prefix, and has no segment that climbs.
func FuzzObjectKeyStaysInsidePrefix(f *testing.F) {
	for _, seed := range [][2]string{{"a.mp4", ""}, {"../../x", "a/../b"}, {"ü x=+.mp4", " //t "},
		{`..\..\x`, `\..\`}, {"\u202e.mp4", "\x00"}} {
		f.Add(seed[0], seed[1])
	}
	const user = persistence.UserID("0190a2b4-0000-7000-8000-000000000001")
	f.Fuzz(func(t *testing.T, fileName, prefix string) {
		name, err := cleanFileName(fileName)
		if err != nil {
			return
		}
		sub, err := cleanPrefix(prefix)
		if err != nil {
			return
		}
		key := userPrefix(user) + "devices/d/" + sub + "id/" + name
		if err := checkOwnedKey(user, key); err != nil {
			t.Fatalf("file %q, prefix %q: built key %q refused: %v", fileName, prefix, key, err)
		}
		if !utf8.ValidString(key) || strings.Count(name, "/") != 0 {
			t.Fatalf("file %q: key %q", fileName, key)
		}
	})
}

func TestCleanPrefixChecksLengthsAfterNFC(t *testing.T) {
	note := "\U0001D160" // 4 bytes, 12 after NFC
	cases := []struct {
		raw string
		ok  bool
	}{
		{strings.Repeat("a", 255), true},
		{strings.Repeat("a", 256), false},
		{strings.Repeat(note, 21), true},                 // 252 bytes after NFC
		{"abcd" + strings.Repeat(note, 21), false},       // 256 bytes after NFC
		{strings.Repeat(note, 21) + "/" + "abc", true},   // 256 bytes in all
		{strings.Repeat(note, 21) + "/" + "abcd", false}, // 257
		{"a\u2028b", true},
	}
	for _, tc := range cases {
		got, err := cleanPrefix(tc.raw)
		if (err == nil) != tc.ok {
			t.Errorf("cleanPrefix(%d bytes) = %d bytes, %v; want ok %v", len(tc.raw), len(got), err, tc.ok)
		}
	}
	if got, _ := cleanPrefix("a\u2028b\u2029"); got != "ab/" {
		t.Errorf("cleanPrefix kept a line or paragraph separator: %q", got)
	}
}

func TestCheckNewKeyGuardsS3Limit(t *testing.T) {
	if err := checkNewKey(strings.Repeat("k", 1024)); err != nil {
		t.Fatalf("1024 byte key: %v", err)
	}
	if err := checkNewKey(strings.Repeat("k", 1025)); err == nil {
		t.Fatal("1025 byte key passed")
	}
}
