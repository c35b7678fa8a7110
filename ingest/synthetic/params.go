package synthetic

import "math"

const tradingDaysPerYear = 252

// params are one symbol's model parameters, drawn once from (Seed, symbol).
// The ranges are documented in doc.go.
type params struct {
	refPrice float64 // close on refDate, in dollars
	drift    float64 // annual expected price return
	vol      float64 // long-run annual volatility, jumps included

	// GARCH(1,1) on the daily diffusion shock: h' = omega + alpha*eps^2 + beta*h.
	alpha, beta float64
	omega       float64 // derived by finish
	hbar        float64 // long-run daily diffusion variance, derived by finish

	jumpRate float64 // expected jumps per year
	jumpMean float64 // mean log jump size
	jumpSD   float64 // standard deviation of the log jump size

	divYield   float64 // continuous annual dividend yield
	baseVolume float64 // typical daily share volume

	// Option surface.
	skew      float64 // slope of the smile in standardised log-moneyness (negative)
	curvature float64 // convexity of the smile
	premium   float64 // implied over forecast volatility, as a fraction
}

func drawParams(key uint64) params {
	r := newStream(mix(key, tagParams))
	p := params{
		refPrice: r.logUniform(20, 600),
		drift:    r.uniform(0.02, 0.14),
		vol:      r.uniform(0.18, 0.55),
		alpha:    r.uniform(0.05, 0.12),
	}
	persistence := r.uniform(0.94, 0.98)
	p.beta = math.Min(math.Max(persistence-p.alpha, 0.80), 0.92)
	p.jumpRate = r.uniform(1, 5)
	p.jumpMean = r.uniform(-0.02, 0.005)
	p.jumpSD = r.uniform(0.02, 0.06)
	if r.float() < 0.25 {
		p.divYield = 0
	} else {
		p.divYield = r.uniform(0.003, 0.03)
	}
	p.baseVolume = r.logUniform(2e6, 6e7)
	p.skew = r.uniform(-0.25, -0.08)
	p.curvature = r.uniform(0.10, 0.35)
	p.premium = r.uniform(0.02, 0.10)
	return p
}

// jumpVar is the annual variance contributed by jumps.
func (p *params) jumpVar() float64 {
	return p.jumpRate * (p.jumpMean*p.jumpMean + p.jumpSD*p.jumpSD)
}

// finish derives omega and hbar so the total long-run variance (diffusion plus
// jumps) matches vol. Jumps are capped at 40% of it so the diffusion, and with
// it the GARCH dynamics, always carries most of the risk.
func (p *params) finish() {
	total := p.vol * p.vol
	if jv := p.jumpVar(); jv > 0.4*total {
		f := math.Sqrt(0.4 * total / jv)
		p.jumpMean *= f
		p.jumpSD *= f
	}
	p.hbar = (total - p.jumpVar()) / tradingDaysPerYear
	p.omega = p.hbar * (1 - p.alpha - p.beta)
}

// jumpCompensator is the expected relative price change of one jump, E[e^J - 1].
func (p *params) jumpCompensator() float64 {
	return math.Exp(p.jumpMean+0.5*p.jumpSD*p.jumpSD) - 1
}

// atmVol is the at-the-money implied volatility for an expiry T years away
// given today's conditional variance h: the GARCH forecast of the mean
// diffusion variance over the life of the option, plus the jump variance,
// annualised, plus the volatility premium.
func (p *params) atmVol(h, years float64) float64 {
	n := math.Max(years*tradingDaysPerYear, 1)
	persistence := p.alpha + p.beta
	mean := p.hbar
	if persistence < 1 {
		mean += (h - p.hbar) * (1 - math.Pow(persistence, n)) / ((1 - persistence) * n)
	}
	annual := math.Max(mean, 0)*tradingDaysPerYear + p.jumpVar()
	return math.Sqrt(annual) * (1 + p.premium)
}

// Smile multiplier bounds keep the far wings of very short expiries finite.
const (
	smileFloor = 0.6
	smileCap   = 4.0
)

// smileVol is sigma(K, T) = atm(T) * (1 + skew*k + curvature*k^2) with
// k = ln(K/F)/sqrt(T), the multiplier clamped to [smileFloor, smileCap].
func (p *params) smileVol(atm, strike, forward, years float64) float64 {
	k := math.Log(strike/forward) / math.Sqrt(years)
	m := 1 + p.skew*k + p.curvature*k*k
	return atm * math.Min(math.Max(m, smileFloor), smileCap)
}
