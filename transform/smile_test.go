package transform

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/quant"
)

func TestInterpolate(t *testing.T) {
	xs := []float64{-1, math.NaN(), 0, 2}
	ys := []float64{10, 99, 20, 40}
	at := func(i int) (float64, float64) { return xs[i], ys[i] }
	cases := []struct {
		x0, want float64
	}{{-1, 10}, {-0.5, 15}, {0, 20}, {1, 30}, {2, 40}, {-2, math.NaN()}, {3, math.NaN()}}
	for _, tc := range cases {
		got := interpolate(len(xs), tc.x0, at)
		if math.IsNaN(tc.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("interpolate(%v) = %v, want %v", tc.x0, got, tc.want)
		}
	}
}

// smileChain prices a chain whose IV is vol(log-moneyness against the
// forward) with Black-Scholes-Merton and enriches it as the cleaner does.
func smileChain(t *testing.T, vol func(k float64) float64) (*Cleaner, []market.OptionQuote) {
	t.Helper()
	snap := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	exp := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(snap), EuropeanIV: true}
	const spot = 100.0
	years := expiryClose(exp).Sub(snap).Hours() / 24 / 365
	fwd := spot * math.Exp(c.rate(years)*years)
	var qs []market.OptionQuote
	var closes expiries
	for k := 70.0; k <= 130; k += 2.5 {
		for _, typ := range []market.OptionType{market.Call, market.Put} {
			kind := quant.Call
			if typ == market.Put {
				kind = quant.Put
			}
			p := quant.Params{Kind: kind, Spot: spot, Strike: k, Rate: c.rate(years), Vol: vol(math.Log(k / fwd)), Time: years}
			price := quant.Price(p)
			q := market.OptionQuote{SnapshotTS: snap, Symbol: "AAPL", Type: typ, Expiration: exp, Strike: k,
				Bid: price, Ask: price, UnderlyingPrice: spot, LastPrice: math.NaN()}
			c.enrich(&q, &closes)
			qs = append(qs, q)
		}
	}
	return c, qs
}

func TestSmiles(t *testing.T) {
	cases := []struct {
		name                   string
		vol                    func(k float64) float64
		atm, skew, butterflyGE float64
	}{
		{"flat", func(float64) float64 { return 0.25 }, 0.25, 0, 0},
		// Put wing up, call wing down: positive skew, and curvature lifts both wings.
		{"skewed smile", func(k float64) float64 { return 0.25 - 0.3*k + 1.5*k*k }, 0.25, 0.02, 0.001},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, qs := smileChain(t, tc.vol)
			smiles := c.Smiles(qs)
			if len(smiles) != 1 {
				t.Fatalf("%d smiles, want one per snapshot and expiration", len(smiles))
			}
			s := smiles[0]
			if math.Abs(s.ATMIV-tc.atm) > 2e-3 {
				t.Errorf("ATM IV %v, want %v", s.ATMIV, tc.atm)
			}
			if tc.skew == 0 && math.Abs(s.Skew25) > 1e-6 || tc.skew > 0 && s.Skew25 < tc.skew {
				t.Errorf("25-delta skew %v, want %v", s.Skew25, tc.skew)
			}
			if s.Butterfly25 < tc.butterflyGE-1e-6 {
				t.Errorf("butterfly %v, want at least %v", s.Butterfly25, tc.butterflyGE)
			}
			var pts []market.SmilePoint
			if err := json.Unmarshal([]byte(s.Smile), &pts); err != nil {
				t.Fatal(err)
			}
			if int64(len(pts)) != s.Points || len(pts) != 25 {
				t.Fatalf("%d points in the JSON, Points %d, want 25 strikes", len(pts), s.Points)
			}
			for i, p := range pts {
				otm := p.Strike < s.Forward && p.Type == market.Put || p.Strike >= s.Forward && p.Type == market.Call
				if !otm || i > 0 && p.Strike <= pts[i-1].Strike {
					t.Errorf("point %d %+v: want out-of-the-money contracts by increasing strike", i, p)
				}
				// IVs solve prices to an absolute PriceTol, so far wings, whose
				// vega is tiny, are looser.
				tol := 1e-6
				if math.Abs(p.LogMoneyness) > 0.15 {
					tol = 1e-3
				}
				if want := tc.vol(p.LogMoneyness); math.Abs(p.IV-want) > tol {
					t.Errorf("strike %v IV %v, want %v", p.Strike, p.IV, want)
				}
			}
		})
	}
}
