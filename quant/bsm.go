package quant

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Kind is the option right: a call or a put.
type Kind int

// Option rights.
const (
	Call Kind = iota
	Put
)

// ParseKind reads "call", "c", "put" or "p" in any case.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "call", "c":
		return Call, nil
	case "put", "p":
		return Put, nil
	}
	return 0, fmt.Errorf("parse option kind %q: want call, c, put or p", s)
}

func (k Kind) String() string {
	switch k {
	case Call:
		return "call"
	case Put:
		return "put"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Params describes one option contract and its market.
type Params struct {
	Kind   Kind
	Spot   float64 // underlying price, > 0
	Strike float64 // > 0
	Rate   float64 // risk-free rate, continuous
	Div    float64 // dividend yield (or foreign rate, borrow cost), continuous
	Vol    float64 // annualised volatility, >= 0
	Time   float64 // time to expiry in years, >= 0
}

// Validate reports the first field that cannot be priced.
func (p Params) Validate() error {
	// Every finite number x has x-x == 0; infinities and NaN give NaN. The common case
	// returns here, without building the table of checks below.
	if (p.Kind == Call || p.Kind == Put) && p.Spot > 0 && p.Strike > 0 && p.Vol >= 0 && p.Time >= 0 &&
		(p.Spot-p.Spot)+(p.Strike-p.Strike)+(p.Rate-p.Rate)+(p.Div-p.Div)+(p.Vol-p.Vol)+(p.Time-p.Time) == 0 {
		return nil
	}
	if p.Kind != Call && p.Kind != Put {
		return fmt.Errorf("option kind %d: want call or put", int(p.Kind))
	}
	checks := []struct {
		name string
		v    float64
		ok   bool
		want string
	}{
		{"spot", p.Spot, p.Spot > 0, "> 0"},
		{"strike", p.Strike, p.Strike > 0, "> 0"},
		{"rate", p.Rate, true, "finite"},
		{"dividend yield", p.Div, true, "finite"},
		{"volatility", p.Vol, p.Vol >= 0, ">= 0"},
		{"time", p.Time, p.Time >= 0, ">= 0 years"},
	}
	for _, c := range checks {
		if math.IsNaN(c.v) || math.IsInf(c.v, 0) || !c.ok {
			return fmt.Errorf("%s %v: want finite and %s", c.name, c.v, c.want)
		}
	}
	return nil
}

// bsm holds the pieces shared by the price and every Greek.
type bsm struct {
	sign       float64 // +1 call, -1 put
	dq, dr     float64 // e^{-qT}, e^{-rT}
	fwdS, fwdK float64 // S e^{-qT}, K e^{-rT}
	sqrtT      float64
	d1, d2     float64
	nd1, nd2   float64 // N(sign d1), N(sign d2)
	pdf        float64 // n(d1); zero when the distribution is degenerate
}

func newBSM(p Params) bsm { return newVolFree(p).at(p.Vol) }

// volFree is the part of bsm that does not depend on volatility, computed once when the
// volatility is searched for.
type volFree struct {
	p   Params
	b   bsm     // sign, discount factors, forwards and √T filled in
	lsk float64 // log(S/K)
}

func newVolFree(p Params) volFree {
	b := bsm{sign: 1}
	if p.Kind == Put {
		b.sign = -1
	}
	b.dq = math.Exp(-p.Div * p.Time)
	b.dr = math.Exp(-p.Rate * p.Time)
	b.fwdS = p.Spot * b.dq
	b.fwdK = p.Strike * b.dr
	b.sqrtT = math.Sqrt(p.Time)
	return volFree{p: p, b: b, lsk: math.Log(p.Spot / p.Strike)}
}

// at completes the pieces for volatility vol.
func (f volFree) at(vol float64) bsm {
	b, p := f.b, f.p
	sd := vol * b.sqrtT
	if sd == 0 {
		// No uncertainty left: the option is worth its discounted forward intrinsic value,
		// so N(d1) and N(d2) collapse to a step at the forward strike.
		var step float64
		switch m := b.sign * (b.fwdS - b.fwdK); {
		case m > 0:
			step = 1
		case m == 0:
			step = 0.5
		}
		b.nd1, b.nd2 = step, step
		return b
	}
	b.d1 = (f.lsk + (p.Rate-p.Div+0.5*vol*vol)*p.Time) / sd
	b.d2 = b.d1 - sd
	// n(±d₁) is n(d₁) to the bit.
	b.nd1, b.pdf = normCDFPDF(b.sign * b.d1)
	b.nd2 = normCDF(b.sign * b.d2)
	return b
}

func (b bsm) price() float64 {
	v := b.sign * (b.fwdS*b.nd1 - b.fwdK*b.nd2)
	// Cancellation can leave a tiny negative number for far out-of-the-money options.
	return math.Max(v, 0)
}

// Price is the Black-Scholes-Merton value of a European option with a continuous dividend
// yield. With no time or no volatility left it is the (discounted forward) intrinsic value.
// Invalid parameters give NaN; call Validate for the reason.
func Price(p Params) float64 {
	if p.Validate() != nil {
		return math.NaN()
	}
	return newBSM(p).price()
}

// Greeks are the price and its sensitivities in trader units.
type Greeks struct {
	Price     float64
	Delta     float64 // dV/dS
	Gamma     float64 // d2V/dS2
	ThetaYear float64 // value change per year of calendar time passing (-dV/dT)
	ThetaDay  float64 // ThetaYear / 365
	Vega      float64 // per volatility point: value change for +0.01 in Vol
	Rho       float64 // per rate point: value change for +0.01 in Rate
}

// BSMGreeks returns closed-form Black-Scholes-Merton Greeks. Invalid parameters give NaN fields.
func BSMGreeks(p Params) Greeks {
	if p.Validate() != nil {
		nan := math.NaN()
		return Greeks{nan, nan, nan, nan, nan, nan, nan}
	}
	return bsmGreeksOf(p, newBSM(p))
}

// bsmGreeksOf is BSMGreeks for valid parameters given their pieces, newBSM(p).
func bsmGreeksOf(p Params, b bsm) Greeks {
	g := Greeks{
		Price: b.price(),
		Delta: b.sign * b.dq * b.nd1,
		Rho:   b.sign * p.Strike * p.Time * b.dr * b.nd2 / 100,
	}
	theta := b.sign * (p.Div*b.fwdS*b.nd1 - p.Rate*b.fwdK*b.nd2)
	if b.pdf > 0 {
		g.Gamma = b.dq * b.pdf / (p.Spot * p.Vol * b.sqrtT)
		g.Vega = b.fwdS * b.pdf * b.sqrtT / 100
		theta -= b.fwdS * b.pdf * p.Vol / (2 * b.sqrtT)
	}
	g.ThetaYear = theta
	g.ThetaDay = theta / 365
	return g
}

// Bounds returns the no-arbitrage bounds of a European price: the discounted forward
// intrinsic value below, and the discounted asset (call) or strike (put) above. At expiry
// both are the intrinsic value.
func Bounds(p Params) (lo, hi float64) {
	return boundsOf(p, p.Spot*math.Exp(-p.Div*p.Time), p.Strike*math.Exp(-p.Rate*p.Time))
}

// boundsOf is Bounds given the discounted asset and strike.
func boundsOf(p Params, fwdS, fwdK float64) (lo, hi float64) {
	if p.Kind == Put {
		lo, hi = math.Max(fwdK-fwdS, 0), fwdK
	} else {
		lo, hi = math.Max(fwdS-fwdK, 0), fwdS
	}
	if p.Time == 0 {
		hi = lo
	}
	return lo, hi
}

// ErrNoSolution means no volatility reproduces the price.
var ErrNoSolution = errors.New("no implied volatility: price outside no-arbitrage bounds")

// ErrVolOutOfRange means the price is inside the no-arbitrage bounds but needs a volatility
// above MaxVol (up to the upper bound itself, which needs an infinite one); such quotes are
// treated as bad data rather than searched for.
var ErrVolOutOfRange = errors.New("implied volatility above search range")

// ErrAtIntrinsic means an American price at or below its intrinsic value: exercising now
// is worth as much, so every volatility up to some level reproduces it (deep in the money
// the price is the intrinsic value over a range of volatilities) or none does, and the
// implied volatility is not defined. It is also an ErrNoSolution.
var ErrAtIntrinsic = fmt.Errorf("%w: american price at or below intrinsic value", ErrNoSolution)

// Solver limits shared by the European and American inversions.
const (
	// MaxVol is the top of the implied volatility search (1000%).
	MaxVol = 10.0
	// PriceTol is the accepted absolute price error of an implied volatility.
	PriceTol = 1e-8
	maxIter  = 200
)

// ImpliedVol returns the volatility at which Price matches price within PriceTol. It runs
// Newton-Raphson from the Corrado-Miller estimate inside a bracket that shrinks on every
// step, bisecting whenever Newton would leave the bracket or stalls. p.Vol is ignored.
// A price within PriceTol of the lower bound returns 0: no uncertainty is needed to explain
// it, which also covers any price at expiry.
func ImpliedVol(p Params, price float64) (float64, error) {
	p.Vol = 0
	if err := p.Validate(); err != nil {
		return 0, fmt.Errorf("implied vol: %w", err)
	}
	return impliedVolFree(newVolFree(p), price)
}

// impliedVolFree is ImpliedVol for valid parameters, from their part that does not depend
// on volatility, whose discount factors give the bounds and the first guess as well.
func impliedVolFree(vf volFree, price float64) (float64, error) {
	p := vf.p
	lo, hi := boundsOf(p, vf.b.fwdS, vf.b.fwdK)
	if err := checkBounds(price, lo, hi, p, false); err != nil {
		return 0, err
	}
	if price-lo <= PriceTol {
		return 0, nil
	}
	f := func(v float64) (diff, vega float64) {
		b := vf.at(v)
		return b.price() - price, b.fwdS * b.pdf * b.sqrtT
	}
	// The price at MaxVol tells a price no volatility in range reaches from one that needs
	// a volatility above MaxVol. It is worked out only while no step has priced above the
	// price, and only once a step bisects or the search ends: a search that prices above
	// it, or within PriceTol of it, has found it below the price at MaxVol (the price
	// rises with volatility), where the check passes, and Newton's steps from below the
	// price rise until they bisect.
	checked := false
	checkTop := func() error {
		if checked {
			return nil
		}
		checked = true
		top, _ := f(MaxVol)
		if math.IsNaN(top) {
			// Finite inputs can still overflow, e.g. e^{-rT} for an extreme rate.
			return fmt.Errorf("implied vol: %s price not computable for %+v", p.Kind, p)
		}
		if top < -PriceTol {
			return &priceError{shape: aboveSearch, kind: p.Kind, price: price, lo: lo, hi: hi, err: ErrVolOutOfRange}
		}
		return nil
	}
	// Price is increasing in vol, so the bracket keeps f(a) < 0 <= f(bTop) as it shrinks.
	a, bTop := 0.0, MaxVol
	v := initialVolOf(p, price, vf.b.fwdS, vf.b.fwdK)
	if !(v > a && v < bTop) {
		v = 0.5 * (a + bTop)
	}
	prev := math.Inf(1)
	for range maxIter {
		diff, vega := f(v)
		if math.IsNaN(diff) {
			if err := checkTop(); err != nil {
				return 0, err
			}
			return 0, fmt.Errorf("implied vol: %s price not computable at vol %g for %+v", p.Kind, v, p)
		}
		if math.Abs(diff) <= PriceTol {
			return v, nil
		}
		if diff < 0 {
			a = v
		} else {
			bTop, checked = v, true
		}
		if bTop-a <= 1e-15*bTop {
			// PriceTol is out of reach in floating point (very large prices): this is
			// the closest representable vol.
			if err := checkTop(); err != nil {
				return 0, err
			}
			return v, nil
		}
		next := v - diff/vega
		// Newton is trusted only while it stays strictly inside the bracket and at least
		// halves the error of the step before; otherwise bisect.
		if vega <= 0 || math.IsNaN(next) || next <= a || next >= bTop || math.Abs(diff) > 0.5*prev {
			if err := checkTop(); err != nil {
				return 0, err
			}
			next = 0.5 * (a + bTop)
		}
		prev = math.Abs(diff)
		v = next
	}
	if err := checkTop(); err != nil {
		return 0, err
	}
	return v, nil
}

// checkBounds rejects prices outside [lo, hi], allowing PriceTol of rounding either side;
// american says which search refuses it.
func checkBounds(price, lo, hi float64, p Params, american bool) error {
	if math.IsNaN(price) || price < lo-PriceTol || price > hi+PriceTol {
		return &priceError{shape: outsideBounds, american: american, kind: p.Kind, price: price, lo: lo, hi: hi, err: ErrNoSolution}
	}
	return nil
}

// priceError is a price an implied volatility cannot explain. It is formatted only when
// read: a chain's cleaning meets thousands of them (deep in-the-money quotes at
// intrinsic value, stale quotes outside the bounds) and reads only which kind each is
// (errors.Is): formatting each at once made a snapshot's cleaning allocate 13,646
// objects where it now allocates 7,991 (-bench 'CleanOptions/clean' -benchmem ./transform/).
type priceError struct {
	shape         priceShape
	american      bool
	kind          Kind
	price, lo, hi float64 // lo is the intrinsic value for atIntrinsic
	err           error
}

type priceShape uint8

const (
	outsideBounds priceShape = iota // price outside [lo, hi]
	aboveSearch                     // price above what MaxVol gives, bounds [lo, hi]
	atIntrinsic                     // price at or below the intrinsic value lo
)

func (e *priceError) Error() string {
	switch {
	case e.shape == atIntrinsic:
		return fmt.Sprintf("american %s price %g, intrinsic %g: %v", e.kind, e.price, e.lo, e.err)
	case e.shape == aboveSearch && e.american:
		return fmt.Sprintf("american %s price %g (bounds [%g, %g]): %v", e.kind, e.price, e.lo, e.hi, e.err)
	case e.shape == aboveSearch:
		return fmt.Sprintf("%s price %g (bounds [%g, %g]): %v", e.kind, e.price, e.lo, e.hi, e.err)
	case e.american:
		return fmt.Sprintf("american: %s price %g outside [%g, %g]: %v", e.kind, e.price, e.lo, e.hi, e.err)
	}
	return fmt.Sprintf("%s price %g outside [%g, %g]: %v", e.kind, e.price, e.lo, e.hi, e.err)
}

func (e *priceError) Unwrap() error { return e.err }

// initialVolOf is the Corrado-Miller (1996) estimate, computed on the call price given by
// put-call parity and on the discounted spot s and strike k so dividends and rates are
// accounted for.
func initialVolOf(p Params, price, s, k float64) float64 {
	c := price
	if p.Kind == Put {
		c = price + s - k
	}
	m := c - 0.5*(s-k)
	disc := m*m - (s-k)*(s-k)/math.Pi
	if disc < 0 {
		disc = 0
	}
	sd := math.Sqrt(2*math.Pi) / (s + k) * (m + math.Sqrt(disc))
	if sd > 0 && !math.IsInf(sd, 0) {
		return sd / math.Sqrt(p.Time)
	}
	// Far from the money the estimate fails; Manaster-Koehler puts the start at the
	// inflection point of price in vol, where Newton converges from either side.
	return math.Sqrt(2 * math.Abs(math.Log(s/k)) / p.Time)
}
