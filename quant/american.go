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

// AmericanPrice prices an American option from its early-exercise boundary, found by the
// fixed-point iteration of Andersen, Lake and Offengelt (see unitPut); calls are puts by the
// put-call symmetry P(S,K,T,r,q,σ) = C(K,S,T,q,r,σ). Where early exercise is never optimal
// (a call with Div <= 0 <= Rate, a put with Rate <= 0 <= Div) it is the European price.
// Where the method does not apply (a call with Div <= 0 and Rate < 0, a put with Rate <= 0
// and Div < 0) or its integrals turn too steep (a negative carry of 0.75σ/√T or more, see
// treeCarryRatio) a binomial tree prices instead. The result never falls below the
// European price, the intrinsic value or the value without volatility. Invalid parameters
// give NaN.
func AmericanPrice(p Params) float64 {
	if p.Validate() != nil {
		return math.NaN()
	}
	d, _ := american(p)
	return d.v
}

// rule names what priced an American option in american.
type rule int

const (
	ruleClosedForm rule = iota // the fixed-point method or the European price: derivatives exact
	ruleOther                  // intrinsic value, the value without volatility or the tree: price only
)

// american is AmericanPrice for valid parameters, with the derivatives of the price where a
// closed form gave it.
func american(p Params) (dual, rule) {
	v, how, _ := americanAt(p, deterministicAmerican(p))
	return v, how
}

// americanAt is american given the value without volatility, det, which a volatility search
// works out once; it also returns the European price it floors with.
func americanAt(p Params, det float64) (v dual, how rule, euro dual) {
	intrinsic := p.intrinsic()
	if p.Time == 0 {
		return constant(intrinsic), ruleOther, euro
	}
	if p.Vol == 0 {
		return constant(det), ruleOther, euro
	}
	euro = europeanDual(p)
	// The call that is priced earns rate r' and pays yield q': (r, q) for a call and, by
	// the put-call symmetry, (q, r) for a put.
	rate, yield := p.Rate, p.Div
	if p.Kind == Put {
		rate, yield = p.Div, p.Rate
	}
	carry := rate - yield
	v, how = dual{v: math.NaN()}, ruleClosedForm
	switch {
	case yield <= 0 && rate >= 0:
		// Holding beats exercising: the asset pays nothing and the strike costs nothing
		// to defer. (With a negative rate, deferring the strike costs money and deep in
		// the money calls are exercised, so that case goes to the tree.)
		if euro.v >= intrinsic {
			return euro, ruleClosedForm, euro
		}
		return constant(intrinsic), ruleOther, euro
	case yield <= 0, -carry*math.Sqrt(p.Time) >= treeCarryRatio*p.Vol:
		// With a negative rate and no yield calls and puts may have two exercise
		// boundaries, which the fixed-point method does not follow; at a strongly negative
		// carry the boundary hugs the strike and its integrals need more points than pay.
	case earlyExerciseBound(p, rate, yield) < negligiblePremium:
		// Early exercise is worth too little to change the price.
		v = euro
	default:
		v = fpAmerican(p)
	}
	if math.IsNaN(v.v) {
		v, how = constant(americanTree(p, treeSteps)), ruleOther
	}
	// Each floor is the value of a simple exercise policy, so none can exceed the true price.
	if euro.v > v.v {
		v, how = euro, ruleClosedForm
	}
	if det > v.v {
		v, how = constant(det), ruleOther
	}
	return v, how, euro
}

// negligiblePremium is an early-exercise premium below the price tolerance of an implied
// volatility by a factor of ten.
const negligiblePremium = PriceTol / 10

// earlyExerciseBound is an upper bound on the early-exercise premium of an American call
// that earns rate and pays yield > 0 (a put by the transformation: the call on the strike
// struck at the spot, earning the yield and paying the rate). The premium is the value of
// the carry earned while exercised (Kim, "The Analytic Valuation of American Options",
// Review of Financial Studies 3, 1990):
//
//	∫₀ᵀ [qS e^{-qt} N(d₁(S, B_t, t)) - rK e^{-rt} N(d₂(S, B_t, t))] dt <= qST max_t N(d₁(S, B, t))
//
// since the exercise boundary B_t is at least B = K max(1, r/q), its value at expiry. While
// the spot is below B, d₁ = (log(S/B) + μt)/(σ√t) with μ = r - q + σ²/2 rises with t: up to
// T when μ >= 0, up to log(S/B)/μ when μ < 0. The bound is far below a cent for out of the
// money calls on low yields and for far out of the money puts, where Bjerksund-Stensland,
// which values one exercise policy and so never exceeds the true price, need not run.
func earlyExerciseBound(p Params, rate, yield float64) float64 {
	s, k := p.Spot, p.Strike
	if p.Kind == Put {
		s, k = k, s
	}
	a := math.Log(s / (k * math.Max(1, rate/yield)))
	if !(a < 0) {
		return math.Inf(1)
	}
	mu := rate - yield + 0.5*p.Vol*p.Vol
	t := p.Time
	if mu < 0 {
		t = math.Min(t, a/mu)
	}
	return yield * s * p.Time * normCDF((a+mu*t)/(p.Vol*math.Sqrt(t)))
}

// europeanDual is the Black-Scholes-Merton price with its derivatives.
func europeanDual(p Params) dual {
	g := BSMGreeks(p)
	return dual{v: g.Price, s: g.Delta, ss: g.Gamma, vol: 100 * g.Vega, r: 100 * g.Rho, t: -g.ThetaYear}
}

// bs2002 is the Bjerksund-Stensland (2002) approximation, a lower bound up to 1.5% below
// the true price, which priced American options before the fixed-point method; it stays as
// a reference its tests pin to published values. It is the price of p (a put by the put-call
// transformation) with its derivatives in spot, volatility, rate and time.
func bs2002(p Params) dual {
	spot, vol, rate, div, t := dualInputs(p)
	if p.Kind == Call {
		return bs2002Call(spot.scale(1/p.Strike), t, rate, rate.sub(div), vol).scale(p.Strike)
	}
	return spot.mul(bs2002Call(spot.recip().scale(p.Strike), t, div, div.sub(rate), vol))
}

// At a negative carry -b√T of 0.75σ or more (high rates for puts, high yields for calls, at
// low volatility) the exercise boundary stays within a fraction of σ√T of the strike, the
// integrands of the fixed-point method turn into steps, and with the sizes of unitPut its
// prices drift from the tree's (by 1e-3 at 1σ, 1% at 1.5σ). There a binomial tree prices
// instead; at 1024 steps it agrees with 4096 to 2e-4 but in the hardest corners (-b√T of
// 1.5σ and more, three years, near the money).
const (
	treeCarryRatio = 0.75
	treeSteps      = 1024
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
// probabilities underflow. It is NaN where the approximation leaves no room for early
// exercise.
func bs2002Call(s, t, r, b, v dual) dual {
	v2 := v.mul(v)
	beta := upperRoot(v2, b, r)
	bInf := beta.div(beta.addConst(-1))
	b0 := constant(1)
	if r.v/(r.v-b.v) > 1 {
		b0 = r.div(r.sub(b))
	}
	if !(bInf.v > b0.v) {
		// The perpetual and the expiry boundaries meet: no room for early exercise.
		return dual{v: math.NaN()}
	}
	t1 := t.scale(0.5 * (math.Sqrt(5) - 1))
	spread := bInf.sub(b0)
	trigger := func(tau dual) dual {
		h := b.mul(tau).add(v.mul(tau.sqrt()).scale(2)).div(spread.mul(b0)).scale(-1)
		return b0.sub(spread.mul(h.expm1()))
	}
	i1, i2 := trigger(t1), trigger(t)
	if s.v >= i2.v {
		return s.addConst(-1)
	}
	var m bsTerms
	m.init(s, t1, t, r, b, v, i1, i2)
	// log α = log(I - X) - β log I.
	la1 := i1.addConst(-1).log().sub(beta.mul(m.lh[0]))
	la2 := i2.addConst(-1).log().sub(beta.mul(m.lh[1]))
	gb, g1, g0 := m.gamma(beta), m.gamma1(), m.gamma0()
	var zero dual
	return la2.add(beta.mul(m.ls)).exp().
		sub(m.phi(la2, &gb, 1)).
		add(m.phi(zero, &g1, 1)).
		sub(m.phi(zero, &g1, 0)).
		sub(m.phi(zero, &g0, 1)).
		add(m.phi(zero, &g0, 0)).
		add(m.phi(la1, &gb, 0)).
		sub(m.psi(la1, &gb, 0)).
		add(m.psi(zero, &g1, 0)).
		sub(m.psi(zero, &g1, 2)).
		sub(m.psi(zero, &g0, 0)).
		add(m.psi(zero, &g0, 2))
}

// upperRoot is the root above one of ½σ²β(β-1) + bβ - r = 0, written so that neither sign
// of b loses digits to cancellation.
func upperRoot(v2, b, r dual) dual {
	bb := b.sub(v2.scale(0.5))
	disc := bb.mul(bb).add(v2.mul(r).scale(2)).sqrt()
	if bb.v > 0 {
		return r.scale(2).div(bb.add(disc))
	}
	return disc.sub(bb).div(v2)
}

// bsTerms holds what the φ and ψ functions of Bjerksund-Stensland share for one price, so
// that each of the eleven terms costs little beyond its normal distribution functions. The
// barriers H are the three of the formula, by index: I1, I2 and the unit strike.
type bsTerms struct {
	r, b, v2, t1, t dual
	ls              dual    // log S
	lh              [3]dual // log H: log I1, log I2, 0
	li12, li1s      dual    // log I1 - log I2, log I1 - log S
	isd1            dual    // 1/(σ√t1)
	t1sd, tsd       dual    // √t1/σ, √T/σ
	lis             dual    // log I2 - log S
	lisd            dual    // 2 (log I2 - log S)/(σ√t1)
	twoBV2          dual    // 2b/σ²
	// Negated, as the distribution functions take them:
	phiD   [3]dual    // -(log S - log H)/(σ√t1)
	e1, e2 dual       // -(log S - log I1)/(σ√t1), -(2 log I2 - log S - log I1)/(σ√t1)
	f      [3][4]dual // the four -(... log H ...)/(σ√T) of ψ, by barrier
}

// init fills m for spot s, times t1 and T, rate r, carry b, volatility v and triggers I1 and I2.
func (m *bsTerms) init(s, t1, t, r, b, v, i1, i2 dual) {
	*m = bsTerms{r: r, b: b, v2: v.mul(v), t1: t1, t: t, ls: s.log()}
	li1, li2 := i1.log(), i2.log()
	m.lh = [3]dual{li1, li2, {}}
	m.li12, m.li1s, m.lis = li1.sub(li2), li1.sub(m.ls), li2.sub(m.ls)
	iv := v.recip()
	sq1, sq := t1.sqrt(), t.sqrt()
	m.isd1 = sq1.recip().mul(iv)
	isd := sq.recip().mul(iv)
	m.t1sd, m.tsd = sq1.mul(iv), sq.mul(iv)
	m.lisd = m.lis.mul(m.isd1).scale(2)
	m.twoBV2 = b.scale(2).div(m.v2)
	nsd1, nsd := m.isd1.scale(-1), isd.scale(-1)
	m.e1 = m.ls.sub(li1).mul(nsd1)
	m.e2 = li2.scale(2).sub(m.ls).sub(li1).mul(nsd1)
	for h, lh := range m.lh {
		m.phiD[h] = m.ls.sub(lh).mul(nsd1)
		m.f[h] = [4]dual{
			m.ls.sub(lh).mul(nsd),
			li2.scale(2).sub(m.ls).sub(lh).mul(nsd),
			li1.scale(2).sub(m.ls).sub(lh).mul(nsd),
			m.ls.add(li1.scale(2)).sub(lh).sub(li2.scale(2)).mul(nsd),
		}
	}
}

// gammaTerms is what depends on the power γ of φ and ψ: γ is β, 1 or 0.
type gammaTerms struct {
	dt1, dt     dual // (b + (γ - ½)σ²)·√t/σ at t1 and T: the drift of log S, scaled
	at1, at     dual // λt + γ log S at t1 and T, with λ = -r + γb + ½γ(γ-1)σ²
	k2, k1, k12 dual // κ(log I2 - log S), κ(log I1 - log S), κ(log I1 - log I2)
}

func (m *bsTerms) gamma(g dual) gammaTerms {
	drift := m.b.add(g.addConst(-0.5).mul(m.v2))
	lambda := m.r.scale(-1).add(g.mul(m.b)).add(g.mul(g.addConst(-1)).mul(m.v2).scale(0.5))
	kappa := m.twoBV2.add(g.scale(2)).addConst(-1)
	return m.gammaFrom(drift, lambda, kappa, g.mul(m.ls))
}

// gamma0 and gamma1 are gamma(0) and gamma(1), with the products by 0 and 1 left out.
func (m *bsTerms) gamma0() gammaTerms {
	return m.gammaFrom(m.b.sub(m.v2.scale(0.5)), m.r.scale(-1), m.twoBV2.addConst(-1), dual{})
}

func (m *bsTerms) gamma1() gammaTerms {
	return m.gammaFrom(m.b.add(m.v2.scale(0.5)), m.b.sub(m.r), m.twoBV2.addConst(1), m.ls)
}

// gammaFrom is gammaTerms from the drift b + (γ - ½)σ², λ, κ and γ log S.
func (m *bsTerms) gammaFrom(drift, lambda, kappa, gls dual) gammaTerms {
	return gammaTerms{
		dt1: drift.mul(m.t1sd), dt: drift.mul(m.tsd),
		at1: lambda.mul(m.t1).add(gls), at: lambda.mul(m.t).add(gls),
		k2: kappa.mul(m.lis), k1: kappa.mul(m.li1s), k12: kappa.mul(m.li12),
	}
}

// phi is e^{lc} φ(S, t1, γ, H, I2) of Bjerksund-Stensland for the barrier H of index h.
func (m *bsTerms) phi(lc dual, g *gammaTerms, h int) dual {
	d := m.phiD[h].sub(g.dt1)
	a := lc.add(g.at1)
	return expNDual(a, d).sub(expNDual(a.add(g.k2), d.sub(m.lisd)))
}

// psi is e^{lc} ψ(S, T, γ, H, I2, I1, t1) of Bjerksund-Stensland for the barrier H of index h.
func (m *bsTerms) psi(lc dual, g *gammaTerms, h int) dual {
	f := &m.f[h]
	a := lc.add(g.at)
	return expMDual(a, m.e1.sub(g.dt1), f[0].sub(g.dt), &bsCorr).
		sub(expMDual(a.add(g.k2), m.e2.sub(g.dt1), f[1].sub(g.dt), &bsCorr)).
		sub(expMDual(a.add(g.k1), m.e1.add(g.dt1), f[2].sub(g.dt), &bsAnti)).
		add(expMDual(a.add(g.k12), m.e2.add(g.dt1), f[3].sub(g.dt), &bsAnti))
}

// The correlation of the bivariate normals in ψ is ±√(t1/T), and t1 is a fixed fraction of
// T, so their quadrature nodes are worked out once. At this ρ = 0.786 Genz takes 20 points;
// 10 agree with them to 2.2e-13 and move Bjerksund-Stensland prices by less than 1e-11 on a
// spot of 100, gammas by less than 1e-13 (TestBinormBjerksundStensland): far below PriceTol,
// for half the exponentials.
var (
	bsCorr = newBinormRule(math.Sqrt(0.5*(math.Sqrt(5)-1)), gl10X, gl10W)
	bsAnti = newBinormRule(-math.Sqrt(0.5*(math.Sqrt(5)-1)), gl10X, gl10W)
)

// AmericanGreeks returns the Greeks of AmericanPrice; units match Greeks. Where
// the fixed-point method or the European price gives the value they are the exact
// derivatives of that price, carried through its calculation (see dual); where the tree, the
// intrinsic value or the value without volatility gives it they are finite differences.
func AmericanGreeks(p Params) Greeks {
	if p.Validate() != nil {
		nan := math.NaN()
		return Greeks{nan, nan, nan, nan, nan, nan, nan}
	}
	d, how := american(p)
	if how == ruleClosedForm {
		return greeksOf(d)
	}
	return numericGreeks(p, d.v)
}

// greeksOf reads the Greeks off a price carried with its derivatives.
func greeksOf(d dual) Greeks {
	return Greeks{Price: d.v, Delta: d.s, Gamma: d.ss, ThetaYear: -d.t, ThetaDay: -d.t / 365, Vega: d.vol / 100, Rho: d.r / 100}
}

// numericGreeks differentiates AmericanPrice numerically. Delta and gamma take central steps
// in spot; vega, rho and theta take one small one-sided step each (up in volatility and
// rate, back in time), with a step error far below the price tolerance of the implied
// volatility they go with.
func numericGreeks(p Params, price float64) Greeks {
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

	// At zero volatility the slope up to a small volatility stands for vega. The step is
	// at least 1e-3, and large enough that the bumped price comes from the fixed-point
	// method rather than the tree, where a negative carry sends tiny volatilities (see
	// treeCarryRatio); the price is nearly linear in volatility that close to zero.
	dv := 1e-5
	if p.Vol == 0 {
		carry := p.Rate - p.Div
		if p.Kind == Put {
			carry = -carry
		}
		dv = math.Max(1e-3, 1.01*-carry*math.Sqrt(p.Time)/treeCarryRatio)
	}
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

// intrinsic is the value of exercising now.
func (p Params) intrinsic() float64 {
	if p.Kind == Put {
		return math.Max(p.Strike-p.Spot, 0)
	}
	return math.Max(p.Spot-p.Strike, 0)
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
// first solved by Newton steps from the European implied volatility (see
// newtonFromEuropean); failing that they are bracketed between the zero-volatility value,
// which is at least intrinsic, and the spot (call) or strike (put), and solved with Brent's
// method on [0, MaxVol]. A price at or below intrinsic value has no implied volatility
// (ErrAtIntrinsic).
func ImpliedVolStyle(p Params, price float64, s Style) (float64, error) {
	v, _, err := ImpliedVolGreeks(p, price, s)
	return v, err
}

// ImpliedVolGreeks is ImpliedVolStyle with the Greeks at the implied volatility, which for
// American prices come from the last Newton step at no further cost.
func ImpliedVolGreeks(p Params, price float64, s Style) (float64, Greeks, error) {
	if s != American {
		v, err := ImpliedVol(p, price)
		if err != nil {
			return 0, Greeks{}, err
		}
		p.Vol = v
		return v, BSMGreeks(p), nil
	}
	p.Vol = 0
	if err := p.Validate(); err != nil {
		return 0, Greeks{}, fmt.Errorf("implied vol: %w", err)
	}
	lo := AmericanPrice(p)
	hi := p.Spot
	if p.Kind == Put {
		hi = p.Strike
	}
	if p.Time == 0 {
		hi = lo
	}
	if intrinsic := p.intrinsic(); price <= intrinsic+PriceTol {
		return 0, Greeks{}, fmt.Errorf("american %s price %g, intrinsic %g: %w", p.Kind, price, intrinsic, ErrAtIntrinsic)
	}
	if err := checkBounds(price, lo, hi, p); err != nil {
		return 0, Greeks{}, fmt.Errorf("american: %w", err)
	}
	if price-lo <= PriceTol {
		// Above intrinsic and at the value without volatility (a carry that makes waiting
		// worth more than exercising, even with no uncertainty): zero volatility explains it.
		return 0, AmericanGreeks(p), nil
	}
	if v, d, ok := newtonFromEuropean(p, price); ok {
		return v, greeksOf(d), nil
	}
	f := func(v float64) float64 {
		q := p
		q.Vol = v
		return AmericanPrice(q) - price
	}
	ftop := f(MaxVol)
	if math.IsNaN(ftop) || math.IsNaN(lo) {
		return 0, Greeks{}, fmt.Errorf("implied vol: american %s price not computable for %+v", p.Kind, p)
	}
	if ftop < -PriceTol {
		return 0, Greeks{}, fmt.Errorf("american %s price %g (bounds [%g, %g]): %w", p.Kind, price, lo, hi, ErrVolOutOfRange)
	}
	v := brent(f, 0, MaxVol, lo-price, ftop)
	if math.IsNaN(v) {
		return 0, Greeks{}, fmt.Errorf("implied vol: american %s price not computable for %+v", p.Kind, p)
	}
	p.Vol = v
	return v, AmericanGreeks(p), nil
}

// closeEnough is a Newton step in volatility small enough to take without pricing again.
const closeEnough = 1e-9

// newtonFromEuropean solves AmericanPrice(v) = price starting where it is nearly solved
// already: the early-exercise premium is small and moves slowly with volatility, so the
// European implied volatility of the price is close, and steps with the exact vega of the
// closed form converge in a few prices. It returns the price at the solution with its
// derivatives. ok is false when a step leaves (0, MaxVol), a price comes from the tree or
// the steps do not converge; the caller then brackets.
func newtonFromEuropean(p Params, price float64) (v float64, d dual, ok bool) {
	v, err := ImpliedVol(p, price)
	if err != nil || v <= 0 {
		return 0, dual{}, false
	}
	vf := newVolFree(p)
	det := deterministicAmerican(p)
	var lastV, lastVega float64
	for it := range 12 {
		q := p
		q.Vol = v
		d, how, euro := americanAt(q, det)
		f := d.v - price
		if how != ruleClosedForm || math.IsNaN(f) {
			return 0, dual{}, false
		}
		if math.Abs(f) <= PriceTol {
			return v, d, true
		}
		if !(d.vol > 0) {
			return 0, dual{}, false
		}
		step := f / d.vol
		if it > 0 && math.Abs(step) <= closeEnough {
			// One more Newton step finishes: it leaves a price error of order
			// volga·step², far below PriceTol, and moves the Greeks by less than their
			// last printed digit, so the price need not be evaluated again.
			d.v -= f
			return v - step, d, true
		}
		if it > 0 {
			// Halley's step, with the volga of the American price from the change in its
			// vega since the last step.
			volga := (d.vol - lastVega) / (v - lastV)
			if c := 1 - 0.5*step*volga/d.vol; c > 0.5 && c < 2 {
				step /= c
			}
			lastV, lastVega = v, d.vol
			v -= step
		} else {
			// The price is the European one plus the early-exercise premium, which
			// bends little with volatility near the money: the first step solves the
			// European price plus the premium taken as linear about the European implied
			// volatility, a cheap European solve.
			premVega := d.vol - euro.vol
			target := price - (d.v - euro.v) + premVega*v
			x := v
			for range 8 {
				b := vf.at(x)
				slope := b.fwdS*b.pdf*b.sqrtT + premVega
				if !(slope > 0) {
					return 0, dual{}, false
				}
				dx := (b.price() + premVega*x - target) / slope
				x -= dx
				if math.Abs(dx) < 1e-13 || !(x > 0 && x < MaxVol) {
					break
				}
			}
			lastV, lastVega = v, d.vol
			v = x
		}
		if !(v > 0 && v < MaxVol) {
			return 0, dual{}, false
		}
	}
	return 0, dual{}, false
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
