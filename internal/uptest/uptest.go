// Package uptest builds tickerlake and runs `tickerlake up` for the tests
// that watch a whole pipeline from outside: its /metrics, its API.
package uptest

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Start builds ./cmd/tickerlake of the module at root and runs `up` with a
// short backfill and its housekeeping every 20 s, its API (and /metrics) on httpAddr or, when empty, a free
// port. It returns the API's address; the process stops at the test's end
// and its log's tail is printed when the test failed.
func Start(t testing.TB, root, httpAddr string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tickerlake")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tickerlake")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build tickerlake: %v\n%s", err, out)
	}
	if httpAddr == "" {
		httpAddr = FreeAddr(t)
	}
	logf, err := os.Create(filepath.Join(dir, "up.log"))
	if err != nil {
		t.Fatal(err)
	}
	up := exec.Command(bin, "up", "--data-dir", filepath.Join(dir, "data"), "--http-addr", httpAddr,
		"--broker-addr", FreeAddr(t), "--backfill-days", "10", "--replay-sessions", "1", "--option-days", "10",
		// The housekeeping runs soon, so its metrics have series to check.
		"--compact-every", "20s")
	up.Stdout, up.Stderr = logf, logf
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = up.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- up.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = up.Process.Kill()
			<-done
		}
		_ = logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("tickerlake up log (tail):\n%s", b)
		}
	})
	return httpAddr
}

// FreeAddr is a 127.0.0.1 address nothing listened on a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Drive asks the API at addr what a user would (freshness, bars, movers,
// the universe), so that its request and DuckDB query histograms have
// series.
func Drive(addr string) {
	for _, p := range []string{"/api/v1/freshness", "/api/v1/bars/AAPL", "/api/v1/movers", "/api/v1/universe"} {
		if resp, err := http.Get("http://" + addr + p); err == nil {
			_ = resp.Body.Close()
		}
	}
}
