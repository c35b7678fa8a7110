package predict

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// GARCHJFit is one symbol's GARCH with jumps kept out of the variance
// dynamics: the diffusion shock e[t] drives
//
//	h[t+1] = Omega + Alpha*e[t]^2 + Beta*h[t]
//
// and jumps, which arrive in the overnight gap, add a constant. The shock
// is the close-to-close return less its mean, except on a session whose
// overnight gap lies more than JumpK gap standard deviations
// (sqrt(Gap*h[t])) from its mean: that gap is taken as a jump, and the
// shock's square is the session's squared return plus the gap's expected
// diffusion part Gap*h[t]. The session's realised variance enters the
// likelihood as a measurement of h (log RV = log h + const + noise, as in
// Hansen, Huang and Shek's realised GARCH), which pins Alpha and Beta down
// on a year or two of data far better than returns alone.
//
// The forecast of the next session's realised variance (the quantity
// scored) is Scale*h[t+1] + Jump: Scale maps the diffusion variance to
// squared intraday returns plus the squared diffusion gap, Jump is the
// mean jump variance per session.
type GARCHJFit struct {
	Mu    float64 `json:"mu"`    // mean close-to-close log return
	MuGap float64 `json:"muGap"` // mean overnight log return
	Omega float64 `json:"omega"`
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
	Gap   float64 `json:"gap"`   // share of the diffusion variance in the overnight gap
	Scale float64 `json:"scale"` // E[RV | no jump] / h
	Jump  float64 `json:"jump"`  // jump variance per session
	H0    float64 `json:"h0"`    // the variance the recursion starts from
}

// JumpK is how many gap standard deviations make an overnight gap a jump.
const JumpK = 4.0

// jumpObs is one session as the GARCH-J recursion reads it.
type jumpObs struct {
	gap, session float64 // overnight and open-to-close log returns
	rv           float64 // the session's realised variance, gap included
}

func jumpObsOf(s *Series, from, to int) []jumpObs {
	out := make([]jumpObs, 0, to-from+1)
	for t := max(from, 1); t <= to; t++ {
		g := math.Log(s.Open[t] / s.Close[t-1])
		out = append(out, jumpObs{gap: g, session: math.Log(s.Close[t] / s.Open[t]), rv: s.RV[t]})
	}
	return out
}

// step advances the recursion over one session: it returns h[t+1] given
// h[t] and the session, and whether its gap was a jump.
func (g *GARCHJFit) step(h float64, o jumpObs) (float64, bool) {
	gd := o.gap - g.MuGap
	jump := gd*gd > JumpK*JumpK*g.Gap*h
	var e2 float64
	if jump {
		sd := o.session - (g.Mu - g.MuGap)
		e2 = sd*sd + g.Gap*h
	} else {
		e := o.gap + o.session - g.Mu
		e2 = e * e
	}
	return g.Omega + g.Alpha*e2 + g.Beta*h, jump
}

func (g *GARCHJFit) forecast(h float64) float64 { return g.Scale*h + g.Jump }

// path fills v[t], the forecast of RV[t+1] given sessions up to t, and
// returns h of the session after the last.
func (g GARCHJFit) path(s *Series, v []float64) float64 {
	h := g.H0
	for t := range s.Len() {
		if t > 0 {
			h, _ = g.step(h, jumpObs{gap: math.Log(s.Open[t] / s.Close[t-1]), session: math.Log(s.Close[t] / s.Open[t])})
		}
		v[t] = g.forecast(h)
	}
	return h
}

// ahead is the forecast of each of the next k sessions' realised variance
// from h, the conditional variance of the next one.
func (g GARCHJFit) ahead(h float64, k int) []float64 {
	p := g.Alpha + g.Beta
	long := g.Omega / (1 - p)
	out := make([]float64, k)
	for i := range out {
		out[i] = g.forecast(long + math.Pow(p, float64(i))*(h-long))
	}
	return out
}

// FitGARCHJ estimates GARCH-J on sessions from..to of s (from >= 1) by
// Gaussian quasi maximum likelihood of the diffusion shocks jointly with
// the log realised variance as a measurement of h, with gonum's
// Nelder-Mead over the same unconstrained transform as FitGARCH.
func FitGARCHJ(s *Series, from, to int) (GARCHJFit, error) {
	obs := jumpObsOf(s, from, to)
	n := len(obs)
	if n < 100 {
		return GARCHJFit{}, fmt.Errorf("garch-j: %d sessions, need 100", n)
	}
	var f GARCHJFit
	g2, s2 := make([]float64, n), make([]float64, n)
	for _, o := range obs {
		f.Mu += o.gap + o.session
		f.MuGap += o.gap
	}
	f.Mu /= float64(n)
	f.MuGap /= float64(n)
	for i, o := range obs {
		gd, sd := o.gap-f.MuGap, o.session-(f.Mu-f.MuGap)
		g2[i], s2[i] = gd*gd, sd*sd
	}
	// The gap's share of the diffusion variance, from medians so that
	// jumps do not inflate it.
	mg, ms := median(g2), median(s2)
	if !(mg+ms > 0) {
		return GARCHJFit{}, errors.New("garch-j: returns have no variance")
	}
	f.Gap = math.Max(mg/(mg+ms), 0.01)
	// Start from the sessions' diffusion variance, measured robustly.
	v0 := (mg + ms) / 0.4549 // median of a chi-square with one degree of freedom
	f.H0 = v0
	logx := make([]float64, n)
	for i, o := range obs {
		logx[i] = math.Log(math.Max(o.rv-o.gap*o.gap, minRV))
	}
	decode := func(x []float64) (omega, alpha, beta float64) { return garchParams(v0, x) }
	d := make([]float64, n)
	nll := func(x []float64) float64 {
		c := f
		c.Omega, c.Alpha, c.Beta = decode(x)
		h, ll, mean := v0, 0.0, 0.0
		for i, o := range obs {
			d[i] = logx[i] - math.Log(h)
			mean += d[i]
			next, jump := c.step(h, o)
			e2 := (o.gap + o.session - c.Mu) * (o.gap + o.session - c.Mu)
			if jump {
				sd := o.session - (c.Mu - c.MuGap)
				e2 = sd * sd / (1 - c.Gap) // the session's shock alone, rescaled
			}
			ll += math.Log(h) + e2/h
			h = next
		}
		mean /= float64(n)
		ss := 0.0
		for _, di := range d {
			ss += (di - mean) * (di - mean)
		}
		ll += float64(n) * math.Log(ss/float64(n)+1e-12)
		if math.IsNaN(ll) || math.IsInf(ll, 0) {
			return math.Inf(1)
		}
		return 0.5 * ll
	}
	x, err := minimizeGARCH(nll)
	if err != nil {
		return GARCHJFit{}, fmt.Errorf("garch-j: %w", err)
	}
	f.Omega, f.Alpha, f.Beta = decode(x)
	// Scale and Jump from the fitted path: the realised variance over h
	// on sessions without a jump, and the gaps' excess over their
	// diffusion part on sessions with one.
	h := v0
	var ratio, jumpVar float64
	var plain int
	for _, o := range obs {
		next, jump := f.step(h, o)
		if jump {
			jumpVar += math.Max(o.gap*o.gap-f.Gap*h, 0)
		} else {
			ratio += o.rv / h
			plain++
		}
		h = next
	}
	if plain == 0 {
		return GARCHJFit{}, errors.New("garch-j: every session has a jump")
	}
	f.Scale = ratio / float64(plain)
	f.Jump = jumpVar / float64(n)
	return f, nil
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return quantileSorted(s, 0.5)
}
