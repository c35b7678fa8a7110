package quant

import (
	"math"
	"testing"
)

// Seeds live in testdata/fuzz/FuzzParseCurve.
func FuzzParseCurve(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCurve(s)
		if err != nil {
			return
		}
		for _, tm := range []float64{-1, 0, 1e-9, 0.5, 1, 7, 1e9} {
			if r := c.Rate(tm); math.IsNaN(r) || math.IsInf(r, 0) {
				t.Fatalf("ParseCurve(%q).Rate(%v) = %v", s, tm, r)
			}
		}
		// String is canonical: it parses back to a curve that prints the same.
		again, err := ParseCurve(c.String())
		if err != nil {
			t.Fatalf("ParseCurve(%q) does not read back its String %q: %v", s, c.String(), err)
		}
		if again.String() != c.String() {
			t.Fatalf("round trip %q -> %q -> %q", s, c.String(), again.String())
		}
	})
}

// Seeds live in testdata/fuzz/FuzzImpliedVol.
func FuzzImpliedVol(f *testing.F) {
	f.Fuzz(func(t *testing.T, put, american bool, spot, strike, rate, div, tm, price float64) {
		p := Params{Kind: Call, Spot: spot, Strike: strike, Rate: rate, Div: div, Time: tm}
		if put {
			p.Kind = Put
		}
		style := European
		if american {
			style = American
		}
		v, err := ImpliedVolStyle(p, price, style)
		if err != nil {
			return
		}
		if math.IsNaN(v) || v < 0 || v > MaxVol {
			t.Fatalf("ImpliedVolStyle(%+v, %v, %v) = %v with nil error", p, price, style, v)
		}
	})
}

// FuzzAmerican prices contracts over a wide range of moneyness, volatility, carry and
// expiry: the price and every Greek are finite and the price is at least the intrinsic value.
// Seeds live in testdata/fuzz/FuzzAmerican.
func FuzzAmerican(f *testing.F) {
	f.Fuzz(func(t *testing.T, put bool, spot, strike, rate, div, vol, tm float64) {
		p := Params{Kind: Call, Spot: spot, Strike: strike, Rate: rate, Div: div, Vol: vol, Time: tm}
		if put {
			p.Kind = Put
		}
		// Contracts a market could quote: the rest is NaN or Validate's error by design.
		if p.Validate() != nil || spot/strike < 1e-3 || spot/strike > 1e3 || strike > 1e6 || strike < 1e-3 ||
			math.Abs(rate) > 0.5 || math.Abs(div) > 0.5 || vol > MaxVol || tm > 30 {
			return
		}
		g := AmericanGreeks(p)
		for _, x := range []float64{g.Price, g.Delta, g.Gamma, g.ThetaYear, g.Vega, g.Rho} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("AmericanGreeks(%+v) = %+v", p, g)
			}
		}
		intrinsic := math.Max(spot-strike, 0)
		if put {
			intrinsic = math.Max(strike-spot, 0)
		}
		if g.Price < intrinsic-1e-9*strike {
			t.Fatalf("AmericanPrice(%+v) = %v below intrinsic %v", p, g.Price, intrinsic)
		}
	})
}
