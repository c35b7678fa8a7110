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
	// The price of the vega path is that of american to the last bit, for less arithmetic.
	v, _, _ := americanVega(p, deterministicAmerican(p))
	return v.v
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
	var c fpConst
	return americanAtWith(p, det, &c, nil)
}

// americanAtWith is americanAt taking the factors of the fixed-point method that do not
// depend on volatility from c (see fpConst) and, unless it is nil, the part of the
// European price that does not from vf, newVolFree(p).
func americanAtWith(p Params, det float64, c *fpConst, vf *volFree) (v dual, how rule, euro dual) {
	intrinsic := p.intrinsic()
	if p.Time == 0 {
		return constant(intrinsic), ruleOther, euro
	}
	if p.Vol == 0 {
		return constant(det), ruleOther, euro
	}
	if vf != nil {
		// BSMGreeks, p being valid.
		euro = dualOf(bsmGreeksOf(p, vf.at(p.Vol)))
	} else {
		euro = europeanDual(p)
	}
	v, how = dual{v: math.NaN()}, ruleClosedForm
	switch americanMethodOf(p) {
	case americanHold:
		if euro.v >= intrinsic {
			return euro, ruleClosedForm, euro
		}
		return constant(intrinsic), ruleOther, euro
	case americanByTree:
	case americanEuropean:
		v = euro
	default:
		v = fpAmericanWith(p, c)
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

// americanMethod is what prices an American option with time and volatility above zero,
// before the floors (americanMethodOf).
type americanMethod uint8

const (
	americanFixedPoint americanMethod = iota
	americanHold                      // the European price, floored at intrinsic
	americanByTree
	americanEuropean
)

// callRates is the rate earned and the yield paid by the call that prices p: (Rate, Div)
// for a call and, by the put-call symmetry, (Div, Rate) for a put.
func (p Params) callRates() (rate, yield float64) {
	if p.Kind == Put {
		return p.Div, p.Rate
	}
	return p.Rate, p.Div
}

// americanMethodOf picks the method for p, for americanAt and americanVega alike.
func americanMethodOf(p Params) americanMethod {
	rate, yield := p.callRates()
	carry := rate - yield
	switch {
	case yield <= 0 && rate >= 0:
		// Holding beats exercising: the asset pays nothing and the strike costs nothing
		// to defer. (With a negative rate, deferring the strike costs money and deep in
		// the money calls are exercised, so that case goes to the tree.)
		return americanHold
	case yield <= 0, -carry*math.Sqrt(p.Time) >= treeCarryRatio*p.Vol:
		// With a negative rate and no yield calls and puts may have two exercise
		// boundaries, which the fixed-point method does not follow; at a strongly negative
		// carry the boundary hugs the strike and its integrals need more points than pay.
		return americanByTree
	case earlyExerciseBound(p, rate, yield) < negligiblePremium:
		// Early exercise is worth too little to change the price.
		return americanEuropean
	}
	return americanFixedPoint
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
// money calls on low yields and for far out of the money puts, where the exercise boundary
// need not be found.
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
	return dualOf(BSMGreeks(p))
}

// dualOf is a price with its derivatives from its Greeks.
func dualOf(g Greeks) dual {
	return dual{v: g.Price, s: g.Delta, ss: g.Gamma, vol: 100 * g.Vega, r: 100 * g.Rho, t: -g.ThetaYear}
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

// ImpliedVolGreeks is ImpliedVolStyle with the Greeks at the implied volatility. For American
// prices the Newton steps carry the price and vega alone but for the one expected to land,
// and its pricing with every derivative at the solution gives the Greeks, which are
// AmericanGreeks there.
func ImpliedVolGreeks(p Params, price float64, s Style) (float64, Greeks, error) {
	var fc fpConst
	return impliedVolGreeks(p, price, s, &fc)
}

// AmericanCache keeps what the American volatility searches of contracts with one rate,
// yield and expiry share, the exponentials at the exercise boundary's nodes and quadrature
// points (fpConst), for a caller that solves the contracts of a chain one after another.
// The zero value is ready to use; a cache is not safe for concurrent use.
type AmericanCache struct{ call, put fpConst }

// ImpliedVolGreeks is the package's ImpliedVolGreeks, the same numbers, taking from c what
// p shares with the last contract of its kind solved with c and keeping what it does not.
func (c *AmericanCache) ImpliedVolGreeks(p Params, price float64, s Style) (float64, Greeks, error) {
	fc := &c.call
	if p.Kind == Put {
		fc = &c.put
	}
	return impliedVolGreeks(p, price, s, fc)
}

func impliedVolGreeks(p Params, price float64, s Style, fc *fpConst) (float64, Greeks, error) {
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
	// AmericanPrice at zero volatility is the value without volatility (americanVega; at
	// T = 0 it is the intrinsic value), which the Newton steps take as well.
	det := deterministicAmerican(p)
	lo := det
	hi := p.Spot
	if p.Kind == Put {
		hi = p.Strike
	}
	if p.Time == 0 {
		hi = lo
	}
	if intrinsic := p.intrinsic(); price <= intrinsic+PriceTol {
		return 0, Greeks{}, &priceError{shape: atIntrinsic, american: true, kind: p.Kind, price: price, lo: intrinsic, err: ErrAtIntrinsic}
	}
	if err := checkBounds(price, lo, hi, p, true); err != nil {
		return 0, Greeks{}, err
	}
	if price-lo <= PriceTol {
		// Above intrinsic and at the value without volatility (a carry that makes waiting
		// worth more than exercising, even with no uncertainty): zero volatility explains it.
		return 0, AmericanGreeks(p), nil
	}
	if v, d, ok := europeanSolve(p, price); ok {
		return v, greeksOf(d), nil
	}
	if v, d, ok := newtonFromEuropeanWith(p, price, det, fc); ok {
		return v, greeksOf(d), nil
	}
	// AmericanPrice, taking the fixed-point method's factors from fc.
	f := func(v float64) float64 {
		q := p
		q.Vol = v
		a, _, _ := americanVegaWith(q, det, fc, nil)
		return a.v - price
	}
	ftop := f(MaxVol)
	if math.IsNaN(ftop) || math.IsNaN(lo) {
		return 0, Greeks{}, fmt.Errorf("implied vol: american %s price not computable for %+v", p.Kind, p)
	}
	if ftop < -PriceTol {
		return 0, Greeks{}, &priceError{shape: aboveSearch, american: true, kind: p.Kind, price: price, lo: lo, hi: hi, err: ErrVolOutOfRange}
	}
	v := brent(f, 0, MaxVol, lo-price, ftop)
	if math.IsNaN(v) {
		return 0, Greeks{}, fmt.Errorf("implied vol: american %s price not computable for %+v", p.Kind, p)
	}
	p.Vol = v
	return v, AmericanGreeks(p), nil
}

// europeanSolve is the volatility search where early exercise is never optimal (a call
// with Div <= 0 <= Rate, a put with Rate <= 0 <= Div; a call on a stock that pays nothing
// is the common case): there the American price is the European one at every volatility
// (americanAt), and the European implied volatility with the European Greeks is what
// newtonFromEuropean returns, to the last bit, without pricing twice more on the way. ok
// is false elsewhere, or where the European solution misses the price by more than
// PriceTol; the caller then takes the general search.
func europeanSolve(p Params, price float64) (v float64, d dual, ok bool) {
	rate, yield := p.callRates()
	if !(yield <= 0 && rate >= 0) || !(p.Time > 0) {
		return 0, dual{}, false
	}
	v, err := ImpliedVol(p, price)
	if err != nil || v <= 0 {
		return 0, dual{}, false
	}
	p.Vol = v
	d = europeanDual(p)
	// Within PriceTol of a price above intrinsic + PriceTol, the European price is above
	// intrinsic, so americanAt takes it as the American price.
	if !(math.Abs(d.v-price) <= PriceTol) || !(d.v >= p.intrinsic()) {
		return 0, dual{}, false
	}
	return v, d, true
}

// A pricing with every derivative costs about 1.8 times one with vega alone (the
// instructions of BenchmarkAmericanSearchPricing/full against /vega, counted by callgrind),
// and one with vega alone that lands costs a second pricing for the Greeks, so the next
// pricing should carry every derivative once it lands about nine times in twenty or more.
// The bounds were picked on BenchmarkEnrich/american's chains (no test counts the
// pricings) when the pricing with every derivative cost only an eighth more, so they now
// choose it too often: the next pricing carries every derivative where the error expected
// of the first step (the premium's bend) is within 10·PriceTol and that of Halley's steps
// (Newton's error) within 100·PriceTol. The steps are the same either way (but for the
// rounding of the two vegas), so what lands is the same volatility; moving the bounds
// moves the last bits of some.
const (
	fullAfterFirst  = 10 * PriceTol
	fullAfterHalley = 100 * PriceTol
)

// finalResidual is the price error below which a Newton step's own error, volga·step²/2,
// lets the volatility search stop after the step without pricing again before the Greeks.
const finalResidual = PriceTol / 8

// newtonFromEuropean solves AmericanPrice(v) = price starting where it is nearly solved
// already: the early-exercise premium is small and moves slowly with volatility, so the
// European implied volatility of the price is close, and steps with the exact vega of the
// closed form converge in a few prices. The steps price with vega alone (americanVega)
// unless a step expects to land (fullAfterFirst, fullAfterHalley): then the next price is
// the one with every derivative (americanAt), which the solution returns, and a price that
// lands saves pricing again for the Greeks. ok is false when a step leaves (0, MaxVol), a price comes from the
// tree or the steps do not converge; the caller then brackets.
func newtonFromEuropean(p Params, price float64) (v float64, d dual, ok bool) {
	var fc fpConst
	return newtonFromEuropeanWith(p, price, deterministicAmerican(p), &fc)
}

// newtonFromEuropeanWith is newtonFromEuropean given the value without volatility, det, and
// taking the factors of the fixed-point method that do not depend on volatility from fc
// (see fpConst).
func newtonFromEuropeanWith(p Params, price, det float64, fc *fpConst) (v float64, d dual, ok bool) {
	// ImpliedVol, keeping the part of the European price that does not depend on
	// volatility for the first step.
	p.Vol = 0
	if p.Validate() != nil {
		return 0, dual{}, false
	}
	vf := newVolFree(p)
	v, err := impliedVolFree(vf, price)
	if err != nil || v <= 0 {
		return 0, dual{}, false
	}
	var lastV, lastVega float64
	solved, full := false, premiumWithinTol(p, v)
	for it := 0; it < 12 && !solved; it++ {
		q := p
		q.Vol = v
		var a, euro vnum
		var how rule
		if full {
			var e dual
			d, how, e = americanAtWith(q, det, fc, &vf)
			a, euro = vnum{d.v, d.vol}, vnum{e.v, e.vol}
		} else {
			a, how, euro = americanVegaWith(q, det, fc, &vf)
		}
		f := a.v - price
		if how != ruleClosedForm || math.IsNaN(f) {
			return 0, dual{}, false
		}
		if math.Abs(f) <= PriceTol {
			if !full {
				break
			}
			if !(a.vol > 0) {
				return 0, dual{}, false
			}
			return v, d, true
		}
		if !(a.vol > 0) {
			return 0, dual{}, false
		}
		step := f / a.vol
		if it > 0 {
			// Halley's step, with the volga of the American price from the change in its
			// vega since the last step. Once plain Newton's error, volga·step²/2, is well
			// inside the tolerance the step is the last.
			volga := (a.vol - lastVega) / (v - lastV)
			if c := 1 - 0.5*step*volga/a.vol; c > 0.5 && c < 2 {
				step /= c
			}
			newton := math.Abs(0.5 * volga * step * step)
			solved = newton <= finalResidual && math.Abs(step) <= 1e-4*v
			full = newton <= fullAfterHalley
			lastV, lastVega = v, a.vol
			v -= step
		} else {
			// The price is the European one plus the early-exercise premium, which
			// bends little with volatility near the money: the first step solves the
			// European price plus the premium taken as linear about the European implied
			// volatility, a cheap European solve.
			premium, premVega := a.v-euro.v, a.vol-euro.vol
			target := price - premium + premVega*v
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
			// The step's error is the premium's bend over it, about premium·(step/σ)²/2
			// taking the curvature in volatility as premium/σ²; on the benchmark's chains
			// that foretells within a factor of five whether the next price lands.
			full = 0.5*math.Abs(premium)*((x-v)/v)*((x-v)/v) <= fullAfterFirst
			lastV, lastVega = v, a.vol
			v = x
		}
		if !(v > 0 && v < MaxVol) {
			return 0, dual{}, false
		}
	}
	// The Greeks at the solution; should its price miss after all, Newton steps with them.
	for range 4 {
		q := p
		q.Vol = v
		d, how, _ := americanAtWith(q, det, fc, &vf)
		f := d.v - price
		if how != ruleClosedForm || math.IsNaN(f) || !(d.vol > 0) {
			return 0, dual{}, false
		}
		if math.Abs(f) <= PriceTol {
			return v, d, true
		}
		v -= f / d.vol
		if !(v > 0 && v < MaxVol) {
			return 0, dual{}, false
		}
	}
	return 0, dual{}, false
}

// premiumWithinTol tells whether the early-exercise premium of p at volatility v is
// expected within PriceTol, so that the first price of newtonFromEuropean, at the European
// implied volatility, lands and should carry every derivative: where the method prices
// European (americanMethodOf) it is nil, and where earlyExerciseBound is within a hundred
// times PriceTol the premium is within PriceTol on every fixed-point contract of
// TestEarlyExerciseBound's grid, the bound exceeding it a hundred times or more.
func premiumWithinTol(p Params, v float64) bool {
	rate, yield := p.callRates()
	if !(yield > 0) {
		return false
	}
	p.Vol = v
	return earlyExerciseBound(p, rate, yield) <= 100*PriceTol
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
