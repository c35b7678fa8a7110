package predict

import (
	"fmt"
	"math"
	"slices"
)

// Names of the volatility models.
const (
	RandomWalk = "random-walk" // tomorrow's variance is today's realised variance
	EWMA       = "ewma"        // RiskMetrics, lambda 0.94, on squared daily returns
	ImpliedVol = "implied-vol" // the 30-day ATM implied volatility, squared, per session
	GARCH      = "garch"       // GARCH(1,1) by maximum likelihood, per symbol
	GARCHJ     = "garch-j"     // GARCH on the diffusion shock, overnight jumps apart, with RV as a measurement
	HARRV      = "har-rv"      // Corsi (2009) on realised variance, per symbol
	Ridge      = "ridge-harx"  // ridge on log realised variance: HAR lags, indicators, options
)

// Baselines are the models a candidate has to beat; Candidates are fitted
// and may serve.
var (
	Baselines  = []string{EWMA, RandomWalk, ImpliedVol}
	Candidates = []string{GARCH, GARCHJ, HARRV, Ridge}
)

// QuantileLevels are the price quantiles forecast.
var QuantileLevels = [5]float64{0.05, 0.25, 0.5, 0.75, 0.95}

// Model is one fitted volatility model as stored in an artefact.
type Model struct {
	Name   string               `json:"name"`
	Lambda float64              `json:"lambda,omitempty"`
	GARCH  map[string]GARCHFit  `json:"garch,omitempty"`
	GARCHJ map[string]GARCHJFit `json:"garchJ,omitempty"`
	HAR    map[string]HARFit    `json:"har,omitempty"`
	Ridge  *RidgeFit            `json:"ridge,omitempty"`
	// Z are the quantiles of next-session returns over the forecast
	// volatility in the training window, at QuantileLevels: price bands
	// come from them, not from a normal law, so fat tails and jumps widen
	// the outer bands as they did in the data.
	Z [5]float64 `json:"z"`
}

// Knows says whether the model has what it needs to forecast sym.
func (m *Model) Knows(sym string) bool {
	switch m.Name {
	case GARCH:
		_, ok := m.GARCH[sym]
		return ok
	case GARCHJ:
		_, ok := m.GARCHJ[sym]
		return ok
	case HARRV:
		_, ok := m.HAR[sym]
		return ok
	case Ridge:
		if m.Ridge == nil {
			return false
		}
		_, ok := m.Ridge.Level[sym]
		return ok
	}
	return true
}

// OneStep returns v with v[t] the forecast, made with data up to session t
// only, of the variance of the return into session t+1; NaN where the
// model cannot forecast.
func (m *Model) OneStep(s *Series, ind Indicators) []float64 {
	n := s.Len()
	v := nanSlice(n)
	switch m.Name {
	case RandomWalk:
		copy(v, s.RV)
	case EWMA:
		ewmaPath(s, m.Lambda, v)
	case ImpliedVol:
		for t, iv := range s.IV {
			v[t] = iv * iv / tradingDays
		}
	case GARCH:
		if g, ok := m.GARCH[s.Symbol]; ok {
			g.path(s, v)
		}
	case GARCHJ:
		if g, ok := m.GARCHJ[s.Symbol]; ok {
			g.path(s, v)
		}
	case HARRV:
		if h, ok := m.HAR[s.Symbol]; ok {
			lags := harLags(s.RV)
			for t := range n {
				if t >= harMonth-1 {
					v[t] = h.predict(lags[t])
				}
			}
		}
	case Ridge:
		if m.Ridge != nil {
			m.Ridge.path(s, ind, v)
		}
	}
	return v
}

// Ahead forecasts, at the series' last session, the variance of each of
// the next h returns.
func (m *Model) Ahead(s *Series, ind Indicators, h int) ([]float64, error) {
	n := s.Len()
	if n < 2 {
		return nil, fmt.Errorf("%s: no history", s.Symbol)
	}
	out := make([]float64, h)
	fill := func(x float64) {
		for i := range out {
			out[i] = x
		}
	}
	switch m.Name {
	case RandomWalk, EWMA, ImpliedVol:
		v := m.OneStep(s, ind)
		fill(v[n-1])
	case GARCH:
		g, ok := m.GARCH[s.Symbol]
		if !ok {
			return nil, fmt.Errorf("%s: %s has no fit for it", s.Symbol, m.Name)
		}
		v := nanSlice(n)
		g.path(s, v)
		long := g.Omega / (1 - g.Alpha - g.Beta)
		for k := range out {
			out[k] = long + math.Pow(g.Alpha+g.Beta, float64(k))*(v[n-1]-long)
		}
	case GARCHJ:
		g, ok := m.GARCHJ[s.Symbol]
		if !ok {
			return nil, fmt.Errorf("%s: %s has no fit for it", s.Symbol, m.Name)
		}
		out = g.ahead(g.path(s, nanSlice(n)), h)
	case HARRV:
		hf, ok := m.HAR[s.Symbol]
		if !ok {
			return nil, fmt.Errorf("%s: %s has no fit for it", s.Symbol, m.Name)
		}
		rv := slices.Clone(s.RV)
		for k := range out {
			l := harLags(rv[len(rv)-harMonth:])
			out[k] = hf.predict(l[len(l)-1])
			rv = append(rv, out[k])
		}
	case Ridge:
		if m.Ridge == nil || !m.Knows(s.Symbol) {
			return nil, fmt.Errorf("%s: %s has no fit for it", s.Symbol, m.Name)
		}
		return m.Ridge.ahead(s, ind, h), nil
	default:
		return nil, fmt.Errorf("unknown model %q", m.Name)
	}
	for _, x := range out {
		if !(x > 0) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %s cannot forecast it from the data it has", s.Symbol, m.Name)
		}
	}
	return out, nil
}

// tradingDays annualises a per-session variance.
const tradingDays = 252

// ewmaPath runs the RiskMetrics recursion on squared returns.
func ewmaPath(s *Series, lambda float64, v []float64) {
	n := s.Len()
	if n < 2 {
		return
	}
	seed, k := 0.0, 0
	for t := 1; t < n && k < 20; t++ {
		r := s.Return(t)
		seed += r * r
		k++
	}
	cur := seed / float64(k)
	v[0] = cur
	for t := 1; t < n; t++ {
		r := s.Return(t)
		cur = lambda*cur + (1-lambda)*r*r
		v[t] = cur
	}
}

// residualQuantiles are the quantiles at QuantileLevels of r[t+1]/sqrt(v[t])
// over t in [from, to) of every series.
func residualQuantiles(data []*Series, paths [][]float64, from, to []int) ([5]float64, error) {
	var z []float64
	for i, s := range data {
		v := paths[i]
		for t := max(from[i], 0); t < to[i] && t+1 < s.Len(); t++ {
			if v[t] > 0 {
				z = append(z, s.Return(t+1)/math.Sqrt(v[t]))
			}
		}
	}
	var q [5]float64
	if len(z) < 50 {
		return q, fmt.Errorf("%d standardised residuals, need 50", len(z))
	}
	slices.Sort(z)
	for k, p := range QuantileLevels {
		q[k] = quantileSorted(z, p)
	}
	return q, nil
}

func quantileSorted(x []float64, p float64) float64 {
	pos := p * float64(len(x)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(x) {
		return x[len(x)-1]
	}
	w := pos - float64(lo)
	return x[lo]*(1-w) + x[lo+1]*w
}
