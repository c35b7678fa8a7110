package synthetic

import (
	"math"
	"testing"

	"github.com/tickerlake/tickerlake/market"
)

// Dividends come four a year at the symbol's yield, and a split is where
// the raw price drops by its ratio while the split-adjusted path runs on.
func TestActions(t *testing.T) {
	m := New(Config{Seed: 1})
	var splits, payers int
	for _, sym := range m.Symbols() {
		p := m.symbols[sym].p
		acts := m.Actions(sym, date("2011-01-01"), date("2025-12-31"))
		var divs, year float64
		for _, a := range acts {
			switch a.Action {
			case market.ActionDividend:
				divs++
				prev := m.Daily(sym, a.ExDate.AddDate(0, 0, -7), a.ExDate.AddDate(0, 0, -1))
				c := prev[len(prev)-1].Close
				if want := c * (1 - math.Exp(-p.divYield/4)); math.Abs(a.Amount-want) > 0.0051 {
					t.Errorf("%s %s: dividend %v, want %.4f (close %v, yield %v)", sym, a.ExDate.Format("2006-01-02"), a.Amount, want, c, p.divYield)
				}
				if a.ExDate.Year() == 2024 {
					year += a.Amount / c
				}
			case market.ActionSplit:
				splits++
				if p.refPrice <= splitAbove || a.Denominator != 1 || a.Numerator < 2 || a.Numerator > 4 {
					t.Errorf("%s: split %v:%v at reference price %v", sym, a.Numerator, a.Denominator, p.refPrice)
				}
				bars := m.Daily(sym, a.ExDate.AddDate(0, 0, -7), a.ExDate)
				before, on := bars[len(bars)-2], bars[len(bars)-1]
				// The overnight move is a few percent at most once the ratio is taken out.
				if r := math.Log(on.Open * a.Numerator / before.Close); math.Abs(r) > 0.25 {
					t.Errorf("%s %s: open %v after close %v is not a %v:1 split (adjusted gap %.3f)", sym, a.ExDate.Format("2006-01-02"), on.Open, before.Close, a.Numerator, r)
				}
			}
		}
		if p.divYield == 0 && divs > 0 || p.divYield > 0 && (divs < 40 || divs > 61) {
			t.Errorf("%s: %v dividends in 15 years at yield %v", sym, divs, p.divYield)
		}
		if p.divYield > 0 {
			payers++
			if math.Abs(year-p.divYield) > 0.35*p.divYield+0.001 {
				t.Errorf("%s: 2024 dividends are %.4f of the price, yield %.4f", sym, year, p.divYield)
			}
		}
	}
	if splits == 0 || payers == 0 {
		t.Errorf("%d splits and %d dividend payers in the universe", splits, payers)
	}
	if got := m.Actions("NOPE", date("2020-01-01"), date("2021-01-01")); got != nil {
		t.Errorf("unknown symbol: %v", got)
	}
}
