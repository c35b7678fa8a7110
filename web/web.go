// Package web is the browser app: its Angular sources live here, and the
// built bundle under dist/app is embedded into the binary for the api role.
package web

import (
	"embed"
	"io/fs"
)

// dist holds whatever `npm run build` left in dist/ when the binary was
// built; a fresh clone has only dist/.gitkeep, so Go builds without Node.
//
//go:embed all:dist
var dist embed.FS

// Embedded returns the app built into the binary, rooted at its index.html,
// or nil when the binary was built before the app was.
func Embedded() fs.FS {
	app, err := fs.Sub(dist, "dist/app")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(app, "index.html"); err != nil {
		return nil
	}
	return app
}
