package web

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestOnDisk(t *testing.T) {
	dir := t.TempDir()
	if OnDisk(dir) != nil {
		t.Fatal("an empty folder has no build")
	}
	app := filepath.Join(dir, "dist", "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	if OnDisk(dir) != nil {
		t.Fatal("dist/app without index.html is no build")
	}
	if err := os.WriteFile(filepath.Join(app, "index.html"), []byte("<app-root></app-root>"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := OnDisk(dir)
	if files == nil {
		t.Fatal("the build was not found")
	}
	if _, err := files.Open("index.html"); err != nil {
		t.Fatal(err)
	}
}

// Without sources or without npm there is nothing to build with: up must go
// on serving the API and say how to build by hand. With a build embedded in
// the binary nothing is built and nothing is said, whatever is on disk.
func TestBuildIfMissingWithoutTools(t *testing.T) {
	withSources := t.TempDir()
	if err := os.WriteFile(filepath.Join(withSources, "package.json"), []byte(`{"name":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	embedded := fstest.MapFS{"index.html": {Data: []byte("<app-root></app-root>")}}
	tests := []struct {
		name, dir, path string
		embedded        fs.FS
		want            string // "" means nothing is logged
	}{
		{name: "no sources", dir: t.TempDir(), path: os.Getenv("PATH"), want: "sources are not here"},
		{name: "no npm", dir: withSources, path: t.TempDir(), want: "npm is not installed"},
		{name: "embedded build", dir: withSources, path: t.TempDir(), embedded: embedded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			var logs bytes.Buffer
			if err := buildIfMissing(context.Background(), tc.dir, tc.embedded, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
				t.Fatal(err)
			}
			if tc.want == "" && logs.Len() > 0 {
				t.Fatalf("log %q, want nothing", logs.String())
			}
			if !strings.Contains(logs.String(), tc.want) {
				t.Fatalf("log %q does not say %q", logs.String(), tc.want)
			}
			if OnDisk(tc.dir) != nil {
				t.Fatal("something was built")
			}
		})
	}
}
