package quant

import "math"

// normCDF is the standard normal distribution function: the density times the Mills ratio
// (millsTable), one exponential and a polynomial where math.Erfc takes a rational function
// near the centre and two exponentials in the tails.
func normCDF(x float64) float64 {
	c, _ := normCDFPDF(x)
	return c
}

// normCDFPDF is normCDF(x) and normPDF(x), the same numbers to the last bit, with one
// exponential between them: the boundary's integrands want both at every point.
func normCDFPDF(x float64) (cdf, pdf float64) {
	z := math.Abs(x)
	if !(z < millsHi) {
		return 0.5 * math.Erfc(-x/math.Sqrt2), normPDF(x)
	}
	// The Mills ratio at z from the nearest point's Taylor coefficients, by Estrin's scheme:
	// the pairs, then the quadruples, formed side by side. The point is found as expInRange
	// rounds, in the low bits of the mantissa, which takes fewer steps than a conversion to
	// an integer and back; halfway between two points it is the even one, either being as
	// close.
	id := z*millsN + roundShift
	i := int(math.Float64bits(id) - math.Float64bits(roundShift))
	id -= roundShift
	d := z - id*(1.0/millsN)
	c := &millsTable[i]
	d2 := d * d
	r := ((c[0] + c[1]*d) + d2*(c[2]+c[3]*d)) + (d2*d2)*((c[4]+c[5]*d)+d2*(c[6]+c[7]*d))
	// As in tailPDF; -0.5·x·x of normPDF is -0.5·z² exactly, the halving being exact. The
	// density's exponential is expInRange (-0.5·millsHi² > -700) written out: a call would
	// save the polynomial and restore it around it, at every point of every pricing.
	zz := z * z
	xe := -0.5 * zz
	kd := xe*expInvLn2N + roundShift
	k := int64(math.Float64bits(kd) - math.Float64bits(roundShift))
	kd -= roundShift
	re := xe - kd*expLn2Hi - kd*expLn2Lo
	re2 := re * re
	q := re * ((1 + re*(1.0/2)) + re2*((1.0/6+re*(1.0/24))+re2*(1.0/120)))
	t := expTable[k&(expN-1)]
	e := (t + t*q) * math.Float64frombits(uint64((k>>expTableBits)+1023)<<52)
	tail := e * (1 - 0.5*math.FMA(z, z, -zz)) * invSqrt2Pi * r
	if x >= 0 {
		tail = 1 - tail
	}
	return tail, e * invSqrt2Pi
}

// normCDFOf is normCDF(x) given the density n(x), worked out another way: the Mills ratio
// times it, without an exponential.
func normCDFOf(x, pdf float64) float64 {
	z := math.Abs(x)
	if !(z < millsHi) {
		return 0.5 * math.Erfc(-x/math.Sqrt2)
	}
	i := int(z*millsN + 0.5)
	d := z - float64(i)*(1.0/millsN)
	c := &millsTable[i]
	d2 := d * d
	r := ((c[0] + c[1]*d) + d2*(c[2]+c[3]*d)) + (d2*d2)*((c[4]+c[5]*d)+d2*(c[6]+c[7]*d))
	tail := pdf * r
	if x >= 0 {
		tail = 1 - tail
	}
	return tail
}

// densityBelow is n(d₋) given n(d₊) and their ratio n(d₋)/n(d₊) = S/K·e^{(r-q)τ} (from
// S e^{-qτ} n(d₊) = K e^{-rτ} n(d₋)), which saves an exponential; above a ratio of one
// n(d₊) may have underflowed where n(d₋) has not, and the density is worked out afresh.
func densityBelow(pdfPlus, ratio, dMinus float64) float64 {
	if ratio <= 1 {
		return pdfPlus * ratio
	}
	return normPDF(dMinus)
}

// The Mills ratio R(z) = N(-z)/n(z) is held on [0, millsHi) at steps of 1/millsN as the
// first millsTerms coefficients of its Taylor series about each point, which follow from
// R' = zR - 1: differentiating k times gives R^(k+1) = zR^(k) + kR^(k-1). With steps of 1/64
// and eight terms the truncation is below 1e-19 relative and N agrees with math.Erfc to
// about its own accuracy (TestNormCDF); the polynomial is three multiply-adds deep.
// Above millsHi N(-z) is below 1e-300.
const (
	millsHi    = 37
	millsN     = 64
	millsTerms = 8
)

// millsTable holds R^(k)(z0)/k! for k < millsTerms at z0 = i/millsN, a cache line a point.
var millsTable = func() (t [millsHi*millsN + 1][millsTerms]float64) {
	for i := range t {
		z := float64(i) / millsN
		c := &t[i]
		c[0] = 0.5 * math.Erfc(z/math.Sqrt2) / tailPDF(z)
		c[1] = z*c[0] - 1
		for k := 1; k+1 < millsTerms; k++ {
			// (k+1)! a_{k+1} = z k! a_k + k (k-1)! a_{k-1}, a_k = R^(k)/k!.
			c[k+1] = (z*c[k] + c[k-1]) / float64(k+1)
		}
	}
	return t
}()

// tailPDF is n(z) with z² carried to twice the precision: far out, the rounding of z² would
// otherwise cost e^{-z²/2} its last digits.
func tailPDF(z float64) float64 {
	zz := z * z
	return fastExp(-0.5*zz) * (1 - 0.5*math.FMA(z, z, -zz)) * invSqrt2Pi
}

// normPDF is the standard normal density.
func normPDF(x float64) float64 { return fastExp(-0.5*x*x) * invSqrt2Pi }

// invSqrt2Pi is 1/√(2π).
const invSqrt2Pi = 0.3989422804014327
