package api

import (
	"mime"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// Limits on the client-controlled parts of an object key, in bytes after
// NFC normalisation (which can triple a string's length). 1024 bytes is
// S3's limit on a whole key; 255 bytes is the name limit of common file
// systems, where storage servers like versitygw keep each segment and
// where recordings are saved again after download. RFC 6838 4.2 allows
// 127 characters each for a media type's type and subtype.
const (
	maxObjectKeyBytes   = objectstore.MaxKeyBytes
	maxSegmentBytes     = 255
	maxPrefixBytes      = 256
	maxContentTypeBytes = 255
)

// defaultContentType is what an upload is signed for when neither the
// client nor the file name says more.
const defaultContentType = "application/octet-stream"

// recordingTypes are the media types of the file kinds phones record,
// from the IANA registry where listed (Matroska keeps its common x- name).
// They come first because the system's own table, which
// mime.TypeByExtension reads, differs between machines: Debian's calls
// .webm audio.
var recordingTypes = map[string]string{
	".mp4":  "video/mp4",
	".m4v":  "video/mp4",
	".mov":  "video/quicktime",
	".webm": "video/webm",
	".mkv":  "video/x-matroska",
	".3gp":  "video/3gpp",
	".ts":   "video/mp2t",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
}

// userPrefix is the part of the bucket that belongs to one user. The id is
// escaped so that no id can contain another's prefix.
func userPrefix(id persistence.UserID) string {
	return "users/" + url.PathEscape(string(id)) + "/"
}

// cleanSegment keeps one path segment readable and harmless: Unicode in its
// composed form, spaces and punctuation kept, control and invisible
// formatting characters (which can disguise a name) and line and
// paragraph separators (U+2028, U+2029, which break a name across lines)
// dropped.
func cleanSegment(raw string) string {
	raw = norm.NFC.String(raw)
	var b strings.Builder
	for _, r := range raw {
		if r == utf8.RuneError || unicode.IsControl(r) ||
			unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			continue
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// cleanFileName reduces a client's file name to its last path element,
// so "../../x" becomes "x" and cannot climb out of the prefix. The length
// is checked on the cleaned name, which is what the key holds.
func cleanFileName(raw string) (string, error) {
	raw = strings.ReplaceAll(raw, `\`, "/")
	name := cleanSegment(raw[strings.LastIndex(raw, "/")+1:])
	switch {
	case name == "" || name == "." || name == "..":
		return "", badRequest("INVALID_FILE_NAME", "fileName must name a file")
	case len(name) > maxSegmentBytes:
		return "", badRequest("INVALID_FILE_NAME",
			"fileName is longer than 255 bytes (in UTF-8, after NFC normalisation)")
	}
	return name, nil
}

// cleanPrefix turns an optional sub-folder ("trips/2026") into key segments
// ending in "/", or "". Empty segments are dropped; "." and ".." are
// refused rather than resolved, since the client meant something we would
// have to guess. Lengths are checked on the cleaned segments.
func cleanPrefix(raw string) (string, error) {
	var out strings.Builder
	for _, seg := range strings.Split(strings.ReplaceAll(raw, `\`, "/"), "/") {
		seg = cleanSegment(seg)
		switch {
		case seg == "":
			continue
		case seg == "." || seg == "..":
			return "", badRequest("INVALID_PREFIX", "prefix may not contain . or .. segments")
		case len(seg) > maxSegmentBytes:
			return "", badRequest("INVALID_PREFIX", "a segment of prefix is longer than "+
				"255 bytes (in UTF-8, after NFC normalisation)")
		}
		out.WriteString(seg + "/")
	}
	if out.Len() > maxPrefixBytes+1 {
		return "", badRequest("INVALID_PREFIX",
			"prefix is longer than 256 bytes (in UTF-8, after NFC normalisation)")
	}
	return out.String(), nil
}

// checkNewKey refuses a key the server built when it is too long for S3.
// The limits on prefix and file name keep Vigil's keys well under it; this
// guards against a user id or prefix layout that would change that.
func checkNewKey(key string) error {
	if len(key) > maxObjectKeyBytes {
		return badRequest("INVALID_PREFIX",
			"prefix and fileName together make an object key longer than 1024 bytes")
	}
	return nil
}

// checkKeyShape refuses keys no storage listing can hold: empty, not
// UTF-8, with empty segments, or with "." and ".." segments, which a
// file-system backed server might resolve into another user's prefix.
// It accepts every other key, long or odd, so that whatever storage lists
// (including keys older versions let in) can be deleted; whether storage
// can address a key is storage's answer (objectstore.ErrInvalidKey).
func checkKeyShape(key string) error {
	if key == "" {
		return badRequest("INVALID_OBJECT_KEY", "objectKey is required")
	}
	if !utf8.ValidString(key) {
		return badRequest("INVALID_OBJECT_KEY", "objectKey is not UTF-8")
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return badRequest("INVALID_OBJECT_KEY",
				"objectKey may not have empty, . or .. segments")
		}
	}
	return nil
}

// checkOwnedKey refuses a key outside the user's own prefix. Whether such
// an object exists is never looked at, so nothing about it shows.
func checkOwnedKey(user persistence.UserID, key string) error {
	if err := checkKeyShape(key); err != nil {
		return err
	}
	if !strings.HasPrefix(key, userPrefix(user)) {
		return newError(fiber.StatusForbidden, "OBJECT_KEY_FORBIDDEN",
			"objectKey is outside your own storage")
	}
	return nil
}

// cleanContentType checks a client's content type, or guesses one from the
// file name. Parameters are refused: the type is signed into the upload
// URL, and the client must send back exactly what the answer says. Only
// media types a browser will not run are allowed (see storableType); a
// name whose extension maps to another type is stored as
// application/octet-stream.
func cleanContentType(raw, fileName string) (string, error) {
	if raw == "" {
		return guessContentType(fileName), nil
	}
	media, params, err := mime.ParseMediaType(raw)
	typ, sub, ok := strings.Cut(media, "/")
	if len(raw) > maxContentTypeBytes || err != nil || len(params) > 0 || !ok ||
		!restrictedName(typ) || !restrictedName(sub) {
		return "", badRequest("INVALID_CONTENT_TYPE",
			"contentType must be a media type such as video/mp4, without parameters")
	}
	if !storableType(media) {
		return "", badRequest("INVALID_CONTENT_TYPE", "contentType must be video/*, audio/*, "+
			"image/* other than image/svg+xml, or application/octet-stream")
	}
	return media, nil
}

func guessContentType(fileName string) string {
	ext := strings.ToLower(path.Ext(fileName))
	if t, ok := recordingTypes[ext]; ok {
		return t
	}
	media, _, err := mime.ParseMediaType(mime.TypeByExtension(ext))
	if err != nil || !storableType(media) {
		return defaultContentType
	}
	return media
}

// storableType reports whether objects of the media type may be stored.
// Storage serves an object with the type it was uploaded with, from its
// own origin; HTML, SVG, scripts and the like could run there, so only
// recordings, pictures, sound and opaque bytes are allowed. SVG is an
// image type that holds scripts.
func storableType(media string) bool {
	typ, sub, _ := strings.Cut(media, "/")
	switch typ {
	case "video", "audio":
		return true
	case "image":
		return !strings.HasPrefix(sub, "svg")
	}
	return media == defaultContentType
}

// restrictedName reports whether s is an RFC 6838 4.2 restricted-name: a
// letter or digit, then up to 126 of letters, digits and !#$&-^_.+ (so no
// wildcard "*").
func restrictedName(s string) bool {
	if s == "" || len(s) > 127 {
		return false
	}
	for i, r := range s {
		alnum := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if !alnum && (i == 0 || !strings.ContainsRune("!#$&-^_.+", r)) {
			return false
		}
	}
	return true
}
