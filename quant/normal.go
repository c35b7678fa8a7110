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

// logNormCDF is log N(x), accurate where N(x) itself underflows. Bjerksund-Stensland at low
// volatility multiplies huge powers by tiny tail probabilities, and the product is only
// representable when the two are combined as logarithms.
func logNormCDF(x float64) float64 {
	if x > -20 {
		return math.Log(normCDF(x))
	}
	// Asymptotic series of the Mills ratio; at x = -20 the next term is below 1e-10.
	z := 1 / (x * x)
	series := 1 - z*(1-3*z*(1-5*z*(1-7*z)))
	return -0.5*x*x - math.Log(-x) - 0.5*math.Log(2*math.Pi) + math.Log(series)
}

// The 10-point Gauss-Legendre rule on [-1, 1]: the negative half of its nodes, and their
// weights.
var (
	gl10X = []float64{-0.9739065285171717, -0.8650633666889845, -0.6794095682990244,
		-0.4333953941292472, -0.1488743389816312}
	gl10W = []float64{0.0666713443086881, 0.1494513491505806, 0.2190863625159820,
		0.2692667193099963, 0.2955242247147529}
)

// binorm is the bivariate normal distribution function P(X <= x, Y <= y) for one
// correlation |ρ| < 0.925, by Genz's (2004) method: "Numerical computation of rectangular
// bivariate and trivariate normal and t probabilities", Statistics and Computing 14,
// 251-260. The nodes of its Gauss-Legendre rule are worked out once, so that each
// evaluation is one exponential per node.
type binorm struct {
	n       int
	rho, sd float64 // ρ and √(1-ρ²)
	scale   float64 // asin(ρ) / 4π
	w       [20]float64
	sn      [20]float64 // sin of the node's angle
	inv     [20]float64 // 1 / (1 - sn²)
}

// newBinormRule is binorm with the Gauss-Legendre rule of nodes xs (the negative half) and
// weights ws.
func newBinormRule(rho float64, xs, ws []float64) binorm {
	asr := math.Asin(rho)
	m := binorm{rho: rho, sd: math.Sqrt((1 - rho) * (1 + rho)), scale: asr / (4 * math.Pi)}
	for i, xi := range xs {
		for _, sgn := range [2]float64{-1, 1} {
			sn := math.Sin(0.5 * asr * (sgn*xi + 1))
			m.w[m.n], m.sn[m.n], m.inv[m.n] = ws[i], sn, 1/(1-sn*sn)
			m.n++
		}
	}
	return m
}

// cdf is P(X <= x, Y <= y). Genz works with the upper orthant P(X > h, Y > k), h = -x, k = -y.
func (m *binorm) cdf(x, y float64) float64 {
	hk := x * y
	hs := 0.5 * (x*x + y*y)
	var bvn float64
	for i := range m.n {
		bvn += m.w[i] * fastExp((m.sn[i]*hk-hs)*m.inv[i])
	}
	return math.Max(0, bvn*m.scale+normCDF(x)*normCDF(y))
}
