package transform

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
)

// chartFile reads a recorded-shape chart answer of the Yahoo stand-in.
func chartFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "ingest", "yahoo", "yhtest", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCorporateActions(t *testing.T) {
	date := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	type row struct {
		date, action string
		a, n, d      float64
	}
	for _, tc := range []struct {
		file    string
		rows    []row
		reasons []string
	}{
		{"aapl_chart_events.json", []row{
			{"2014-06-09", market.ActionSplit, 0, 7, 1},
			{"2020-08-31", market.ActionSplit, 0, 4, 1},
			{"2024-02-09", market.ActionDividend, 0.24, 0, 0},
			{"2024-05-10", market.ActionDividend, 0.25, 0, 0},
			{"2024-08-12", market.ActionDividend, 0.25, 0, 0},
			{"2024-11-08", market.ActionDividend, 0.25, 0, 0},
			{"2025-02-10", market.ActionDividend, 0.25, 0, 0},
		}, nil},
		{"chart_bad_events.json", []row{
			{"2020-08-31", market.ActionSplit, 0, 4, 1},
			{"2024-02-09", market.ActionDividend, 0.24, 0, 0},
		}, []string{ReasonDividend, ReasonMissingValue, ReasonSplitRatio, ReasonSplitRatio}},
		{"chart_not_found.json", nil, []string{ReasonUnknownSymbol}},
		{"chart_malformed.json", nil, []string{ReasonDecode}},
		{"chart_empty.json", nil, []string{ReasonPartial}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(date("2026-11-20"))}
			res, err := c.Clean("corporate-actions", chartFile(t, tc.file), "")
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			if res.Rows != nil {
				for _, a := range res.Rows.([]market.CorporateAction) {
					if a.Symbol != "AAPL" {
						t.Errorf("symbol %q", a.Symbol)
					}
					r := row{date: a.ExDate.Format(time.DateOnly), action: a.Action, a: a.Amount, n: a.Numerator, d: a.Denominator}
					// NULL sides are NaN; compare them as zero.
					for _, f := range []*float64{&r.a, &r.n, &r.d} {
						if math.IsNaN(*f) {
							*f = 0
						}
					}
					got = append(got, r)
				}
			}
			if !slices.Equal(got, tc.rows) {
				t.Errorf("rows\n got %v\nwant %v", got, tc.rows)
			}
			if res.N != len(tc.rows) || (len(tc.rows) > 0 && res.Dataset != market.CorporateActions) {
				t.Errorf("N %d dataset %v", res.N, res.Dataset)
			}
			var reasons []string
			for _, r := range res.Rejects {
				if len(r.Payload) == 0 || r.Detail == "" {
					t.Errorf("reject %s without payload or detail", r.Reason)
				}
				reasons = append(reasons, r.Reason)
			}
			if !slices.Equal(reasons, tc.reasons) {
				t.Errorf("reasons %v, want %v", reasons, tc.reasons)
			}
		})
	}
}

func TestCorporateActionsFuture(t *testing.T) {
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC))}
	res, err := c.Clean("corporate-actions", chartFile(t, "aapl_chart_events.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.N != 4 || len(res.Rejects) != 3 || res.Rejects[0].Reason != ReasonFuture {
		t.Errorf("%d rows, rejects %v: want the three dividends after 2024-08-01 refused as future", res.N, res.Rejects)
	}
}

// The trailing yield sums the dividends of the year up to the date, and
// options are priced with it when no yields are given.
func TestTrailingYield(t *testing.T) {
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	if _, ok := c.TrailingYield("AAPL", 200, time.Now()); ok {
		t.Fatal("a yield before any corporate action")
	}
	if _, err := c.Clean("corporate-actions", chartFile(t, "aapl_chart_events.json"), ""); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 2, 10, 21, 0, 0, 0, time.UTC)
	// 2024-05-10, 08-12, 11-08 and 2025-02-10: 0.25 each; 2024-02-09 is more than a year back.
	q, ok := c.TrailingYield("AAPL", 227.65, at)
	if want := math.Log1p(1.00 / 227.65); !ok || math.Abs(q-want) > 1e-12 {
		t.Errorf("TrailingYield = %v, %v; want %v", q, ok, want)
	}
	if got := c.dividendYield("AAPL", 227.65, at); got != q {
		t.Errorf("dividendYield without Dividends = %v, want the trailing %v", got, q)
	}
	c.Dividends = map[string]float64{"MSFT": 0.01}
	if got := c.dividendYield("AAPL", 227.65, at); got != 0 {
		t.Errorf("dividendYield with Dividends given = %v, want theirs (0)", got)
	}
}
