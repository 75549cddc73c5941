package persistence

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrGone means a write named a user or device that no longer exists:
// delete-user or a device's deletion committed between the request's
// checks and its insert, and a foreign key refused the row. It is the
// client's race, not a server fault. Errors matching it are *GoneError.
var ErrGone = errors.New("a row the write names was deleted")

// GoneError says which column of the refused row named the deleted parent,
// so that a route can tell its caller's own row (its credentials no longer
// work) from another it named.
type GoneError struct {
	// Column is the referencing column, e.g. user_id, camera_device_id.
	Column string
	Err    error
}

func (e *GoneError) Error() string { return fmt.Sprintf("%s: %v", e.Column, ErrGone) }

// Is makes a *GoneError match ErrGone.
func (e *GoneError) Is(target error) bool { return target == ErrGone }

// Unwrap gives the Postgres error for the log.
func (e *GoneError) Unwrap() error { return e.Err }

// pgForeignKeyViolation is Postgres's SQLSTATE for a foreign key that
// names no row.
const pgForeignKeyViolation = "23503"

// goneOf turns a foreign-key violation into a *GoneError naming the column,
// read from the constraint name (every foreign key in migrations/ is
// declared inline, so Postgres names it <table>_<column>_fkey). Any other
// error, nil included, is returned as it is.
func goneOf(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != pgForeignKeyViolation {
		return err
	}
	column := strings.TrimSuffix(strings.TrimPrefix(pgErr.ConstraintName, pgErr.TableName+"_"), "_fkey")
	return &GoneError{Column: column, Err: err}
}
