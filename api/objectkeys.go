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
)

// Limits on the client-controlled parts of an object key. 1024 bytes is
// S3's limit on a whole key; 255 bytes is the name limit of common file
// systems, where recordings are saved again after download. RFC 6838 4.2
// allows 127 characters each for a media type's type and subtype.
const (
	maxObjectKeyBytes   = 1024
	maxFileNameBytes    = 255
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
// formatting characters (which can disguise a name) dropped.
func cleanSegment(raw string) string {
	raw = norm.NFC.String(raw)
	var b strings.Builder
	for _, r := range raw {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// cleanFileName reduces a client's file name to its last path element,
// so "../../x" becomes "x" and cannot climb out of the prefix.
func cleanFileName(raw string) (string, error) {
	if len(raw) > maxObjectKeyBytes {
		return "", badRequest("INVALID_FILE_NAME", "fileName is too long")
	}
	raw = strings.ReplaceAll(raw, `\`, "/")
	name := cleanSegment(raw[strings.LastIndex(raw, "/")+1:])
	switch {
	case name == "" || name == "." || name == "..":
		return "", badRequest("INVALID_FILE_NAME", "fileName must name a file")
	case len(name) > maxFileNameBytes:
		return "", badRequest("INVALID_FILE_NAME", "fileName is longer than 255 bytes")
	}
	return name, nil
}

// cleanPrefix turns an optional sub-folder ("trips/2026") into key segments
// ending in "/", or "". Empty segments are dropped; "." and ".." are
// refused rather than resolved, since the client meant something we would
// have to guess.
func cleanPrefix(raw string) (string, error) {
	if len(raw) > maxPrefixBytes {
		return "", badRequest("INVALID_PREFIX", "prefix is longer than 256 bytes")
	}
	var out strings.Builder
	for _, seg := range strings.Split(strings.ReplaceAll(raw, `\`, "/"), "/") {
		seg = cleanSegment(seg)
		switch seg {
		case "":
			continue
		case ".", "..":
			return "", badRequest("INVALID_PREFIX", "prefix may not contain . or .. segments")
		}
		out.WriteString(seg + "/")
	}
	return out.String(), nil
}

// checkKeyShape refuses keys Vigil would never have made: empty, too long,
// with control characters, empty segments, or "." and ".." segments, which
// a file-system backed server might resolve.
func checkKeyShape(key string) error {
	if key == "" {
		return badRequest("INVALID_OBJECT_KEY", "objectKey is required")
	}
	if len(key) > maxObjectKeyBytes || !utf8.ValidString(key) ||
		strings.IndexFunc(key, unicode.IsControl) >= 0 {
		return badRequest("INVALID_OBJECT_KEY", "objectKey is not a valid object key")
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
// URL, and the client must send back exactly what the answer says.
func cleanContentType(raw, fileName string) (string, error) {
	if raw == "" {
		ext := strings.ToLower(path.Ext(fileName))
		if t, ok := recordingTypes[ext]; ok {
			return t, nil
		}
		raw = mime.TypeByExtension(ext)
		if raw == "" {
			return defaultContentType, nil
		}
		media, _, err := mime.ParseMediaType(raw)
		if err != nil {
			return defaultContentType, nil
		}
		return media, nil
	}
	media, params, err := mime.ParseMediaType(raw)
	typ, sub, ok := strings.Cut(media, "/")
	if len(raw) > maxContentTypeBytes || err != nil || len(params) > 0 || !ok ||
		typ == "" || sub == "" || strings.Contains(sub, "/") {
		return "", badRequest("INVALID_CONTENT_TYPE",
			"contentType must be a media type such as video/mp4, without parameters")
	}
	return media, nil
}
