// Package web holds the console's templates, style sheet and message
// catalogs, embedded in the binary: no front-end build is needed.
package web

import "embed"

// Files are the templates (templates/), static assets (static/) and
// message catalogs (i18n/).
//
//go:embed templates/*.html static/* i18n/*.json
var Files embed.FS
