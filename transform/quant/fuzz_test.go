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
