package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// OnDisk returns the app built under dir/dist/app (dir is the web source
// folder), or nil when there is no build there.
func OnDisk(dir string) fs.FS {
	app := filepath.Join(dir, "dist", "app")
	if _, err := os.Stat(filepath.Join(app, "index.html")); err != nil {
		return nil
	}
	return os.DirFS(app)
}

// BuildIfMissing builds the app from its sources in dir (npm ci, then npm
// run build) when neither the binary nor dir/dist/app holds a build, so a
// fresh clone serves the app from `tickerlake up` alone. Without sources or
// npm it logs how to build by hand and returns nil: the API works without
// the app.
func BuildIfMissing(ctx context.Context, dir string, log *slog.Logger) error {
	return buildIfMissing(ctx, dir, Embedded(), log)
}

// buildIfMissing is BuildIfMissing with the binary's embedded build given,
// so tests run the same whether or not their binary embeds one.
func buildIfMissing(ctx context.Context, dir string, embedded fs.FS, log *slog.Logger) error {
	if embedded != nil || OnDisk(dir) != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		log.Warn("web app not built and its sources are not here: the API runs without it", "sources", dir)
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		log.Warn("web app not built and npm is not installed: install Node.js 20+, then run `npm ci && npm run build` in "+dir, "sources", dir)
		return nil
	}
	log.Info("building the web app (first start only, a few minutes); the API is up meanwhile", "sources", dir)
	install := "ci"
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); errors.Is(err, fs.ErrNotExist) {
		install = "install"
	}
	for _, args := range [][]string{{install}, {"run", "build"}} {
		if err := run(ctx, log, dir, npm, args...); err != nil {
			log.Error("web app build failed: run `npm ci && npm run build` in "+dir+" to see why", "err", err)
			return err
		}
	}
	log.Info("web app built", "dir", filepath.Join(dir, "dist", "app"))
	return nil
}

// run runs one npm step, logging its output line by line as progress.
func run(ctx context.Context, log *slog.Logger, dir, npm string, args ...string) error {
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NG_CLI_ANALYTICS=false", "CI=true")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	step := "npm " + strings.Join(args, " ")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				log.Info(line, "step", step)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Run()
	_ = pw.Close()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("%s in %s: %w", step, dir, err)
	}
	return nil
}
