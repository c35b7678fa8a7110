package quant

import "math"

// normCDF is the standard normal distribution function. Near the centre it is math.Erfc
// (polynomial there); in the tails, where math.Erfc takes two exponentials, it is the density
// times the Mills ratio from millsRatio.
func normCDF(x float64) float64 {
	z := math.Abs(x)
	if !(z >= millsLo && z < millsHi) {
		return 0.5 * math.Erfc(-x/math.Sqrt2)
	}
	tail := tailPDF(z) * millsRatio(z)
	if x < 0 {
		return tail
	}
	return 1 - tail
}

// normCDFPDF is normCDF(x) and normPDF(x), the same numbers to the last bit, with one
// exponential between them where normCDF takes the tail's: the boundary's integrands want
// both at every point, and in the tails the density is most of normCDF's cost.
func normCDFPDF(x float64) (cdf, pdf float64) {
	z := math.Abs(x)
	if !(z >= millsLo && z < millsHi) {
		return 0.5 * math.Erfc(-x/math.Sqrt2), normPDF(x)
	}
	// As in tailPDF; -0.5·x·x of normPDF is -0.5·z² exactly, the halving being exact.
	zz := z * z
	e := fastExp(-0.5 * zz)
	tail := e * (1 - 0.5*math.FMA(z, z, -zz)) * invSqrt2Pi * millsRatio(z)
	if x >= 0 {
		tail = 1 - tail
	}
	return tail, e * invSqrt2Pi
}

// The Mills ratio R(z) = N(-z)/n(z) is tabulated on [millsLo, millsHi) at steps of 1/millsN
// and expanded about the nearest point with its Taylor series, whose coefficients follow from
// R' = zR - 1: differentiating k times gives R^(k+1) = zR^(k) + kR^(k-1). With steps of 1/128
// and seven terms the tails agree with math.Erfc to about its own accuracy (TestNormCDFTails).
// Below millsLo math.Erfc needs no exponential
// and is faster; above millsHi N(-z) is below 1e-300.
const (
	millsLo = 1.75
	millsHi = 37
	millsN  = 128
)

var millsTable = func() []float64 {
	t := make([]float64, int((millsHi-millsLo)*millsN)+2)
	for i := range t {
		z := millsLo + float64(i)/millsN
		t[i] = 0.5 * math.Erfc(z/math.Sqrt2) / tailPDF(z)
	}
	return t
}()

// tailPDF is n(z) with z² carried to twice the precision: far out, the rounding of z² would
// otherwise cost e^{-z²/2} its last digits.
func tailPDF(z float64) float64 {
	zz := z * z
	return fastExp(-0.5*zz) * (1 - 0.5*math.FMA(z, z, -zz)) * invSqrt2Pi
}

func millsRatio(z float64) float64 {
	i := int((z-millsLo)*millsN + 0.5)
	z0 := millsLo + float64(i)/millsN
	d := z - z0
	// Taylor terms R^(k)(z0) d^k / k!, each from the two before by the recurrence.
	prev, cur := 0.0, millsTable[i] // R^(k-1) d^(k-1)/(k-1)! and R^(k) d^k/k!, at k = 0
	sum := cur
	next := (z0*cur - 1) * d // k = 1: R' = zR - 1
	prev, cur = cur, next
	sum += cur
	zd, dd := z0*d, d*d
	for _, inv := range [...]float64{1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6} {
		// R^(k+1) d^(k+1)/(k+1)! = (z0 R^(k) d^k/k! · d + k R^(k-1) d^(k-1)/(k-1)! · d²/k) / (k+1)
		next = (zd*cur + dd*prev) * inv
		prev, cur = cur, next
		sum += cur
	}
	return sum
}

// normPDF is the standard normal density.
func normPDF(x float64) float64 { return fastExp(-0.5*x*x) * invSqrt2Pi }

// invSqrt2Pi is 1/√(2π).
const invSqrt2Pi = 0.3989422804014327
