package serve

import (
	"os"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/internal/uptest"
	"github.com/tickerlake/tickerlake/k8s/monitoring"
)

// TestPrometheusScrapesUp runs `tickerlake up` where the Prometheus of
// scripts/services/prometheus.sh scrapes every second, and waits until
// Prometheus holds the freshness gauge of the bar datasets, the request
// duration of an API route, the writer group's consumer lag and the data
// of every dashboard panel that the synthetic pipeline feeds.
func TestPrometheusScrapesUp(t *testing.T) {
	promURL, target := os.Getenv("TICKERLAKE_TEST_PROMETHEUS_URL"), os.Getenv("TICKERLAKE_TEST_PROMETHEUS_TARGET")
	if promURL == "" || target == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TICKERLAKE_TEST_PROMETHEUS_URL/TARGET unset under CI: scripts/services/prometheus.sh did not run")
		}
		t.Skip("no Prometheus: run scripts/services/prometheus.sh (bash scripts/test.sh does) to enable")
	}
	uptest.Start(t, "..", target)

	queries := []string{
		`tickerlake_dataset_last_event_timestamp_seconds{dataset="daily_bars"} > 0`,
		`tickerlake_dataset_last_event_timestamp_seconds{dataset="intraday_bars"} > 0`,
		`tickerlake_http_request_duration_seconds_count{route="GET /api/v1/freshness",status="200"}`,
		`tickerlake_http_request_duration_seconds_bucket{route="GET /metrics"}`,
		`tickerlake_kafka_consumer_group_lag{group="writer"}`,
	}
	// Every dashboard panel that `up` feeds has data, recorded series too
	// (scripts/services/prometheus.sh loads the rules file).
	exprs, err := monitoring.Exprs()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exprs {
		switch {
		case !e.Panel:
		case e.Needs != "" && !uptest.Has(e.Needs) || e.Sparse:
			t.Logf("panel %s may be empty here (needs %q, sparse %v)", e.Where, e.Needs, e.Sparse)
		default:
			queries = append(queries, e.Expr)
		}
	}
	deadline := time.Now().Add(4 * time.Minute)
	pending := map[string]bool{}
	for _, q := range queries {
		pending[q] = true
	}
	for len(pending) > 0 && time.Now().Before(deadline) {
		uptest.Drive(target)
		for q := range pending {
			if n, err := uptest.PromSeries(promURL, q); err == nil && n > 0 {
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
