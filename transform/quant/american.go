package quant

import (
	"fmt"
	"math"
	"strings"
)

// Style is the exercise style of an option.
type Style int

// Exercise styles.
const (
	European Style = iota
	American
)

// ParseStyle reads "european", "eu", "e", "american", "am" or "a" in any case.
func ParseStyle(s string) (Style, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "european", "eu", "e":
		return European, nil
	case "american", "am", "a":
		return American, nil
	}
	return 0, fmt.Errorf("parse exercise style %q: want european or american", s)
}

func (s Style) String() string {
	switch s {
	case European:
		return "european"
	case American:
		return "american"
	}
	return fmt.Sprintf("Style(%d)", int(s))
}

// AmericanPrice prices an American option with the Bjerksund-Stensland (2002) approximation:
// calls directly, puts through the put-call transformation P(S,K,T,r,q,σ) = C(K,S,T,q,r,σ).
// Where early exercise is never optimal (a call with Div <= 0 <= Rate, a put with
// Rate <= 0 <= Div) it is the European price. Where the approximation does not apply (a
// call with Div <= 0 and Rate < 0, a put with Rate <= 0 and Div < 0) or breaks down (a
// negative carry of 1.5σ/√T or more, see treeCarryRatio) a binomial tree prices instead.
// The result never falls below the European price, the intrinsic value or the value
// without volatility. Invalid parameters give NaN.
//
// Bjerksund-Stensland values one exercise policy (a boundary flat on [0, t1] and on [t1, T]),
// so it is a lower bound on the true price: up to about 1.5% below it near the money and a
// few percent below on cheap out-of-the-money options.
func AmericanPrice(p Params) float64 {
	if p.Validate() != nil {
		return math.NaN()
	}
	intrinsic := math.Max(p.Spot-p.Strike, 0)
	if p.Kind == Put {
		intrinsic = math.Max(p.Strike-p.Spot, 0)
	}
	if p.Time == 0 {
		return intrinsic
	}
	if p.Vol == 0 {
		return deterministicAmerican(p)
	}
	euro := newBSM(p).price()
	// The call that is priced earns rate r' and pays yield q', for a carry b = r' - q':
	// (r, q) for a call and, by the transformation, (q, r) for a put.
	rate, yield := p.Rate, p.Div
	if p.Kind == Put {
		rate, yield = p.Div, p.Rate
	}
	carry := rate - yield
	var v float64
	switch {
	case yield <= 0 && rate >= 0:
		// Holding beats exercising: the asset pays nothing and the strike costs nothing
		// to defer. (With a negative rate, deferring the strike costs money and deep in
		// the money calls are exercised, so that case goes to the tree.)
		return math.Max(euro, intrinsic)
	case yield <= 0, -carry*math.Sqrt(p.Time) >= treeCarryRatio*p.Vol:
		// Bjerksund-Stensland needs b < r, i.e. a positive yield, and fails at strongly
		// negative carry.
		v = americanTree(p, treeSteps)
	case p.Kind == Call:
		v = p.Strike * bs2002Call(p.Spot/p.Strike, p.Time, p.Rate, carry, p.Vol)
	default:
		v = p.Spot * bs2002Call(p.Strike/p.Spot, p.Time, p.Div, carry, p.Vol)
	}
	if math.IsNaN(v) {
		v = americanTree(p, treeSteps)
	}
	// Each floor is the value of a simple exercise policy, so none can exceed the true price.
	return math.Max(math.Max(v, euro), deterministicAmerican(p))
}

// The Bjerksund-Stensland exercise triggers rest on h(T) = -(bT + 2σ√T)/(B∞ - B0), which
// pushes the trigger down to the strike as the negative carry -b√T approaches 2σ (high rates
// for puts, high dividends for calls, at low volatility). Against a binomial tree the
// approximation stays within about 1.5% while -b√T < 1.5σ, then degrades fast (4% low at
// 1.6σ, 6% at 1.67σ, 16% at 1.8σ) and falls to the European value from 2σ on, so from 1.5σ
// the price comes from a binomial tree instead.
const (
	treeCarryRatio = 1.5
	treeSteps      = 256
)

// americanTree is the binomial Black-Scholes method with Richardson extrapolation (BBSR,
// Broadie and Detemple, "American Option Valuation", Review of Financial Studies 9, 1996):
// the last step uses the Black-Scholes value instead of the payoff, which removes the
// odd-even oscillation, so 2·V(n) - V(n/2) cancels the leading 1/n error. The tree is
// centred on the risk-neutral drift, so branch probabilities stay near one half at any
// volatility and carry.
func americanTree(p Params, n int) float64 {
	return 2*bbs(p, n) - bbs(p, n/2)
}

func bbs(p Params, n int) float64 {
	dt := p.Time / float64(n)
	b := p.Rate - p.Div
	sd := p.Vol * math.Sqrt(dt)
	mu := (b - 0.5*p.Vol*p.Vol) * dt
	up, down := math.Exp(mu+sd), math.Exp(mu-sd)
	pu := (math.Exp(b*dt) - down) / (up - down)
	disc := math.Exp(-p.Rate * dt)
	wu, wd := disc*pu, disc*(1-pu)
	sign := 1.0
	if p.Kind == Put {
		sign = -1
	}
	// Node i at step j has spot S·up^i·down^(j-i).
	ratio := up / down
	last := p
	last.Time = dt
	v := make([]float64, n)
	s := p.Spot * math.Pow(down, float64(n-1))
	for i := range v {
		last.Spot = s
		v[i] = math.Max(newBSM(last).price(), sign*(s-p.Strike))
		s *= ratio
	}
	for j := n - 2; j >= 0; j-- {
		s := p.Spot * math.Pow(down, float64(j))
		for i := 0; i <= j; i++ {
			v[i] = math.Max(wu*v[i+1]+wd*v[i], sign*(s-p.Strike))
			s *= ratio
		}
	}
	return v[0]
}

// deterministicAmerican is the value without volatility: the asset drifts at r - q, so the
// holder picks the exercise time t in [0, T] maximising the discounted payoff
// ±(S e^{-qt} - K e^{-rt}).
func deterministicAmerican(p Params) float64 {
	sign := 1.0
	if p.Kind == Put {
		sign = -1
	}
	payoff := func(t float64) float64 {
		return sign * (p.Spot*math.Exp(-p.Div*t) - p.Strike*math.Exp(-p.Rate*t))
	}
	best := math.Max(0, math.Max(payoff(0), payoff(p.Time)))
	// The only interior stationary point solves q S e^{-qt} = r K e^{-rt}.
	if p.Rate != p.Div && p.Rate*p.Div > 0 {
		t := math.Log(p.Rate*p.Strike/(p.Div*p.Spot)) / (p.Rate - p.Div)
		if t > 0 && t < p.Time {
			best = math.Max(best, payoff(t))
		}
	}
	return best
}

// bs2002Call is the Bjerksund-Stensland (2002) American call for a unit strike, spot s,
// rate r and cost of carry b < r: "Closed Form Valuation of American Options", Working
// Paper, NHH, 2002; formulas as in Haug, "The Complete Guide to Option Pricing Formulas",
// 2nd ed., section 3.1.4. Every product of a power and a probability is formed as the
// exponential of a sum of logarithms, since at low volatility the powers overflow while the
// probabilities underflow.
func bs2002Call(s, t, r, b, v float64) float64 {
	v2 := v * v
	beta := upperRoot(v2, b, r)
	bInf := beta / (beta - 1)
	b0 := math.Max(1, r/(r-b))
	if !(bInf > b0) {
		// The perpetual and the expiry boundaries meet: no room for early exercise.
		return math.NaN()
	}
	t1 := 0.5 * (math.Sqrt(5) - 1) * t
	trigger := func(tau float64) float64 {
		h := -(b*tau + 2*v*math.Sqrt(tau)) / ((bInf - b0) * b0)
		return b0 - (bInf-b0)*math.Expm1(h)
	}
	i1, i2 := trigger(t1), trigger(t)
	if s >= i2 {
		return s - 1
	}
	// log α = log(I - X) - β log I.
	la1 := math.Log(i1-1) - beta*math.Log(i1)
	la2 := math.Log(i2-1) - beta*math.Log(i2)
	m := bs2002{s: s, r: r, b: b, v: v, v2: v2}
	return math.Exp(la2+beta*math.Log(s)) -
		m.phi(la2, t1, beta, i2, i2) +
		m.phi(0, t1, 1, i2, i2) -
		m.phi(0, t1, 1, i1, i2) -
		m.phi(0, t1, 0, i2, i2) +
		m.phi(0, t1, 0, i1, i2) +
		m.phi(la1, t1, beta, i1, i2) -
		m.psi(la1, t, beta, i1, i2, i1, t1) +
		m.psi(0, t, 1, i1, i2, i1, t1) -
		m.psi(0, t, 1, 1, i2, i1, t1) -
		m.psi(0, t, 0, i1, i2, i1, t1) +
		m.psi(0, t, 0, 1, i2, i1, t1)
}

// upperRoot is the root above one of ½σ²β(β-1) + bβ - r = 0, written so that neither sign
// of b loses digits to cancellation.
func upperRoot(v2, b, r float64) float64 {
	bb := b - 0.5*v2
	disc := math.Sqrt(bb*bb + 2*v2*r)
	if bb > 0 {
		return 2 * r / (bb + disc)
	}
	return (disc - bb) / v2
}

type bs2002 struct {
	s, r, b, v, v2 float64
}

// phi is e^{lc} φ(S, t, γ, H, I) of Bjerksund-Stensland.
func (m bs2002) phi(lc, t, gamma, h, i float64) float64 {
	sd := m.v * math.Sqrt(t)
	lambda := (-m.r + gamma*m.b + 0.5*gamma*(gamma-1)*m.v2) * t
	d := -(math.Log(m.s/h) + (m.b+(gamma-0.5)*m.v2)*t) / sd
	kappa := 2*m.b/m.v2 + 2*gamma - 1
	a := lc + lambda + gamma*math.Log(m.s)
	lis := math.Log(i / m.s)
	return expN(a, d) - expN(a+kappa*lis, d-2*lis/sd)
}

// psi is e^{lc} ψ(S, T, γ, H, I2, I1, t1) of Bjerksund-Stensland.
func (m bs2002) psi(lc, t, gamma, h, i2, i1, t1 float64) float64 {
	drift := m.b + (gamma-0.5)*m.v2
	s1, s2 := m.v*math.Sqrt(t1), m.v*math.Sqrt(t)
	ls := math.Log(m.s)
	li1, li2, lh := math.Log(i1), math.Log(i2), math.Log(h)
	e1 := (ls - li1 + drift*t1) / s1
	e2 := (2*li2 - ls - li1 + drift*t1) / s1
	e3 := (ls - li1 - drift*t1) / s1
	e4 := (2*li2 - ls - li1 - drift*t1) / s1
	f1 := (ls - lh + drift*t) / s2
	f2 := (2*li2 - ls - lh + drift*t) / s2
	f3 := (2*li1 - ls - lh + drift*t) / s2
	f4 := (ls + 2*li1 - lh - 2*li2 + drift*t) / s2
	rho := math.Sqrt(t1 / t)
	lambda := -m.r + gamma*m.b + 0.5*gamma*(gamma-1)*m.v2
	kappa := 2*m.b/m.v2 + 2*gamma - 1
	a := lc + lambda*t + gamma*ls
	return expM(a, -e1, -f1, rho) -
		expM(a+kappa*(li2-ls), -e2, -f2, rho) -
		expM(a+kappa*(li1-ls), -e3, -f3, -rho) +
		expM(a+kappa*(li1-li2), -e4, -f4, -rho)
}

// expN is e^a N(x) without overflow in e^a or underflow in N(x).
func expN(a, x float64) float64 { return math.Exp(a + logNormCDF(x)) }

// expM is e^a M(x, y, ρ). The bound M <= min(N(x), N(y)) skips terms that cannot matter.
func expM(a, x, y, rho float64) float64 {
	if a+logNormCDF(math.Min(x, y)) < -745 {
		return 0
	}
	mv := binormCDF(x, y, rho)
	if mv <= 0 {
		return 0
	}
	return math.Exp(a + math.Log(mv))
}

// AmericanGreeks differentiates AmericanPrice numerically; units match Greeks. Delta and
// gamma take central steps in spot; vega, rho and theta take one small one-sided step each
// (up in volatility and rate, back in time), so the Greeks cost six prices rather than nine,
// with a step error far below the price tolerance of the implied volatility they go with.
func AmericanGreeks(p Params) Greeks {
	if p.Validate() != nil {
		nan := math.NaN()
		return Greeks{nan, nan, nan, nan, nan, nan, nan}
	}
	price := AmericanPrice(p)
	at := func(f func(*Params)) float64 {
		q := p
		f(&q)
		return AmericanPrice(q)
	}
	g := Greeks{Price: price}

	ds := 1e-3 * p.Spot
	up := at(func(q *Params) { q.Spot += ds })
	dn := at(func(q *Params) { q.Spot -= ds })
	g.Delta = (up - dn) / (2 * ds)
	g.Gamma = (up - 2*price + dn) / (ds * ds)

	const dv = 1e-5
	g.Vega = (at(func(q *Params) { q.Vol += dv }) - price) / dv / 100

	const dr = 1e-6
	g.Rho = (at(func(q *Params) { q.Rate += dr }) - price) / dr / 100

	dt := math.Min(1e-5, 0.5*p.Time)
	if dt > 0 {
		g.ThetaYear = (at(func(q *Params) { q.Time -= dt }) - price) / dt
	}
	g.ThetaDay = g.ThetaYear / 365
	return g
}

// PriceStyle prices with Price or AmericanPrice by style.
func PriceStyle(p Params, s Style) float64 {
	if s == American {
		return AmericanPrice(p)
	}
	return Price(p)
}

// GreeksStyle returns BSMGreeks or AmericanGreeks by style.
func GreeksStyle(p Params, s Style) Greeks {
	if s == American {
		return AmericanGreeks(p)
	}
	return BSMGreeks(p)
}

// ImpliedVolStyle inverts PriceStyle. European prices go to ImpliedVol. American prices are
// first solved by secant steps from the European implied volatility (see
// secantFromEuropean); failing that they are bracketed between the zero-volatility value,
// which is at least intrinsic, and the spot (call) or strike (put), and solved with Brent's
// method on [0, MaxVol].
func ImpliedVolStyle(p Params, price float64, s Style) (float64, error) {
	if s != American {
		return ImpliedVol(p, price)
	}
	p.Vol = 0
	if err := p.Validate(); err != nil {
		return 0, fmt.Errorf("implied vol: %w", err)
	}
	lo := AmericanPrice(p)
	hi := p.Spot
	if p.Kind == Put {
		hi = p.Strike
	}
	if p.Time == 0 {
		hi = lo
	}
	if err := checkBounds(price, lo, hi, p); err != nil {
		return 0, fmt.Errorf("american: %w", err)
	}
	if price-lo <= PriceTol {
		return 0, nil
	}
	f := func(v float64) float64 {
		q := p
		q.Vol = v
		return AmericanPrice(q) - price
	}
	if v, ok := secantFromEuropean(p, price, f); ok {
		return v, nil
	}
	ftop := f(MaxVol)
	if math.IsNaN(ftop) || math.IsNaN(lo) {
		return 0, fmt.Errorf("implied vol: american %s price not computable for %+v", p.Kind, p)
	}
	if ftop < -PriceTol {
		return 0, fmt.Errorf("american %s price %g (bounds [%g, %g]): %w", p.Kind, price, lo, hi, ErrVolOutOfRange)
	}
	v := brent(f, 0, MaxVol, lo-price, ftop)
	if math.IsNaN(v) {
		return 0, fmt.Errorf("implied vol: american %s price not computable for %+v", p.Kind, p)
	}
	return v, nil
}

// secantFromEuropean solves f(v) = AmericanPrice(v) - price = 0 starting where it is
// nearly solved already: the early-exercise premium is small and moves slowly with
// volatility, so the European implied volatility of the price is close, and one Newton step
// with the European vega followed by secant steps converges in three or four American
// prices instead of the fifteen or so of a bracketing search. ok is false when a step
// leaves (0, MaxVol) or the steps do not converge; the caller then brackets.
func secantFromEuropean(p Params, price float64, f func(float64) float64) (v float64, ok bool) {
	v0, err := ImpliedVol(p, price)
	if err != nil || v0 <= 0 {
		return 0, false
	}
	f0 := f(v0)
	if math.Abs(f0) <= PriceTol {
		return v0, true
	}
	q := p
	q.Vol = v0
	b := newBSM(q)
	vega := b.fwdS * b.pdf * b.sqrtT
	if !(vega > 0) {
		return 0, false
	}
	v1 := v0 - f0/vega
	for range 12 {
		if !(v1 > 0 && v1 < MaxVol) {
			return 0, false
		}
		f1 := f(v1)
		if math.IsNaN(f1) {
			return 0, false
		}
		if math.Abs(f1) <= PriceTol {
			return v1, true
		}
		if f1 == f0 {
			return 0, false
		}
		v0, f0, v1 = v1, f1, v1-f1*(v1-v0)/(f1-f0)
	}
	return 0, false
}

// brent finds a root of f in [a, b] given f(a) <= 0 <= f(b), stopping once |f| <= PriceTol
// (Brent, "Algorithms for Minimization without Derivatives", 1973, chapter 4).
func brent(f func(float64) float64, a, b, fa, fb float64) float64 {
	if math.Abs(fb) <= PriceTol {
		return b
	}
	c, fc := a, fa
	d := b - a
	e := d
	for range maxIter {
		if fb*fc > 0 {
			c, fc = a, fa
			d = b - a
			e = d
		}
		if math.Abs(fc) < math.Abs(fb) {
			a, b, c = b, c, b
			fa, fb, fc = fb, fc, fb
		}
		tol := 2*1e-16*math.Abs(b) + 1e-15
		mid := 0.5 * (c - b)
		if math.Abs(fb) <= PriceTol || math.Abs(mid) <= tol {
			return b
		}
		if math.Abs(e) >= tol && math.Abs(fa) > math.Abs(fb) {
			// Inverse quadratic interpolation, or the secant step when only two points differ.
			var pn, qn float64
			sr := fb / fa
			if a == c {
				pn = 2 * mid * sr
				qn = 1 - sr
			} else {
				qr := fa / fc
				rr := fb / fc
				pn = sr * (2*mid*qr*(qr-rr) - (b-a)*(rr-1))
				qn = (qr - 1) * (rr - 1) * (sr - 1)
			}
			if pn > 0 {
				qn = -qn
			} else {
				pn = -pn
			}
			if 2*pn < math.Min(3*mid*qn-math.Abs(tol*qn), math.Abs(e*qn)) {
				e = d
				d = pn / qn
			} else {
				d, e = mid, mid
			}
		} else {
			d, e = mid, mid
		}
		a, fa = b, fb
		if math.Abs(d) > tol {
			b += d
		} else {
			b += math.Copysign(tol, mid)
		}
		fb = f(b)
	}
	return b
}
