package persistence

import (
	"unicode"
	"unicode/utf8"
)

// CleanText reports whether s may be stored as a text value a client
// chose: valid UTF-8 without control characters. Postgres refuses NUL in
// text, and nothing else of that kind belongs in a name, a reason or a key.
func CleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
