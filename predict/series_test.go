package predict

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

func TestLoadReadsFeaturesFromTheLake(t *testing.T) {
	eng := sharedLake(t)
	all, err := Load(context.Background(), eng, market.NYSE(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(testSymbols) {
		t.Fatalf("%d series, want %d", len(all), len(testSymbols))
	}
	s := all["AAPL"]
	n := s.Len()
	if n < 490 || !s.Dates[n-1].Equal(testDay) {
		t.Fatalf("AAPL: %d sessions ending %s", n, s.Dates[n-1])
	}
	intraday := 0
	for i := range n {
		if s.Intraday[i] {
			intraday++
		}
		if !(s.RV[i] >= 0) {
			t.Fatalf("RV[%d] = %g", i, s.RV[i])
		}
	}
	if intraday < n-5 {
		t.Errorf("%d of %d sessions have realised variance from 15-minute bars", intraday, n)
	}
	if math.IsNaN(s.IV[n-1]) || math.IsNaN(s.Skew[n-1]) || math.IsNaN(s.Term[n-1]) || len(s.Chain) == 0 {
		t.Errorf("options features of the last session: iv %g skew %g term %g, %d expiries", s.IV[n-1], s.Skew[n-1], s.Term[n-1], len(s.Chain))
	}
	if !math.IsNaN(s.IV[n-optionDays-1]) {
		t.Errorf("an implied volatility before the first snapshot: %g", s.IV[n-optionDays-1])
	}
	if iv := s.IV[n-1]; iv < 0.05 || iv > 1.5 {
		t.Errorf("ATM IV %.3f", iv)
	}
	// Annualised realised volatility of the synthetic market: 18 to 55 %
	// long-run, plus jumps.
	mean := 0.0
	for _, x := range s.RV {
		mean += x
	}
	if vol := math.Sqrt(mean / float64(n) * tradingDays); vol < 0.1 || vol > 0.9 {
		t.Errorf("realised volatility %.3f", vol)
	}
	if _, ok := all["ZZZZ"]; ok {
		t.Error("a series for a symbol the lake does not have")
	}
}

// Rows after t change (later bars rewritten, a later snapshot added);
// the forecast made at t does not.
func TestForecastAtTIgnoresRowsAfterT(t *testing.T) {
	ctx := context.Background()
	store, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTestLake(ctx, t, store); err != nil {
		t.Fatal(err)
	}
	eng, err := query.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cal := market.NYSE()
	at := cal.PrevTradingDay(cal.PrevTradingDay(cal.PrevTradingDay(testDay)))
	_, closeT, _ := cal.Session(at)
	asOf := closeT.Add(time.Minute)
	svc := func() *Service {
		return &Service{Lake: eng, Calendar: cal, Clock: clock.NewManual(asOf)}
	}
	before, err := svc().Predict(ctx, "MSFT", 5)
	if err != nil {
		t.Fatal(err)
	}
	s0, err := Load(ctx, eng, cal, asOf, "MSFT")
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite every MSFT bar after t with prices doubled, and add a
	// snapshot after t with a different volatility level.
	var daily []market.DailyBar
	var bars []market.IntradayBar
	for _, d := range cal.TradingDays(cal.NextTradingDay(at), testDay) {
		daily = append(daily, market.DailyBar{Symbol: "MSFT", Date: d, Open: 900, High: 990, Low: 800, Close: 950, Volume: 1, IngestedAt: testNow})
		for _, ts := range cal.Bars15(d) {
			bars = append(bars, market.IntradayBar{Symbol: "MSFT", TS: ts, Open: 900, High: 990, Low: 800, Close: 850 + 100*float64(ts.Minute()%2), Volume: 1, IngestedAt: testNow})
		}
	}
	laketest.Commit(t, store, market.DailyBars, 1, 0, 0, daily)
	laketest.Commit(t, store, market.IntradayBars, 1, 0, 0, bars)
	snap := closeT.Add(time.Hour)
	laketest.Commit(t, store, market.IVSmiles, 1, 0, 0, []market.IVSmile{{SnapshotTS: snap, Symbol: "MSFT", Expiration: at.AddDate(0, 0, 30),
		DaysToExpiry: 30, UnderlyingPrice: 950, Forward: 951, ATMIV: 2.5, Skew25: 0.5, Points: 3, Smile: "[]", IngestedAt: snap}})
	eng.RefreshEvery = 0
	newest, err := Load(ctx, eng, cal, testNow, "MSFT")
	if err != nil {
		t.Fatal(err)
	}
	if n := newest["MSFT"].Len(); newest["MSFT"].Close[n-1] != 950 {
		t.Fatalf("the rewritten rows are not visible now: last close %g", newest["MSFT"].Close[n-1])
	}
	s1, err := Load(ctx, eng, cal, asOf, "MSFT")
	if err != nil {
		t.Fatal(err)
	}
	// Printed, so that NaN (no snapshot that session) equals NaN.
	if a, b := fmt.Sprintf("%+v", *s0["MSFT"]), fmt.Sprintf("%+v", *s1["MSFT"]); a != b {
		t.Errorf("the series at t changed when rows after t did:\nbefore %s\nafter  %s", a, b)
	}
	after, err := svc().Predict(ctx, "MSFT", 5)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("forecast at t changed:\nbefore %+v\nafter  %+v", before, after)
	}
	if before.LastDate != at.Format(time.DateOnly) {
		t.Errorf("forecast at %s used data of %s", at.Format(time.DateOnly), before.LastDate)
	}
}
