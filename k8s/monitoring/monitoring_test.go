package monitoring

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tickerlake/tickerlake/internal/uptest"
)

// TestGeneratedFilesAreFresh fails when the dashboards' JSON or the
// PrometheusRule on disk differ from what the code generates.
func TestGeneratedFilesAreFresh(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v (run go generate ./k8s/monitoring)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./k8s/monitoring", name)
		}
	}
	on, err := filepath.Glob("dashboards/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range on {
		if _, ok := files[name]; !ok {
			t.Errorf("%s is no dashboard the code defines: remove it", name)
		}
	}
}

// TestDashboardsAreGrafanaJSON checks the model Grafana loads: unique
// uids, panel ids and refIds, and every target on a provisioned datasource.
func TestDashboardsAreGrafanaJSON(t *testing.T) {
	uids := map[string]bool{}
	for _, d := range Dashboards() {
		if uids[d.UID] {
			t.Errorf("dashboard uid %s twice", d.UID)
		}
		uids[d.UID] = true
		b, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			UID    string `json:"uid"`
			Title  string `json:"title"`
			Panels []struct {
				ID      int    `json:"id"`
				Title   string `json:"title"`
				Targets []struct {
					RefID      string `json:"refId"`
					Expr       string `json:"expr"`
					Query      string `json:"query"`
					Datasource struct {
						Type string `json:"type"`
						UID  string `json:"uid"`
					} `json:"datasource"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", d.UID, err)
		}
		if m.UID != d.UID || m.Title == "" || len(m.Panels) == 0 {
			t.Errorf("%s: uid %q, title %q, %d panels", d.UID, m.UID, m.Title, len(m.Panels))
		}
		ids := map[int]bool{}
		for _, p := range m.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", d.UID, p.ID)
			}
			ids[p.ID] = true
			if len(p.Targets) == 0 {
				t.Errorf("%s/%s: no targets", d.UID, p.Title)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if refs[tg.RefID] {
					t.Errorf("%s/%s: refId %s twice", d.UID, p.Title, tg.RefID)
				}
				refs[tg.RefID] = true
				switch tg.Datasource.Type {
				case "prometheus":
					if tg.Expr == "" || tg.Datasource.UID != "${datasource}" {
						t.Errorf("%s/%s: prometheus target %+v", d.UID, p.Title, tg)
					}
				case "influxdb":
					if tg.Query == "" || tg.Datasource.UID != InfluxUID {
						t.Errorf("%s/%s: influxdb target %+v", d.UID, p.Title, tg)
					}
				default:
					t.Errorf("%s/%s: datasource type %q", d.UID, p.Title, tg.Datasource.Type)
				}
			}
		}
	}
}

// TestExprsParse parses every expression with Prometheus's parser and
// checks that every recorded series an expression names is recorded.
func TestExprsParse(t *testing.T) {
	exprs, err := Exprs()
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := Recorded()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exprs {
		names, err := MetricNames(e.Expr)
		if err != nil {
			t.Errorf("%s: %v\n%s", e.Where, err, e.Expr)
			continue
		}
		if len(names) == 0 && !strings.Contains(e.Expr, "vector(") {
			t.Errorf("%s names no metric: %s", e.Where, e.Expr)
		}
		for _, n := range names {
			if strings.Contains(n, ":") && !recorded[n] {
				t.Errorf("%s names %s, which no recording rule records", e.Where, n)
			}
		}
	}
}

// TestMetricNames pins what the parser walk finds.
func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`sum(rate(a_total[5m])) / sum(rate(b_total[5m]))`, []string{"a_total", "b_total"}},
		{`{__name__="c"} or d:e > bool on (x) f`, []string{"c", "d:e", "f"}},
		{`vector(1)`, []string{}},
	} {
		got, err := MetricNames(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("MetricNames(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
	if _, err := MetricNames(`sum(rate(a[5m])`); err == nil {
		t.Error("an unbalanced expression parsed")
	}
}

// promMade are the series Prometheus itself writes for every target.
var promMade = map[string]bool{"up": true}

// TestExprsNameExportedMetrics runs `tickerlake up`, reads its /metrics
// until every metric the dashboards and rules name is there, and fails
// naming those that never appear: a renamed or removed metric breaks it.
// Metrics only a keyed provider or a configured sink exports (Panel.Needs)
// are listed as not checked live.
func TestExprsNameExportedMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs tickerlake up")
	}
	exprs, err := Exprs()
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := Recorded()
	if err != nil {
		t.Fatal(err)
	}
	needed := map[string][]string{} // metric -> where
	needs := map[string]string{}    // metric -> backend, when only Needs panels name it
	for _, e := range exprs {
		names, err := MetricNames(e.Expr)
		if err != nil {
			t.Fatalf("%s: %v", e.Where, err)
		}
		for _, n := range names {
			if recorded[n] || promMade[n] {
				continue
			}
			needed[n] = append(needed[n], e.Where)
			if e.Needs != "" && !uptest.Has(e.Needs) {
				if _, seen := needs[n]; !seen {
					needs[n] = e.Needs
				}
			} else if e.Panel {
				needs[n] = "" // a panel that `up` must fill names it
			}
		}
	}
	addr := uptest.Start(t, "../..", "")
	missing := map[string]bool{}
	for n := range needed {
		missing[n] = true
	}
	var exported map[string]bool
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		uptest.Drive(addr)
		exported = scrape(t, addr)
		for n := range missing {
			if exported[n] {
				delete(missing, n)
			}
		}
		if len(missing) == 0 {
			break
		}
		onlyNeeds := true
		for n := range missing {
			if needs[n] == "" {
				onlyNeeds = false
			}
		}
		if onlyNeeds {
			break
		}
		time.Sleep(2 * time.Second)
	}
	var names []string
	for n := range missing {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if b := needs[n]; b != "" {
			t.Logf("not checked live: %s needs %s, which tickerlake up does not run (%s)", n, b, strings.Join(needed[n], "; "))
			continue
		}
		t.Errorf("%s is not exported by tickerlake up, yet %s name it", n, strings.Join(needed[n], "; "))
	}
	t.Logf("checked %d metric names against %d exported by tickerlake up", len(needed)-len(missing), len(exported))
}

// scrape returns the metric names of addr's /metrics, histograms and
// summaries with the series names they expose.
func scrape(t *testing.T, addr string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	for name, f := range fams {
		if len(f.GetMetric()) == 0 {
			continue
		}
		out[name] = true
		switch f.GetType().String() {
		case "HISTOGRAM":
			out[name+"_bucket"], out[name+"_sum"], out[name+"_count"] = true, true, true
		case "SUMMARY":
			out[name+"_sum"], out[name+"_count"] = true, true
		}
	}
	return out
}

// TestPromtool runs `promtool check rules` and the rules' unit tests
// (rules/tickerlake.rules.test.yml: every alert fires where it should and
// is silent where it should not). scripts/services/prometheus.sh installs
// promtool with Debian's prometheus; under CI its absence fails the test.
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found under CI: scripts/services/prometheus.sh installs Debian's prometheus, which has it")
		}
		t.Skip("promtool not found: install Debian's prometheus (bash scripts/test.sh does)")
	}
	for _, args := range [][]string{
		{"check", "rules", "tickerlake.rules.yml"},
		{"test", "rules", "tickerlake.rules.test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "rules"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			continue
		}
		t.Logf("promtool %s:\n%s", strings.Join(args, " "), bytes.TrimSpace(out))
	}
}
