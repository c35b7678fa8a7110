package quant

import "math"

// dual is a number carried with its derivatives in the inputs the Greeks need: first in
// spot, volatility, rate and time to expiry, second in spot. The American price is a long
// chain of elementary functions (the boundary's fixed-point iteration and its integrals), and
// carrying the derivatives through it gives exact Greeks from one evaluation, where finite
// differences take six.
type dual struct {
	v         float64
	s, ss     float64 // ∂/∂S, ∂²/∂S²
	vol, r, t float64 // ∂/∂σ, ∂/∂r, ∂/∂T
}

func constant(x float64) dual { return dual{v: x} }

// dualInputs are the inputs of p as the variables the Greeks differentiate in; the dividend
// yield is a constant.
func dualInputs(p Params) (spot, vol, rate, div, t dual) {
	return dual{v: p.Spot, s: 1}, dual{v: p.Vol, vol: 1}, dual{v: p.Rate, r: 1}, constant(p.Div), dual{v: p.Time, t: 1}
}

func (a dual) add(b dual) dual {
	return dual{a.v + b.v, a.s + b.s, a.ss + b.ss, a.vol + b.vol, a.r + b.r, a.t + b.t}
}

func (a dual) sub(b dual) dual {
	return dual{a.v - b.v, a.s - b.s, a.ss - b.ss, a.vol - b.vol, a.r - b.r, a.t - b.t}
}

func (a dual) addConst(c float64) dual {
	a.v += c
	return a
}

func (a dual) scale(c float64) dual {
	return dual{c * a.v, c * a.s, c * a.ss, c * a.vol, c * a.r, c * a.t}
}

func (a dual) mul(b dual) dual {
	return dual{
		v:   a.v * b.v,
		s:   a.s*b.v + a.v*b.s,
		ss:  a.ss*b.v + 2*a.s*b.s + a.v*b.ss,
		vol: a.vol*b.v + a.v*b.vol,
		r:   a.r*b.v + a.v*b.r,
		t:   a.t*b.v + a.v*b.t,
	}
}

func (a dual) div(b dual) dual { return a.mul(b.recip()) }

// chain is f(a) given f, f' and f” at a.v.
func (a dual) chain(f, f1, f2 float64) dual {
	return dual{f, f1 * a.s, f2*a.s*a.s + f1*a.ss, f1 * a.vol, f1 * a.r, f1 * a.t}
}

func (a dual) recip() dual {
	r := 1 / a.v
	return a.chain(r, -r*r, 2*r*r*r)
}

func (a dual) exp() dual {
	e := fastExp(a.v)
	return a.chain(e, e, e)
}

func (a dual) expm1() dual {
	e := math.Expm1(a.v)
	return a.chain(e, e+1, e+1)
}

func (a dual) log() dual {
	r := 1 / a.v
	return a.chain(math.Log(a.v), r, -r*r)
}

func (a dual) sqrt() dual {
	q := math.Sqrt(a.v)
	return a.chain(q, 0.5/q, -0.25/(q*a.v))
}

// logNormCDFDual is log N(x). Its derivative n(x)/N(x) is formed from logarithms too, so it
// stays finite (about -x) far in the left tail.
func logNormCDFDual(x dual) dual {
	l := logNormCDF(x.v)
	lambda := math.Exp(-0.5*x.v*x.v - lnSqrt2Pi - l)
	return x.chain(l, lambda, -lambda*(x.v+lambda))
}

// lnSqrt2Pi is log √(2π).
const lnSqrt2Pi = 0.9189385332046727

// logNormCDFBound is an upper bound on log N(x) that costs no special function: N(x) <=
// n(x)/|x| <= n(x) for x <= -1.
func logNormCDFBound(x float64) float64 {
	if x >= -1 {
		return 0
	}
	return -0.5*x*x - lnSqrt2Pi
}

// negligible is the logarithm of a term of Bjerksund-Stensland too small to matter: the
// price of a unit strike is a sum of some twenty terms, so dropping those below 1e-16 moves
// it by less than 2e-15 of the strike, far below PriceTol.
const negligible = -36.8

// expNDual is e^a N(x). At low volatility e^a overflows while N(x) underflows; the product
// is then formed as one exponential of a sum of logarithms. A negligible term is zero.
func expNDual(a, x dual) dual {
	if a.v+logNormCDFBound(x.v) < negligible {
		return dual{}
	}
	if a.v < 700 && x.v > -37 {
		n := normPDF(x.v)
		return a.exp().mul(x.chain(normCDF(x.v), n, -x.v*n))
	}
	return a.add(logNormCDFDual(x)).exp()
}

// expMDual is e^a M(x, y, ρ) for the correlation of m, with the partial derivatives of the
// bivariate normal in closed form: ∂M/∂x = n(x) N((y - ρx)/√(1-ρ²)), and the second
// derivatives from those and the bivariate density. The bound M <= min(N(x), N(y)) skips
// negligible terms.
func expMDual(a, x, y dual, m *binorm) dual {
	if a.v+logNormCDFBound(math.Min(x.v, y.v)) < negligible {
		return dual{}
	}
	mv := m.cdf(x.v, y.v)
	if mv <= 0 {
		return dual{}
	}
	nx, ny := normPDF(x.v), normPDF(y.v)
	zx, zy := (y.v-m.rho*x.v)/m.sd, (x.v-m.rho*y.v)/m.sd
	mx, my := nx*normCDF(zx), ny*normCDF(zy)
	density := nx * normPDF(zx) / m.sd
	mxx, myy := -x.v*mx-m.rho*density, -y.v*my-m.rho*density
	p := dual{
		v:   mv,
		s:   mx*x.s + my*y.s,
		ss:  mxx*x.s*x.s + 2*density*x.s*y.s + myy*y.s*y.s + mx*x.ss + my*y.ss,
		vol: mx*x.vol + my*y.vol,
		r:   mx*x.r + my*y.r,
		t:   mx*x.t + my*y.t,
	}
	if a.v < 700 && mv > 1e-290 {
		return a.exp().mul(p)
	}
	// As logarithms: log M has the derivatives of M divided by M.
	inv := 1 / mv
	l := dual{v: math.Log(mv), s: p.s * inv, vol: p.vol * inv, r: p.r * inv, t: p.t * inv}
	l.ss = p.ss*inv - l.s*l.s
	return a.add(l).exp()
}
