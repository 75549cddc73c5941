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

// wrap names the operation and the value it failed on, and sorts the error
// into persistence.ErrNotFound (no such object), ErrUnavailable, or neither.
func wrap(op, name string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey",
		resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket":
		return fmt.Errorf("%s %q: %w", op, name, persistence.ErrNotFound)
	case unavailable(resp, err):
		return fmt.Errorf("%s %q: %w: %w", op, name, ErrUnavailable, err)
	}
	return fmt.Errorf("%s %q: %w", op, name, err)
}

// unavailable reports whether err means storage cannot serve Vigil at all:
// no S3 answer (network error, time-out), a server error, Vigil's keys
// refused, or the bucket missing because it could not be made at start-up.
func unavailable(resp minio.ErrorResponse, err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	switch {
	case resp.StatusCode == 0, resp.StatusCode >= http.StatusInternalServerError:
		return true
	case resp.Code == "NoSuchBucket", resp.Code == "InvalidAccessKeyId",
		resp.Code == "SignatureDoesNotMatch", resp.Code == "AccessDenied":
		return true
	}
	return false
}
