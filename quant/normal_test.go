package quant

import (
	"math"
	"testing"
)

// The tabulated Mills ratio against math.Erfc over the whole line: within 1e-15 relative
// near the centre, where math.Erfc takes no exponential and the rounding of -x/√2 costs it
// little, 1e-13 down to N = 1e-89 and 1e-12 beyond, where math.Erfc's own error (7e-14 at
// x = -36) shows.
func TestNormCDF(t *testing.T) {
	for _, r := range []struct{ lo, hi, tol float64 }{{-1.75, 40, 1e-15}, {-20, -1.75, 1e-13}, {-38, -20, 1e-12}} {
		worst, at := 0.0, 0.0
		for x := r.lo; x <= r.hi; x += 0.000731 {
			got, want := normCDF(x), 0.5*math.Erfc(-x/math.Sqrt2)
			if want == 0 {
				continue
			}
			if e := math.Abs(got-want) / want; e > worst {
				worst, at = e, x
			}
		}
		t.Logf("[%v, %v]: worst relative error %.3g at %v", r.lo, r.hi, worst, at)
		if worst > r.tol {
			t.Errorf("normCDF is %.3g off math.Erfc at %v", worst, at)
		}
	}
}

// normCDFPDF must give what normCDF and normPDF give, to the bit, or the vega path and the
// full pricing would no longer price alike (TestVegaPathMatchesDual). normCDF returns
// normCDFPDF's first result, so it is the density, worked out apart by normPDF, that can
// part here.
func TestNormCDFPDFMatches(t *testing.T) {
	xs := []float64{0, math.Copysign(0, -1), 1.0 / millsN, 0.5 / millsN, -0.5 / millsN, millsHi, -millsHi, math.Nextafter(millsHi, 0), math.Inf(1), math.Inf(-1), 1e-310}
	for x := -40.0; x <= 40; x += 0.000917 {
		xs = append(xs, x)
	}
	for _, x := range xs {
		c, n := normCDFPDF(x)
		if c != normCDF(x) || n != normPDF(x) {
			t.Fatalf("normCDFPDF(%v) = %v, %v; normCDF %v, normPDF %v", x, c, n, normCDF(x), normPDF(x))
		}
	}
	if c, n := normCDFPDF(math.NaN()); !math.IsNaN(c) || !math.IsNaN(n) {
		t.Errorf("normCDFPDF(NaN) = %v, %v", c, n)
	}
}
