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

// Genz's 20-point rule, the reference for the 10 points used.
var (
	gl20X = []float64{-0.9931285991850949, -0.9639719272779138, -0.912234428251326, -0.8391169718222189,
		-0.7463319064601508, -0.636053680726515, -0.5108670019508271, -0.37370608871541955,
		-0.22778585114164507, -0.07652652113349734}
	gl20W = []float64{0.017614007139152264, 0.04060142980038705, 0.06267204833410904, 0.08327674157670474,
		0.10193011981724048, 0.11819453196151831, 0.1316886384491765, 0.14209610931838215,
		0.14917298647260382, 0.15275338713072598}
)

func TestBinormCDF(t *testing.T) {
	for _, rho := range []float64{-0.9, -0.786, -0.5, 0, 0.3, 0.786, 0.9} {
		m := newBinormRule(rho, gl20X, gl20W)
		// M(0, 0, ρ) = 1/4 + asin(ρ)/(2π).
		if got, want := m.cdf(0, 0), 0.25+math.Asin(rho)/(2*math.Pi); !near(got, want, 1e-14) {
			t.Errorf("M(0,0,%v) = %v, want %v", rho, got, want)
		}
		for _, x := range []float64{-4, -1.5, 0, 0.8, 3} {
			for _, y := range []float64{-3, -0.2, 1, 2.5} {
				if got, want := m.cdf(x, y), binormByQuadrature(x, y, rho); !near(got, want, 1e-10) {
					t.Errorf("M(%v,%v,%v) = %v, quadrature %v", x, y, rho, got, want)
				}
				if rho == 0 {
					if got, want := m.cdf(x, y), normCDF(x)*normCDF(y); !near(got, want, 1e-15) {
						t.Errorf("M(%v,%v,0) = %v, want %v", x, y, got, want)
					}
				}
			}
		}
	}
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

// Bjerksund-Stensland's 10-point rule at its fixed correlation against Genz's 20 points,
// on the distribution function and on the prices and Greeks it feeds.
func TestBinormBjerksundStensland(t *testing.T) {
	for _, m := range []*binorm{&bsCorr, &bsAnti} {
		ref := newBinormRule(m.rho, gl20X, gl20W)
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
	c10, a10 := bsCorr, bsAnti
	c20, a20 := newBinormRule(c10.rho, gl20X, gl20W), newBinormRule(a10.rho, gl20X, gl20W)
	defer func() { bsCorr, bsAnti = c10, a10 }()
	price, gamma := 0.0, 0.0
	for _, kind := range []Kind{Call, Put} {
		for k := 50.0; k <= 200; k += 5 {
			for _, tm := range []float64{0.01, 0.05, 0.2, 0.5, 1, 3} {
				for _, vol := range []float64{0.05, 0.1, 0.2, 0.4, 0.8} {
					for _, rq := range [][2]float64{{0.04, 0.015}, {0.06, 0.03}, {0.02, 0.05}} {
						p := Params{Kind: kind, Spot: 100, Strike: k, Rate: rq[0], Div: rq[1], Vol: vol, Time: tm}
						bsCorr, bsAnti = c10, a10
						d10 := bs2002(p)
						bsCorr, bsAnti = c20, a20
						d20 := bs2002(p)
						price = math.Max(price, math.Abs(d10.v-d20.v))
						gamma = math.Max(gamma, math.Abs(d10.ss-d20.ss))
					}
				}
			}
		}
	}
	if price > 1e-11 || gamma > 1e-13 {
		t.Errorf("10 nodes move prices by %g and gammas by %g on a spot of 100", price, gamma)
	}
}
