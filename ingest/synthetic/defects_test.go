package synthetic

import (
	"math"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// defectCounts tallies what a consumer would find wrong in a batch of rows.
type defectCounts struct {
	rows, missing, duplicates, bad int
}

func (c defectCounts) total() int { return c.missing + c.duplicates + c.bad }

func badOHLC(open, high, low, close float64) bool {
	for _, p := range []float64{open, high, low, close} {
		if math.IsNaN(p) || p <= 0 {
			return true
		}
	}
	return high < low
}

// within reports whether n defects out of rows fit the rate: four standard
// deviations of a binomial count, plus a little slack for tiny samples.
func within(n, rows int, rate float64) bool {
	want := rate * float64(rows)
	return math.Abs(float64(n)-want) <= 4*math.Sqrt(want*(1-rate))+2
}

func TestDefects(t *testing.T) {
	cal := market.NYSE()
	from, to := date("2026-02-02"), date("2026-03-13")
	snaps := []time.Time{instant("2026-02-10T15:00:00Z"), instant("2026-02-24T20:30:00Z"), instant("2026-03-07T12:00:00Z")}
	for _, rate := range []float64{0, 0.01, 0.05, 0.2} {
		m := New(Config{Seed: 11, DefectRate: rate, Universe: universe(25)})
		var intraday, daily, options defectCounts
		kinds := map[string]int{}
		for _, sym := range m.Symbols() {
			// 15-minute bars against the calendar.
			for _, d := range cal.TradingDays(from, to) {
				want := map[time.Time]bool{}
				for _, ts := range cal.Bars15(d) {
					want[ts] = true
				}
				intraday.rows += len(want)
				seen := map[time.Time]bool{}
				for _, b := range m.Intraday(sym, d) {
					if seen[b.TS] {
						intraday.duplicates++
						kinds["bar duplicate"]++
						continue
					}
					seen[b.TS] = true
					if badOHLC(b.Open, b.High, b.Low, b.Close) {
						intraday.bad++
						kinds[barBadKind(b.Open, b.High, b.Low, b.Close)]++
					}
				}
				intraday.missing += len(want) - len(seen)
				kinds["bar gap"] += len(want) - len(seen)
			}
			// Daily bars against the calendar.
			days := cal.TradingDays(from, to)
			daily.rows += len(days)
			seen := map[time.Time]bool{}
			for _, b := range m.Daily(sym, from, to) {
				if seen[b.Date] {
					daily.duplicates++
					continue
				}
				seen[b.Date] = true
				if badOHLC(b.Open, b.High, b.Low, b.Close) {
					daily.bad++
				}
			}
			daily.missing += len(days) - len(seen)
			// Option quotes: a defective row is a repeated contract, a crossed or a corrupt quote.
			for _, at := range snaps {
				seenContract := map[string]bool{}
				for _, q := range m.Chain(sym, at, 30) {
					if seenContract[q.ContractSymbol] {
						options.duplicates++
						kinds["option duplicate"]++
						continue
					}
					seenContract[q.ContractSymbol] = true
					options.rows++
					switch {
					case q.Strike <= 0:
						options.bad++
						kinds["negative strike"]++
					case math.IsNaN(q.Bid):
						options.bad++
						kinds["NaN bid"]++
					case q.Bid > q.Ask:
						options.bad++
						kinds["crossed"]++
					}
				}
			}
		}
		for _, c := range []struct {
			name   string
			counts defectCounts
		}{{"intraday", intraday}, {"daily", daily}, {"options", options}} {
			t.Logf("rate %v %s: %+v", rate, c.name, c.counts)
			if rate == 0 && c.counts.total() != 0 {
				t.Errorf("rate 0: %s has defects: %+v", c.name, c.counts)
			}
			if !within(c.counts.total(), c.counts.rows, rate) {
				t.Errorf("rate %v: %s has %d defects in %d rows", rate, c.name, c.counts.total(), c.counts.rows)
			}
		}
		if rate >= 0.05 {
			for _, k := range []string{"bar gap", "bar duplicate", "negative price", "high < low", "NaN close",
				"option duplicate", "negative strike", "NaN bid", "crossed"} {
				if kinds[k] == 0 {
					t.Errorf("rate %v: no %s defects", rate, k)
				}
			}
		}
	}
}

func barBadKind(open, high, low, close float64) string {
	switch {
	case open < 0:
		return "negative price"
	case math.IsNaN(close):
		return "NaN close"
	case high < low:
		return "high < low"
	}
	return "other"
}
