package api

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
)

// Page sizes of the paginated lists.
const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// encodeCursor makes the opaque cursor of a keyset position: the row's
// time to the microsecond Postgres keeps, and its id.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString(
		[]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

var errBadCursor = badRequest("INVALID_CURSOR", "cursor is not one this server handed out")

func decodeCursor(raw string) (*persistence.Keyset, error) {
	if raw == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, errBadCursor
	}
	at, id, ok := strings.Cut(string(b), "|")
	t, terr := time.Parse(time.RFC3339Nano, at)
	if !ok || terr != nil || uuid.Validate(id) != nil || len(id) != 36 {
		return nil, errBadCursor
	}
	return &persistence.Keyset{At: t, ID: id}, nil
}

// pageOf reads limit and cursor from the query string.
func pageOf(c *fiber.Ctx) (int, *persistence.Keyset, error) {
	limit := defaultPageSize
	if raw := c.Query("limit"); raw != "" {
		n := c.QueryInt("limit", -1)
		if n < 1 || n > maxPageSize {
			return 0, nil, badRequest("INVALID_LIMIT", "limit must be a whole number 1..200")
		}
		limit = n
	}
	after, err := decodeCursor(c.Query("cursor"))
	return limit, after, err
}

// nextCursor is the cursor after the last of rows when a page more was
// asked for than is answered, nil at the end.
func nextCursor[T any](rows []T, limit int, key func(T) (time.Time, string)) ([]T, *string) {
	if len(rows) <= limit {
		return rows, nil
	}
	rows = rows[:limit]
	at, id := key(rows[limit-1])
	cur := encodeCursor(at, id)
	return rows, &cur
}

// queryUUID reads an optional UUID from the query string, naming it.
func queryUUID(c *fiber.Ctx, name string) (string, error) {
	raw := c.Query(name)
	if raw == "" {
		return "", nil
	}
	return parseUUID(name, raw)
}

// queryTime reads an optional RFC 3339 time from the query string.
func queryTime(c *fiber.Ctx, name string) (time.Time, error) {
	raw := c.Query(name)
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, badRequest("INVALID_TIME", name+" must be an RFC 3339 time")
	}
	return t, nil
}
