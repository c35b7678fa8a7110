package query

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// Adjusted bars against factors worked out by hand: a 2-for-1 split on
// Jan 7 and a 1.00 dividend on Jan 9 after a 50.00 close.
func TestAdjustedBars(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }
	ing := d(20)
	store, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	closes := map[int]float64{5: 100, 6: 102, 7: 51, 8: 50, 9: 49, 12: 48}
	var bars []market.DailyBar
	for _, day := range []int{5, 6, 7, 8, 9, 12} {
		c := closes[day]
		bars = append(bars, market.DailyBar{Symbol: "TST", Date: d(day), Open: c, High: c + 1, Low: c - 1, Close: c, Volume: 1000, IngestedAt: ing})
	}
	laketest.Commit(t, store, market.DailyBars, 0, 0, 10, bars)
	// 09:30 and 15:45 in New York on Jan 6: both of the Jan 6 session.
	laketest.Commit(t, store, market.IntradayBars, 0, 0, 10, []market.IntradayBar{
		{Symbol: "TST", TS: time.Date(2026, 1, 6, 14, 30, 0, 0, time.UTC), Open: 101, High: 101, Low: 101, Close: 101, Volume: 10, IngestedAt: ing},
		{Symbol: "TST", TS: time.Date(2026, 1, 6, 20, 45, 0, 0, time.UTC), Open: 102, High: 102, Low: 102, Close: 102, Volume: 10, IngestedAt: ing},
	})
	nan := math.NaN()
	laketest.Commit(t, store, market.CorporateActions, 0, 0, 10, []market.CorporateAction{
		{Symbol: "TST", ExDate: d(7), Action: market.ActionSplit, Amount: nan, Numerator: 2, Denominator: 1, IngestedAt: ing},
		{Symbol: "TST", ExDate: d(9), Action: market.ActionDividend, Amount: 1, Numerator: nan, Denominator: nan, IngestedAt: ing},
		// No close before it: no factor.
		{Symbol: "TST", ExDate: d(2), Action: market.ActionDividend, Amount: 5, Numerator: nan, Denominator: nan, IngestedAt: ing},
		{Symbol: "OTHER", ExDate: d(8), Action: market.ActionSplit, Amount: nan, Numerator: 10, Denominator: 1, IngestedAt: ing},
	})
	eng, err := Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()

	// Before the split and the dividend: 1/2 * (1 - 1/50) = 0.49, volume x2;
	// between them: 0.98; from the dividend on: as stored.
	wantF := map[int]float64{5: 0.49, 6: 0.49, 7: 0.98, 8: 0.98, 9: 1, 12: 1}
	wantV := map[int]int64{5: 2000, 6: 2000, 7: 1000, 8: 1000, 9: 1000, 12: 1000}
	page, err := eng.Bars(ctx, BarQuery{Symbol: "TST", From: d(1), To: d(31), Adjusted: true})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 6 || len(page.Bars) != 6 {
		t.Fatalf("%d of %d bars", len(page.Bars), page.Total)
	}
	for _, b := range page.Bars {
		day := b.T.Day()
		if f := wantF[day]; math.Abs(b.PriceFactor-f) > 1e-12 || math.Abs(b.Close-closes[day]*f) > 1e-9 || math.Abs(b.High-(closes[day]+1)*f) > 1e-9 {
			t.Errorf("Jan %d: factor %v close %v high %v, want %v, %v and %v", day, b.PriceFactor, b.Close, b.High, f, closes[day]*f, (closes[day]+1)*f)
		}
		if b.Volume != wantV[day] {
			t.Errorf("Jan %d: volume %d, want %d", day, b.Volume, wantV[day])
		}
	}
	// The adjusted series has no split gap: Jan 6 -> 7 is 102*0.49 -> 51*0.98.
	if r := page.Bars[2].Close / page.Bars[1].Close; math.Abs(r-1) > 1e-12 {
		t.Errorf("adjusted Jan 6 -> 7 return %v, want 0", r-1)
	}

	raw, err := eng.Bars(ctx, BarQuery{Symbol: "TST", From: d(1), To: d(31), Limit: 2, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	if raw.Total != 6 || len(raw.Bars) != 2 || raw.Bars[0].Close != 102 || raw.Bars[0].PriceFactor != 1 {
		t.Errorf("raw page %+v", raw)
	}
	in, err := eng.Bars(ctx, BarQuery{Symbol: "TST", Intraday: true, From: d(6), To: d(6), Adjusted: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Bars) != 2 || in.Bars[1].PriceFactor != 0.49 || in.Bars[1].Close != 102*0.49 || in.Bars[1].Volume != 20 {
		t.Errorf("intraday %+v, want both Jan 6 bars at 0.49", in.Bars)
	}
}
