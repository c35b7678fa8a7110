package quant

import (
	"math"
	"testing"
)

// binormByQuadrature integrates n(u) N((y - ρu)/√(1-ρ²)) over u <= x with Simpson's rule.
func binormByQuadrature(x, y, rho float64) float64 {
	const lo, n = -12.0, 4000
	if x <= lo {
		return 0
	}
	h := (x - lo) / n
	f := func(u float64) float64 { return normPDF(u) * normCDF((y-rho*u)/math.Sqrt(1-rho*rho)) }
	sum := f(lo) + f(x)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(lo+float64(i)*h)
	}
	return sum * h / 3
}

func TestBinormCDF(t *testing.T) {
	t.Run("closed forms", func(t *testing.T) {
		for _, rho := range []float64{-0.999, -0.9, -0.5, 0, 0.3, 0.786, 0.95, 0.999} {
			// M(0, 0, ρ) = 1/4 + asin(ρ)/(2π).
			if got, want := binormCDF(0, 0, rho), 0.25+math.Asin(rho)/(2*math.Pi); !near(got, want, 1e-14) {
				t.Errorf("M(0,0,%v) = %v, want %v", rho, got, want)
			}
		}
		for _, x := range []float64{-3, -0.4, 0, 1.2} {
			for _, y := range []float64{-2, 0.5, 4} {
				if got, want := binormCDF(x, y, 0), normCDF(x)*normCDF(y); !near(got, want, 1e-15) {
					t.Errorf("M(%v,%v,0) = %v, want %v", x, y, got, want)
				}
				if got, want := binormCDF(x, y, 1), normCDF(math.Min(x, y)); got != want {
					t.Errorf("M(%v,%v,1) = %v, want %v", x, y, got, want)
				}
				if got, want := binormCDF(x, y, -1), math.Max(0, normCDF(x)-normCDF(-y)); !near(got, want, 1e-15) {
					t.Errorf("M(%v,%v,-1) = %v, want %v", x, y, got, want)
				}
			}
		}
	})
	t.Run("quadrature", func(t *testing.T) {
		// Every branch of Genz's method: |ρ| < 0.3, < 0.75, < 0.925 and above.
		for _, rho := range []float64{-0.99, -0.93, -0.786, -0.5, -0.1, 0.2, 0.6, 0.786, 0.9, 0.97} {
			for _, x := range []float64{-4, -1.5, 0, 0.8, 3} {
				for _, y := range []float64{-3, -0.2, 1, 2.5} {
					if got, want := binormCDF(x, y, rho), binormByQuadrature(x, y, rho); !near(got, want, 1e-10) {
						t.Errorf("M(%v,%v,%v) = %v, quadrature %v", x, y, rho, got, want)
					}
				}
			}
		}
	})
}

func TestLogNormCDF(t *testing.T) {
	for _, x := range []float64{-5, -19.999, -20, -20.001, -30, -37} {
		if got, want := logNormCDF(x), math.Log(normCDF(x)); !near(got, want, 1e-9*math.Abs(want)) {
			t.Errorf("logNormCDF(%v) = %v, want %v", x, got, want)
		}
	}
	// Beyond the range of N itself the series keeps going.
	if got := logNormCDF(-100); math.IsInf(got, 0) || got > -5000 || got < -5010 {
		t.Errorf("logNormCDF(-100) = %v", got)
	}
}

// The tabulated tails against math.Erfc: within 1e-13 down to N = 1e-89 and 1e-12 beyond,
// where math.Erfc's own error (7e-14 at x = -36) shows.
func TestNormCDFTails(t *testing.T) {
	for _, r := range []struct{ lo, hi, tol float64 }{{-20, 9, 1e-13}, {-38, -20, 1e-12}} {
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

// Bjerksund-Stensland's fixed-correlation rule against Genz's 20 points.
func TestBinormBjerksundStensland(t *testing.T) {
	for _, m := range []*binorm{&bsCorr, &bsAnti} {
		ref := newBinormRule(m.rho, glX[2], glW[2])
		worst := 0.0
		for x := -9.0; x <= 9; x += 0.07 {
			for y := -9.0; y <= 9; y += 0.07 {
				worst = math.Max(worst, math.Abs(m.cdf(x, y)-ref.cdf(x, y)))
			}
		}
		if worst > 3e-13 {
			t.Errorf("ρ = %v: 10 nodes are %g from 20", m.rho, worst)
		}
	}
}
