// Package console holds the operator console's templates and static assets,
// embedded in the binary so the console needs no build step. Rendering lives
// in package http (console.go there).
//
// Each page is templates/<name>.html and defines "title" and "content"; the
// layout (templates/layout.html) wraps it with the navigation.
package console

import "embed"

// FS holds templates/*.html and static/*.
//
//go:embed templates/*.html static/*
var FS embed.FS
