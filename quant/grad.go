package quant

import "math"

// grad is a number carried with its first derivatives in volatility, rate and time: dual
// without the spot derivatives. The exercise boundary does not depend on the spot, and the
// premium depends on it only through log S, linearly, so unitPut works its spot derivatives
// out by hand; carrying the two spot fields through every step would cost a third more
// arithmetic.
type grad struct {
	v, vol, r, t float64
}

func (a grad) add(b grad) grad { return grad{a.v + b.v, a.vol + b.vol, a.r + b.r, a.t + b.t} }

func (a grad) sub(b grad) grad { return grad{a.v - b.v, a.vol - b.vol, a.r - b.r, a.t - b.t} }

func (a grad) addConst(c float64) grad {
	a.v += c
	return a
}

func (a grad) scale(c float64) grad { return grad{c * a.v, c * a.vol, c * a.r, c * a.t} }

func (a grad) mul(b grad) grad {
	return grad{a.v * b.v, a.vol*b.v + a.v*b.vol, a.r*b.v + a.v*b.r, a.t*b.v + a.v*b.t}
}

func (a grad) div(b grad) grad {
	q := a.v / b.v
	ib := 1 / b.v
	return grad{q, (a.vol - q*b.vol) * ib, (a.r - q*b.r) * ib, (a.t - q*b.t) * ib}
}

// chain is f(a) given f and f' at a.v.
func (a grad) chain(f, f1 float64) grad { return grad{f, f1 * a.vol, f1 * a.r, f1 * a.t} }

func (a grad) recip() grad {
	r := 1 / a.v
	return a.chain(r, -r*r)
}

func (a grad) exp() grad {
	e := fastExp(a.v)
	return a.chain(e, e)
}

// expIs is a.exp() given e = fastExp(a.v), worked out before.
func (a grad) expIs(e float64) grad { return a.chain(e, e) }

func (a grad) log() grad { return a.chain(fastLog(a.v), 1/a.v) }

func (a grad) sqrt() grad {
	q := math.Sqrt(a.v)
	return a.chain(q, 0.5/q)
}

// normGrad is N(x) with its derivatives.
func normGrad(x grad) grad {
	c, n := normCDFPDF(x.v)
	return grad{c, n * x.vol, n * x.r, n * x.t}
}

// normGradPDF is normGrad of x and the density n(x), worked out once.
func normGradPDF(x grad) (cdf grad, pdf float64) {
	c, n := normCDFPDF(x.v)
	return grad{c, n * x.vol, n * x.r, n * x.t}, n
}
