package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
)

func TestAnalyticsFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "yields.csv")
	if err := os.WriteFile(file, []byte("# symbol,yield\nXOM,0.034\nbrk-b,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		flags     AnalyticsFlags
		rate1y    float64
		divs      map[string]float64
		errSubstr string
	}{
		{"defaults", AnalyticsFlags{RiskFreeCurve: "0.04"}, 0.04, nil, ""},
		{"curve and inline yields", AnalyticsFlags{RiskFreeCurve: "0.5:0.05,1.5:0.03", DividendYields: "AAPL=0.005"}, 0.04, map[string]float64{"AAPL": 0.005}, ""},
		{"yields from a file", AnalyticsFlags{RiskFreeCurve: "0.04", DividendYields: "@" + file}, 0.04, map[string]float64{"XOM": 0.034, "BRK.B": 0}, ""},
		{"bad curve", AnalyticsFlags{RiskFreeCurve: "1y:4%"}, 0, nil, "--risk-free-curve"},
		{"missing file", AnalyticsFlags{RiskFreeCurve: "0.04", DividendYields: "@" + file + ".missing"}, 0, nil, "--dividend-yields"},
		{"bad yield", AnalyticsFlags{RiskFreeCurve: "0.04", DividendYields: "AAPL=x"}, 0, nil, "--dividend-yields"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.flags.cleaner()
			if tc.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("error %v, want one naming %s", err, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Curve.Rate(1); got < tc.rate1y-1e-12 || got > tc.rate1y+1e-12 {
				t.Errorf("1y rate %v, want %v", got, tc.rate1y)
			}
			if len(c.Dividends) != len(tc.divs) {
				t.Fatalf("dividends %v, want %v", c.Dividends, tc.divs)
			}
			for k, v := range tc.divs {
				if c.Dividends[k] != v {
					t.Errorf("%s yield %v, want %v", k, c.Dividends[k], v)
				}
			}
			if c.EuropeanIV {
				t.Error("equity options must be inverted as American")
			}
		})
	}
}

// TestSyntheticYields: `up` on the synthetic market inverts its option
// prices with the market's own dividend yields.
func TestSyntheticYields(t *testing.T) {
	m := synthetic.New(synthetic.Config{Seed: 1})
	divs := syntheticYields(ingest.NewSynthetic(m))
	paying := 0
	for _, sym := range m.Symbols() {
		q, ok := divs[sym]
		if want := m.DividendYield(sym); q != want || ok != (want != 0) {
			t.Errorf("%s: yield %v (listed %v), market's %v", sym, q, ok, want)
		}
		if ok {
			paying++
		}
	}
	if paying == 0 || paying == len(m.Symbols()) {
		t.Errorf("%d of %d symbols pay a dividend", paying, len(m.Symbols()))
	}
}
