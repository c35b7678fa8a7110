package predict

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// GARCHFit is one symbol's GARCH(1,1): h[t+1] = Omega + Alpha*e[t]^2 + Beta*h[t]
// with e[t] = r[t] - Mu.
type GARCHFit struct {
	Mu    float64 `json:"mu"`
	Omega float64 `json:"omega"`
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
	H0    float64 `json:"h0"` // the variance the recursion starts from
}

// path fills v[t], the conditional variance of r[t+1] given returns up to t.
func (g GARCHFit) path(s *Series, v []float64) {
	h := g.H0
	if s.Len() > 0 {
		v[0] = h
	}
	for t := 1; t < s.Len(); t++ {
		e := s.Return(t) - g.Mu
		h = g.Omega + g.Alpha*e*e + g.Beta*h
		v[t] = h
	}
}

// FitGARCH estimates GARCH(1,1) by Gaussian (quasi) maximum likelihood on
// returns, with gonum's Nelder-Mead over an unconstrained transform that
// keeps Omega > 0, Alpha, Beta >= 0 and Alpha + Beta < 1.
func FitGARCH(r []float64) (GARCHFit, error) {
	n := len(r)
	if n < 100 {
		return GARCHFit{}, fmt.Errorf("garch: %d returns, need 100", n)
	}
	mu, sd := meanSD(r)
	v0 := sd * sd
	if !(v0 > 0) {
		return GARCHFit{}, errors.New("garch: returns have no variance")
	}
	e := make([]float64, n)
	for i, x := range r {
		e[i] = x - mu
	}
	decode := func(x []float64) (omega, alpha, beta float64) { return garchParams(v0, x) }
	nll := func(x []float64) float64 {
		omega, alpha, beta := decode(x)
		h, ll := v0, 0.0
		for _, et := range e {
			ll += math.Log(h) + et*et/h
			h = omega + alpha*et*et + beta*h
		}
		if math.IsNaN(ll) || math.IsInf(ll, 0) {
			return math.Inf(1)
		}
		return 0.5 * ll
	}
	x, err := minimizeGARCH(nll)
	if err != nil {
		return GARCHFit{}, fmt.Errorf("garch: %w", err)
	}
	omega, alpha, beta := decode(x)
	return GARCHFit{Mu: mu, Omega: omega, Alpha: alpha, Beta: beta, H0: v0}, nil
}

// garchParams maps the unconstrained x to Omega > 0 (a multiple of v0),
// Alpha, Beta >= 0 and Alpha + Beta < 1.
func garchParams(v0 float64, x []float64) (omega, alpha, beta float64) {
	p := 0.9999 * logistic(x[1])
	alpha = p * logistic(x[2])
	return v0 * math.Exp(x[0]), alpha, p - alpha
}

// minimizeGARCH minimises nll over garchParams' x with Nelder-Mead,
// starting at persistence 0.95 and alpha 0.08 around v0.
func minimizeGARCH(nll func([]float64) float64) ([]float64, error) {
	p0, a0 := 0.95, 0.08
	x0 := []float64{math.Log(1 - p0), logit(p0 / 0.9999), logit(a0 / p0)}
	res, err := optimize.Minimize(optimize.Problem{Func: nll}, x0, &optimize.Settings{
		MajorIterations: 2000, FuncEvaluations: 4000, Converger: &optimize.FunctionConverge{Absolute: 1e-9, Iterations: 30},
	}, &optimize.NelderMead{})
	if err != nil && res == nil {
		return nil, err
	}
	return res.X, nil
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func logit(p float64) float64 { return math.Log(p / (1 - p)) }
