package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
