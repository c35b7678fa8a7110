package transform

import (
	"maps"
	"strings"
	"testing"
)

func TestParseDividendYields(t *testing.T) {
	cases := []struct {
		name, in string
		want     map[string]float64
		err      string
	}{
		{"flag value", "AAPL=0.005,msft=0.007;brk-b=0", map[string]float64{"AAPL": 0.005, "MSFT": 0.007, "BRK.B": 0}, ""},
		{"file", "# symbol,yield\nAAPL,0.005\n\nXOM,0.034\n", map[string]float64{"AAPL": 0.005, "XOM": 0.034}, ""},
		{"empty", "", map[string]float64{}, ""},
		{"percent", "AAPL=0.5%", nil, "AAPL yield"},
		{"above one", "AAPL=5", nil, "want a decimal"},
		{"negative", "AAPL=-0.01", nil, "want a decimal"},
		{"no yield", "AAPL", nil, "want SYMBOL=yield"},
		{"bad symbol", "A$=0.01", nil, "symbol"},
		{"twice", "AAPL=0.01,aapl=0.02", nil, "twice"},
		{"line number", "AAPL,0.01\nMSFT,x", nil, "line 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDividendYields(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
