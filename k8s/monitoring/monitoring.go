// Package monitoring holds tickerlake's Grafana dashboards and Prometheus
// rules as code, and the files generated from them that Grafana and the
// Prometheus Operator load (go generate ./k8s/monitoring writes them).
package monitoring

//go:generate go run ./gen

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"

	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

// RulesFile is the plain Prometheus rules file, relative to this folder.
const RulesFile = "rules/tickerlake.rules.yml"

//go:embed rules/tickerlake.rules.yml
var rulesYAML []byte

// Datasource UIDs the provisioning files give and the dashboards use.
const (
	PrometheusUID = "tickerlake-prometheus"
	InfluxUID     = "tickerlake-influxdb"
)

// Dashboard is one Grafana dashboard.
type Dashboard struct {
	UID, Title, Description string
	Panels                  []Panel
	// Symbol adds a $symbol variable over the InfluxDB bars' StockName tag.
	Symbol bool
}

// Panel is one time-series panel.
type Panel struct {
	Title, Description string
	Unit               string // Grafana unit: short, s, percentunit, reqps, ...
	Queries            []Query
	// InfluxQL queries InfluxDB instead of Prometheus.
	InfluxQL []Query
	// Needs names what a panel's series come from that `tickerlake up` on
	// its synthetic market does not run: twelvedata, sql, influx or s3 (a
	// remote lake, whose objects the api caches). The live test skips such
	// panels (and their metric names) and says so.
	Needs string
	// Sparse panels show events a healthy run need not have (5xx, 429s):
	// their queries must parse and name exported metrics, but may be empty.
	Sparse bool
}

// Query is one target of a panel.
type Query struct {
	Expr, Legend string
}

// Expr is one PromQL expression and where it is used.
type Expr struct {
	Where  string // dashboard/panel or rules group/rule
	Expr   string
	Needs  string
	Sparse bool
	// Panel is true for a dashboard query, which the live test runs.
	Panel bool
}

// RuleGroups is the rules file decoded.
type RuleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []Rule `json:"rules"`
	} `json:"groups"`
}

// Rule is one recording or alerting rule.
type Rule struct {
	Record      string            `json:"record,omitempty"`
	Alert       string            `json:"alert,omitempty"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Rules decodes the rules file, rejecting unknown keys.
func Rules() (RuleGroups, error) {
	var g RuleGroups
	if err := yaml.UnmarshalStrict(rulesYAML, &g); err != nil {
		return g, fmt.Errorf("decode %s: %w", RulesFile, err)
	}
	return g, nil
}

// Recorded are the series names the recording rules define.
func Recorded() (map[string]bool, error) {
	g, err := Rules()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, grp := range g.Groups {
		for _, r := range grp.Rules {
			if r.Record != "" {
				out[r.Record] = true
			}
		}
	}
	return out, nil
}

// Exprs are every PromQL expression of the dashboards and the rules.
func Exprs() ([]Expr, error) {
	var out []Expr
	for _, d := range Dashboards() {
		for _, p := range d.Panels {
			for _, q := range p.Queries {
				out = append(out, Expr{Where: d.UID + "/" + p.Title, Expr: q.Expr, Needs: p.Needs, Sparse: p.Sparse, Panel: true})
			}
		}
	}
	g, err := Rules()
	if err != nil {
		return nil, err
	}
	for _, grp := range g.Groups {
		for _, r := range grp.Rules {
			out = append(out, Expr{Where: grp.Name + "/" + r.Record + r.Alert, Expr: r.Expr})
		}
	}
	return out, nil
}

// MetricNames parses expr with Prometheus's parser and returns the metric
// names its selectors name, sorted.
func MetricNames(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == "__name__" {
					name = m.Value
				}
			}
			if name != "" {
				seen[name] = true
			}
		}
		return nil
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// Files are the generated files, by path relative to this folder.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, d := range Dashboards() {
		b, err := d.JSON()
		if err != nil {
			return nil, err
		}
		out[path.Join("dashboards", d.UID+".json")] = b
	}
	pr, err := PrometheusRule()
	if err != nil {
		return nil, err
	}
	out["prometheusrule.yaml"] = pr
	return out, nil
}

// PrometheusRule wraps the rules file in a Prometheus Operator object.
func PrometheusRule() ([]byte, error) {
	var spec any
	if err := yaml.Unmarshal(rulesYAML, &spec); err != nil {
		return nil, fmt.Errorf("decode %s: %w", RulesFile, err)
	}
	obj := map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata":   map[string]any{"name": "tickerlake", "labels": map[string]any{"app.kubernetes.io/part-of": "tickerlake"}},
		"spec":       spec,
	}
	b, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return append([]byte("# Generated from "+RulesFile+" by go generate ./k8s/monitoring: edit that file.\n"), b...), nil
}

// JSON is the dashboard in Grafana's JSON model.
func (d Dashboard) JSON() ([]byte, error) {
	type ds struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	type target struct {
		RefID        string `json:"refId"`
		Datasource   ds     `json:"datasource"`
		Expr         string `json:"expr,omitempty"`
		Query        string `json:"query,omitempty"`
		RawQuery     bool   `json:"rawQuery,omitempty"`
		ResultFormat string `json:"resultFormat,omitempty"`
		LegendFormat string `json:"legendFormat,omitempty"`
		Alias        string `json:"alias,omitempty"`
	}
	type panel struct {
		ID          int            `json:"id"`
		Type        string         `json:"type"`
		Title       string         `json:"title"`
		Description string         `json:"description,omitempty"`
		Datasource  ds             `json:"datasource"`
		GridPos     map[string]int `json:"gridPos"`
		FieldConfig map[string]any `json:"fieldConfig"`
		Options     map[string]any `json:"options"`
		Targets     []target       `json:"targets"`
	}
	prom := ds{Type: "prometheus", UID: "${datasource}"}
	influx := ds{Type: "influxdb", UID: InfluxUID}
	vars := []map[string]any{{
		"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
		"current": map[string]any{"text": PrometheusUID, "value": PrometheusUID},
	}}
	if d.Symbol {
		vars = append(vars, map[string]any{
			"name": "symbol", "label": "Symbol", "type": "query", "datasource": influx,
			"query":   `SHOW TAG VALUES FROM "stock_15min" WITH KEY = "StockName"`,
			"refresh": 1, "multi": true, "includeAll": false,
			"current": map[string]any{"text": "AAPL", "value": []string{"AAPL"}},
		})
	}
	var panels []panel
	for i, p := range d.Panels {
		out := panel{
			ID: i + 1, Type: "timeseries", Title: p.Title, Description: p.Description, Datasource: prom,
			GridPos:     map[string]int{"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i / 2)},
			FieldConfig: map[string]any{"defaults": map[string]any{"unit": p.Unit}, "overrides": []any{}},
			Options:     map[string]any{"legend": map[string]any{"displayMode": "table", "placement": "bottom", "calcs": []string{"lastNotNull", "max"}}},
		}
		for j, q := range p.Queries {
			out.Targets = append(out.Targets, target{RefID: string(rune('A' + j)), Datasource: prom, Expr: q.Expr, LegendFormat: q.Legend})
		}
		if len(p.InfluxQL) > 0 {
			out.Datasource = influx
			for j, q := range p.InfluxQL {
				out.Targets = append(out.Targets, target{RefID: string(rune('A' + j)), Datasource: influx, Query: q.Expr, RawQuery: true, ResultFormat: "time_series", Alias: q.Legend})
			}
		}
		panels = append(panels, out)
	}
	model := map[string]any{
		"uid": d.UID, "title": d.Title, "description": d.Description,
		"tags": []string{"tickerlake"}, "editable": true, "schemaVersion": 39, "version": 1,
		"timezone": "utc", "refresh": "30s", "time": map[string]string{"from": "now-6h", "to": "now"},
		"templating": map[string]any{"list": vars},
		"panels":     panels,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(model); err != nil {
		return nil, fmt.Errorf("encode dashboard %s: %w", d.UID, err)
	}
	return b.Bytes(), nil
}
