// Package public embeds Vigil's static pages (the admin dashboard and the
// browser mobile simulator) into the binary.
package public

import "embed"

// FS holds the static files, served as they are.
//
//go:embed *.html
var FS embed.FS
