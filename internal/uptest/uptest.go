// Package uptest builds tickerlake and runs `tickerlake up` for the tests
// that watch a whole pipeline from outside: its /metrics, its API.
package uptest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Start builds ./cmd/tickerlake of the module at root and runs `up` with a
// short backfill and its housekeeping every 20 s, its API (and /metrics) on httpAddr or, when empty, a free
// port. When the S3 server of scripts/services/versitygw.sh is there (Has("s3")),
// the lake is on it, under a prefix of its own, so the API's query cache of a
// remote lake has metrics too. It returns the API's address; the process
// stops at the test's end and its log's tail is printed when the test failed.
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
	if Has("s3") {
		prefix := fmt.Sprintf("uptest/%s-%d", strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()), time.Now().UnixNano())
		up.Args = append(up.Args, "--lake", "s3://"+os.Getenv("TICKERLAKE_TEST_S3_BUCKET")+"/"+prefix, "--s3-path-style")
		up.Env = append(os.Environ(),
			"AWS_ENDPOINT_URL="+os.Getenv("TICKERLAKE_TEST_S3_ENDPOINT"),
			"AWS_ACCESS_KEY_ID="+os.Getenv("TICKERLAKE_TEST_S3_ACCESS_KEY"),
			"AWS_SECRET_ACCESS_KEY="+os.Getenv("TICKERLAKE_TEST_S3_SECRET_KEY"),
			"AWS_REGION="+os.Getenv("TICKERLAKE_TEST_S3_REGION"))
		t.Logf("tickerlake up keeps its lake on S3 at %s, s3://%s/%s", os.Getenv("TICKERLAKE_TEST_S3_ENDPOINT"), os.Getenv("TICKERLAKE_TEST_S3_BUCKET"), prefix)
	}
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

// PromSeries runs an instant query on the Prometheus at base and counts
// the series it returns.
func PromSeries(base, q string) (int, error) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("query %s: status %q", q, r.Status)
	}
	return len(r.Data.Result), nil
}

// Has says whether Start's `up` runs with a backend a dashboard panel
// needs (monitoring's Panel.Needs): "s3" when TICKERLAKE_TEST_S3_ENDPOINT
// and TICKERLAKE_TEST_S3_BUCKET are set, as they are under CI. The keyed
// providers and the sinks it never runs.
func Has(backend string) bool {
	return backend == "s3" && os.Getenv("TICKERLAKE_TEST_S3_ENDPOINT") != "" && os.Getenv("TICKERLAKE_TEST_S3_BUCKET") != ""
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
