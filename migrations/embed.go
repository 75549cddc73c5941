// Package migrations embeds Vigil's schema changes, applied in order by
// goose (see persistence.Migrator). Files are named NNNNN_what.sql and are
// never edited once released: a change to the schema is a new file.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
