package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVegaPathMatchesDual checks the volatility search's price path against the full one
// over the seeded grid of the accuracy target and its strongly negative carry corner: the
// same price to the last bit, and the same vega but for rounding.
func TestVegaPathMatchesDual(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2016))
	compared, fixedPoint := 0, 0
	for range 2000 {
		p := randomContract(rng)
		if rng.IntN(4) == 0 {
			p.Rate, p.Div = 0.12*rng.Float64(), 0.12*rng.Float64()
		}
		det := deterministicAmerican(p)
		d, how, euro := americanAt(p, det)
		v, vhow, veuro := americanVega(p, det)
		if how != vhow {
			t.Fatalf("%+v: priced by rule %v, the vega path by %v", p, how, vhow)
		}
		if d.v != v.v || euro.v != veuro.v {
			t.Fatalf("%+v: price %v (European %v), the vega path %v (%v)", p, d.v, euro.v, v.v, veuro.v)
		}
		if how != ruleClosedForm {
			continue
		}
		compared++
		if d.v != euro.v {
			fixedPoint++
		}
		if math.Abs(d.vol-v.vol) > 1e-9*math.Max(1, math.Abs(d.vol)) {
			t.Errorf("%+v: vega %v, the vega path %v", p, d.vol, v.vol)
		}
	}
	if compared < 1000 || fixedPoint < 500 {
		t.Errorf("only %d contracts had a closed-form vega, %d from the fixed-point method", compared, fixedPoint)
	}
}
