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

func (a dual) log() dual {
	r := 1 / a.v
	return a.chain(math.Log(a.v), r, -r*r)
}

func (a dual) sqrt() dual {
	q := math.Sqrt(a.v)
	return a.chain(q, 0.5/q, -0.25/(q*a.v))
}
