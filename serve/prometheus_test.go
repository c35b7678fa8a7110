package serve

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestPrometheusScrapesUp runs `tickerlake up` where the Prometheus of
// scripts/services/prometheus.sh scrapes every second, and waits until
// Prometheus holds the freshness gauge of the bar datasets, the request
// duration of an API route and the writer group's consumer lag.
func TestPrometheusScrapesUp(t *testing.T) {
	promURL, target := os.Getenv("TICKERLAKE_TEST_PROMETHEUS_URL"), os.Getenv("TICKERLAKE_TEST_PROMETHEUS_TARGET")
	if promURL == "" || target == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TICKERLAKE_TEST_PROMETHEUS_URL/TARGET unset under CI: scripts/services/prometheus.sh did not run")
		}
		t.Skip("no Prometheus: run scripts/services/prometheus.sh (bash scripts/test.sh does) to enable")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tickerlake")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tickerlake")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build tickerlake: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	brokerAddr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(dir, "up.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	up := exec.Command(bin, "up", "--data-dir", filepath.Join(dir, "data"), "--http-addr", target,
		"--broker-addr", brokerAddr, "--backfill-days", "10", "--replay-sessions", "1", "--option-days", "10")
	up.Stdout, up.Stderr = logf, logf
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = up.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- up.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = up.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("tickerlake up log (tail):\n%s", tail(b, 4000))
		}
	}()

	queries := []string{
		`tickerlake_dataset_last_event_timestamp_seconds{dataset="daily_bars"} > 0`,
		`tickerlake_dataset_last_event_timestamp_seconds{dataset="intraday_bars"} > 0`,
		`tickerlake_http_request_duration_seconds_count{route="GET /api/v1/freshness",status="200"}`,
		`tickerlake_http_request_duration_seconds_bucket{route="GET /metrics"}`,
		`tickerlake_kafka_consumer_group_lag{group="writer"}`,
	}
	deadline := time.Now().Add(4 * time.Minute)
	pending := map[string]bool{}
	for _, q := range queries {
		pending[q] = true
	}
	for len(pending) > 0 && time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + target + "/api/v1/freshness"); err == nil {
			resp.Body.Close()
		}
		for q := range pending {
			if n, err := promSeries(promURL, q); err == nil && n > 0 {
				delete(pending, q)
				t.Logf("prometheus has %d series for %s", n, q)
			}
		}
		time.Sleep(time.Second)
	}
	for q := range pending {
		t.Errorf("prometheus never had %s", q)
	}
}

// promSeries runs an instant query and counts the series it returns.
func promSeries(base, q string) (int, error) {
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
	return len(r.Data.Result), nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
