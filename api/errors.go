package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
)

// Error is an answer for the client: a status, a SNAKE_CASE code and a
// message safe to show. Err, when set, is the detail for the log only.
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func newError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

func badRequest(code, message string) *Error {
	return newError(fiber.StatusBadRequest, code, message)
}

// errorBody is the contract's error shape.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fiberCodes names the statuses Fiber itself produces (unknown route, body
// too large, wrong method) so they answer in the contract's shape too.
var fiberCodes = map[int]string{
	fiber.StatusBadRequest:                  "BAD_REQUEST",
	fiber.StatusNotFound:                    "NOT_FOUND",
	fiber.StatusMethodNotAllowed:            "METHOD_NOT_ALLOWED",
	fiber.StatusRequestEntityTooLarge:       "PAYLOAD_TOO_LARGE",
	fiber.StatusRequestHeaderFieldsTooLarge: "HEADERS_TOO_LARGE",
	fiber.StatusRequestTimeout:              "REQUEST_TIMEOUT",
	fiber.StatusTooManyRequests:             "RATE_LIMITED",
	fiber.StatusUnsupportedMediaType:        "UNSUPPORTED_MEDIA_TYPE",
}

// classify turns any error a handler returns into the answer for the client.
func classify(err error) *Error {
	var apiErr *Error
	var fiberErr *fiber.Error
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &fiberErr):
		code, ok := fiberCodes[fiberErr.Code]
		if !ok {
			code = strings.ToUpper(strings.ReplaceAll(http.StatusText(fiberErr.Code), " ", "_"))
		}
		msg := fiberErr.Message
		if fiberErr.Code == fiber.StatusRequestEntityTooLarge {
			msg = "request body is too large"
		}
		return &Error{Status: fiberErr.Code, Code: code, Message: msg}
	case errors.Is(err, persistence.ErrNotFound):
		return &Error{Status: fiber.StatusNotFound, Code: "NOT_FOUND", Message: "not found", Err: err}
	case errors.Is(err, persistence.ErrGone):
		// A route that knows who is gone answers with goneError; this is the
		// net for one that does not, so a race with a deletion is never a 500.
		return &Error{Status: fiber.StatusNotFound, Code: "NOT_FOUND",
			Message: "something this request names was deleted meanwhile", Err: err}
	case errors.Is(err, objectstore.ErrInvalidKey):
		return &Error{Status: fiber.StatusBadRequest, Code: "INVALID_OBJECT_KEY",
			Message: "storage cannot address objectKey: it is longer than 1024 bytes " +
				"or has a segment longer than 255 bytes", Err: err}
	case errors.Is(err, objectstore.ErrBucketMissing):
		return &Error{Status: fiber.StatusServiceUnavailable, Code: "STORAGE_BUCKET_MISSING",
			Message: "the storage bucket is missing and could not be made again; try again shortly",
			Err:     err}
	case errors.Is(err, objectstore.ErrUnavailable):
		return &Error{Status: fiber.StatusServiceUnavailable, Code: "STORAGE_UNAVAILABLE",
			Message: "object storage is not reachable; try again shortly", Err: err}
	case persistence.IsInvalidValue(err):
		return &Error{Status: fiber.StatusBadRequest, Code: "INVALID_VALUE",
			Message: "a field holds a NUL byte, bytes that are not UTF-8, or a number out of range",
			Err:     err}
	case persistence.IsUnavailable(err):
		return &Error{Status: fiber.StatusServiceUnavailable, Code: "DATABASE_UNAVAILABLE",
			Message: "the database is not reachable; try again shortly", Err: err}
	}
	return &Error{Status: fiber.StatusInternalServerError, Code: "INTERNAL_ERROR",
		Message: "internal error", Err: err}
}

// errorHandler answers every error in the contract's shape. Only server-side
// failures are logged above debug: a client's mistake is not the server's.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		e := classify(err)
		level := slog.LevelDebug
		if e.Status >= fiber.StatusInternalServerError {
			level = slog.LevelError
			if e.Status == fiber.StatusServiceUnavailable {
				level = slog.LevelWarn
			}
		}
		log.Log(c.UserContext(), level, "request failed", "method", c.Method(),
			"path", c.Path(), "status", e.Status, "code", e.Code, "requestID", requestID(c),
			"err", err)
		return c.Status(e.Status).JSON(errorBody{Code: e.Code, Message: e.Message})
	}
}
