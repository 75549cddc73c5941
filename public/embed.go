// Package public embeds Vigil's static pages (the admin dashboard and the
// browser mobile simulator) into the binary.
package public

import "embed"

// FS holds the static files, served as they are: the pages at the top,
// the mobile simulator's page, styles and modules under sim/.
//
//go:embed *.html sim
var FS embed.FS
