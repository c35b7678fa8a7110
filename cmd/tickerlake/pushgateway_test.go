package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/tickerlake/tickerlake/internal/uptest"
	"github.com/tickerlake/tickerlake/sink/sinktest"
)

// TestCompactPushesItsMetrics runs `tickerlake compact --pushgateway` against
// the Pushgateway of scripts/services/prometheus.sh: its housekeeping
// metrics are at the gateway's /metrics under job tickerlake-compact,
// without the Go and process metrics of the exited job, and the Prometheus
// that scrapes the gateway with honor_labels holds them under that job.
func TestCompactPushesItsMetrics(t *testing.T) {
	gw := sinktest.Env(t, "TICKERLAKE_TEST_PUSHGATEWAY_URL", "the Pushgateway test")
	clearPushed(t, gw)
	start := time.Now()
	cli := parseCLI(t, "compact", "--data-dir", t.TempDir(), "--pushgateway", gw)
	if err := cli.Compact.Run(&cli.Globals, context.Background(), testLogger(t)); err != nil {
		t.Fatal(err)
	}

	ok, fams := pushedRuns(t, gw)
	for _, step := range []string{"retention", "compaction", "janitor"} {
		if ok[step] != 1 {
			t.Errorf("pushgateway: %s ran ok %v times in job %s, want 1 (all: %v)", step, ok[step], pushJob, ok)
		}
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, p := range m.GetLabel() {
				if p.GetName() == "job" && p.GetValue() == pushJob && !strings.HasPrefix(name, "tickerlake_") && name != "push_time_seconds" && name != "push_failure_time_seconds" {
					t.Errorf("pushgateway holds %s of job %s: only tickerlake_ metrics are pushed", name, pushJob)
				}
			}
		}
	}

	prom := os.Getenv("TICKERLAKE_TEST_PROMETHEUS_URL")
	if prom == "" {
		t.Log("no TICKERLAKE_TEST_PROMETHEUS_URL: the scrape with honor_labels is not checked")
		return
	}
	queries := []string{
		fmt.Sprintf(`push_time_seconds{job=%q} >= %d`, pushJob, start.Unix()),
		fmt.Sprintf(`tickerlake_lake_housekeeping_runs_total{job=%q,outcome="ok"}`, pushJob),
		fmt.Sprintf(`tickerlake_lake_housekeeping_last_success_timestamp_seconds{job=%q} >= %d`, pushJob, start.Unix()),
	}
	sinktest.Eventually(t, 30*time.Second, func() (bool, string) {
		for _, q := range queries {
			if n, err := uptest.PromSeries(prom, q); err != nil || n == 0 {
				return false, fmt.Sprintf("prometheus has no series for %s (%v)", q, err)
			}
		}
		return true, ""
	})
}

// clearPushed deletes what an earlier run pushed as job tickerlake-compact,
// so it cannot pass for this run's push.
func clearPushed(t *testing.T, gw string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, gw+"/metrics/job/"+pushJob, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
}

// pushedRuns reads the Pushgateway's /metrics: the housekeeping runs with
// outcome ok that job tickerlake-compact pushed, by step, and every family.
func pushedRuns(t *testing.T, gw string) (map[string]float64, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get(gw + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]float64{}
	for _, m := range fams["tickerlake_lake_housekeeping_runs_total"].GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		if l["job"] == pushJob && l["outcome"] == "ok" {
			ok[l["step"]] += m.GetCounter().GetValue()
		}
	}
	return ok, fams
}
