package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// Presigned URL lifetimes. 7 days is the longest SigV4 allows for a
// presigned URL; 15 minutes gives a phone time to upload a long clip on a
// slow link without leaving a usable URL around for long.
const (
	minURLExpiry     = time.Second
	maxURLExpiry     = 7 * 24 * time.Hour
	defaultURLExpiry = 15 * time.Minute
)

// storageBodyLimit bounds the JSON bodies of the storage routes, a few
// short strings each; DefaultBodyLimit is sized for SDP offers.
const storageBodyLimit = 16 << 10

// listLimit is the most objects one listing answers; the answer says when
// more were left off. Missing: a cursor to page past it, which matters
// once a user keeps more than this many recordings.
const listLimit = 1000

// ObjectStore is what the video and admin routes need from object storage.
type ObjectStore interface {
	Bucket() string
	// EnsureBucket creates the bucket when missing; it fails with
	// objectstore.ErrUnavailable when storage cannot be reached.
	EnsureBucket(ctx context.Context) error
	PresignPut(ctx context.Context, key, contentType string,
		expiry time.Duration) (*url.URL, http.Header, error)
	PresignGet(ctx context.Context, key string, expiry time.Duration) (*url.URL, error)
	// Stat fails with persistence.ErrNotFound for a missing object.
	Stat(ctx context.Context, key string) (objectstore.Object, error)
	List(ctx context.Context, prefix string, limit int) ([]objectstore.Object, bool, error)
	Remove(ctx context.Context, key string) error
}

// VideoStore is what the video routes need from persistence.
type VideoStore interface {
	CheckDeviceOwner(ctx context.Context, user persistence.UserID, device uuid.UUID) error
	CreateVideo(ctx context.Context, n persistence.NewVideo) (persistence.Video, error)
	MarkUploaded(ctx context.Context, bucket string, seen []persistence.SeenObject) error
	UserVideosByKey(ctx context.Context, user persistence.UserID, bucket string,
		keys []string) (map[string]persistence.Video, error)
	// UserVideo is persistence.ErrNotFound for another user's video.
	UserVideo(ctx context.Context, user persistence.UserID, bucket string,
		id uuid.UUID) (persistence.Video, error)
	// MarkDeleted reports whether a video not yet deleted was there.
	MarkDeleted(ctx context.Context, bucket, key string) (bool, error)
	EventClips(ctx context.Context, events []persistence.EventID, limit int) (
		map[persistence.EventID][]persistence.Clip, error)
}

// requireStorage answers 503 when Vigil runs without object storage.
func requireStorage(store ObjectStore) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if store == nil {
			return newError(fiber.StatusServiceUnavailable, "STORAGE_NOT_CONFIGURED",
				"object storage is not configured on this server (MINIO_ENDPOINT)")
		}
		return c.Next()
	}
}

// limitBody refuses bodies over n bytes with 413. Fiber has read the body
// already (within Options.BodyLimit); this keeps small routes small.
func limitBody(n int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > n {
			return newError(fiber.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE",
				"request body is larger than "+strconv.Itoa(n)+" bytes")
		}
		return c.Next()
	}
}

// expirySeconds is the expiresIn field of a JSON body: a whole number of
// seconds. Its own decoding gives a message that says so, where
// encoding/json would say "must be a JSON number" of 1.5 or 1e2.
type expirySeconds int64

// UnmarshalJSON accepts an integer literal (or null, meaning unset).
func (s *expirySeconds) UnmarshalJSON(raw []byte) error {
	if string(raw) == "null" {
		return nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return badRequest("INVALID_EXPIRES_IN", "expiresIn must be a whole number of seconds")
	}
	*s = expirySeconds(n)
	return nil
}

// urlExpiry turns an optional expiresIn (seconds) into a lifetime within
// the bounds.
func urlExpiry(seconds *expirySeconds) (time.Duration, error) {
	if seconds == nil {
		return defaultURLExpiry, nil
	}
	d := time.Duration(*seconds) * time.Second
	if *seconds < expirySeconds(minURLExpiry/time.Second) ||
		*seconds > expirySeconds(maxURLExpiry/time.Second) {
		return 0, badRequest("INVALID_EXPIRES_IN", "expiresIn must be 1..604800 seconds")
	}
	return d, nil
}

// queryExpiry reads expiresIn from the query string.
func queryExpiry(c *fiber.Ctx) (time.Duration, error) {
	raw := c.Query("expiresIn")
	if raw == "" {
		return urlExpiry(nil)
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, badRequest("INVALID_EXPIRES_IN", "expiresIn must be a whole number of seconds")
	}
	seconds := expirySeconds(n)
	return urlExpiry(&seconds)
}

// expiresAt is when a URL signed now for expiry stops working. It uses the
// real clock, as the signature does, and rounds down to the second the
// signature carries, so the answer never promises more than the URL gives.
func expiresAt(expiry time.Duration) time.Time {
	return time.Now().UTC().Truncate(time.Second).Add(expiry)
}

// flatHeaders turns the headers an upload must send into a JSON object.
func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name := range h {
		out[name] = h.Get(name)
	}
	return out
}
