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

// normCDFOf, given the density, agrees with normCDFPDF but for normCDFPDF's correction of
// the rounding of x² (a relative 0.5·x²·2⁻⁵³ at most), and densityBelow's ratio of the
// densities at d₋ = d₊ - σ√τ gives n(d₋) to within rounding of the ratio's exponential.
func TestNormCDFOfAndDensityBelow(t *testing.T) {
	worstCDF, worstPDF := 0.0, 0.0
	for x := -38.0; x <= 38; x += 0.000917 {
		c, n := normCDFPDF(x)
		if got := normCDFOf(x, n); c != 0 {
			worstCDF = math.Max(worstCDF, math.Abs(got-c)/c/(1+x*x))
		}
		for _, vst := range []float64{1e-3, 0.1, 0.7, 3} {
			dm := x - vst
			// n(d₋)/n(d₊) = e^{σ√τ(d₋ + d₊)/2}, here from math.Exp.
			ratio := math.Exp(vst * (dm + x) / 2)
			want := normPDF(dm)
			if got := densityBelow(n, ratio, dm); want > 1e-300 {
				worstPDF = math.Max(worstPDF, math.Abs(got-want)/want)
			}
		}
	}
	t.Logf("normCDFOf within %.3g·(1+x²) of normCDFPDF, densityBelow within %.3g of normPDF", worstCDF, worstPDF)
	if worstCDF > 2e-16 {
		t.Errorf("normCDFOf is %.3g off normCDFPDF", worstCDF)
	}
	if worstPDF > 1e-12 {
		t.Errorf("densityBelow is %.3g off normPDF", worstPDF)
	}
}
