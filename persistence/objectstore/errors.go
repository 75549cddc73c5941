package objectstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/vigil-oss/vigil/persistence"
)

// ErrUnavailable means the storage server could not be reached, failed, or
// refused Vigil's own credentials: nothing the client did wrong, and
// nothing retrying with other input would fix.
var ErrUnavailable = errors.New("object storage unavailable")

// ErrInvalidKey means storage cannot hold or address the object key it was
// given: longer than S3's 1024 bytes, a segment longer than the server's
// file system allows, or refused with another 4xx that is about the
// request. It is the client's mistake when the client chose the key.
var ErrInvalidKey = errors.New("object key refused by storage")

// ErrBucketMissing means the bucket is gone while storage itself answers,
// and making it again did not help.
var ErrBucketMissing = errors.New("bucket missing")

// MaxKeyBytes is S3's limit on the length of an object key; minio-go
// refuses to sign or address longer keys.
const MaxKeyBytes = 1024

// wrap names the operation and the value it failed on, and sorts the error
// into persistence.ErrNotFound (no such object), ErrBucketMissing,
// ErrUnavailable, or neither.
func wrap(op, name string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchBucket":
		return fmt.Errorf("%s %q: %w: %w", op, name, ErrBucketMissing, err)
	case resp.Code == "NoSuchKey", resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s %q: %w", op, name, persistence.ErrNotFound)
	case unavailable(resp, err):
		return fmt.Errorf("%s %q: %w: %w", op, name, ErrUnavailable, err)
	}
	return fmt.Errorf("%s %q: %w", op, name, err)
}

// wrapKey is wrap for calls about one key or key prefix: another 4xx
// answer (400 Bad Request, KeyTooLongError, InvalidArgument) is about that
// key, since Vigil's own credentials and bucket are sorted out by wrap.
func wrapKey(op, key string, err error) error {
	wrapped := wrap(op, key, err)
	status := minio.ToErrorResponse(err).StatusCode
	if status < http.StatusBadRequest || status >= http.StatusInternalServerError ||
		status == http.StatusForbidden || errors.Is(wrapped, persistence.ErrNotFound) ||
		errors.Is(wrapped, ErrBucketMissing) || errors.Is(wrapped, ErrUnavailable) {
		return wrapped
	}
	return fmt.Errorf("%w: %w", ErrInvalidKey, wrapped)
}

// unavailable reports whether err means storage cannot serve Vigil at all:
// no S3 answer (network error, time-out), a server error, or Vigil's keys
// refused.
func unavailable(resp minio.ErrorResponse, err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	switch {
	case resp.StatusCode == 0, resp.StatusCode >= http.StatusInternalServerError:
		return true
	case resp.Code == "InvalidAccessKeyId", resp.Code == "SignatureDoesNotMatch",
		resp.Code == "AccessDenied":
		return true
	}
	return false
}
