package transform

import (
	"math"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
)

// TestOptionsAtIntrinsic: an American quote whose mid sits at or below its
// intrinsic value has no implied volatility. It keeps its row with NULL IV
// and Greeks (never 0% and a delta of -1) and is counted by reason; a quote
// a little above intrinsic still solves.
func TestOptionsAtIntrinsic(t *testing.T) {
	snap := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	exp := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC).Unix()
	f := func(v float64) *float64 { return &v }
	put := func(sym string, strike, bid, ask float64) wire.Contract {
		return wire.Contract{ContractSymbol: sym, Strike: f(strike), Bid: f(bid), Ask: f(ask), Expiration: &exp}
	}
	res := wire.OptionResult{UnderlyingSymbol: "AAPL", Quote: wire.YahooQuote{RegularMarketPrice: f(200)}}
	res.Options = []wire.OptionSeries{{ExpirationDate: exp, Puts: []wire.Contract{
		put("AAPL261218P00260000", 260, 59.9, 60.1), // mid 60: at intrinsic
		put("AAPL261218P00280000", 280, 79.0, 79.8), // mid 79.4: below intrinsic 80
		put("AAPL261218P00250000", 250, 50.1, 50.5), // mid 50.3: above intrinsic 50
		put("AAPL261218P00300000", 300, 300.5, 301), // above the strike: outside bounds
	}}}
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(snap)}
	quotes, rejects, rep := c.options(res, snap)
	if len(rejects) != 0 || len(quotes) != 4 {
		t.Fatalf("%d quotes, %d rejects; want 4 quotes", len(quotes), len(rejects))
	}
	for _, q := range quotes[:2] {
		for name, v := range map[string]float64{"iv": q.IV, "delta": q.Delta, "gamma": q.Gamma, "theta": q.Theta, "vega": q.Vega, "rho": q.Rho} {
			if !math.IsNaN(v) {
				t.Errorf("%s mid %v: %s = %v, want NULL", q.ContractSymbol, q.Mid, name, v)
			}
		}
	}
	if q := quotes[2]; !(q.IV > 0) || !(q.Delta > -1 && q.Delta < 0) {
		t.Errorf("%s just above intrinsic: iv %v delta %v, want a solution", q.ContractSymbol, q.IV, q.Delta)
	}
	want := [numUnsolved]int{UnsolvedAtIntrinsic: 2, UnsolvedOutsideBounds: 1}
	if rep.Unsolved != 3 || rep.UnsolvedBy != want {
		t.Errorf("unsolved %d by reason %v, want 3 by %v", rep.Unsolved, rep.UnsolvedBy, want)
	}
}

// TestChainDateOf holds the chain's remembered New York date to
// market.DateOf, over instants around both 2026 clock changes, in an order
// that goes back and forth between days.
func TestChainDateOf(t *testing.T) {
	var ch chain
	for _, start := range []time.Time{time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)} {
		for i := range 1000 {
			at := start.Add(time.Duration(i*37%1000) * 7 * time.Minute)
			if got, want := ch.dateOf(at), market.DateOf(at); !got.Equal(want) {
				t.Fatalf("dateOf(%v) = %v, market.DateOf %v", at, got, want)
			}
		}
	}
}
