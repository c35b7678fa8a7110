package predict

import (
	"fmt"
	"math"
	"slices"
)

// RidgeFit is a ridge regression of log realised variance one session
// ahead, pooled over symbols: each symbol's series is centred on its own
// mean log realised variance (Level), so one set of coefficients serves
// the universe. It is the learned model of fine-tune: with a few dozen
// thousand daily rows, a regularised linear model on logs (HAR-X) is what
// the volatility literature finds hard to beat, it refits in milliseconds
// inside the walk-forward, and its coefficients can be read.
type RidgeFit struct {
	Features []string           `json:"features"`
	Coef     []float64          `json:"coef"`
	Level    map[string]float64 `json:"level"`     // per symbol mean log RV of the training window
	ResidVar float64            `json:"resid_var"` // of the log forecast, for the lognormal mean
	Lambda   float64            `json:"lambda"`
}

// ridgeFeatureNames name the regressors in order.
var ridgeFeatureNames = []string{"intercept", "log_rv_day", "log_rv_week", "log_rv_month", "return_std", "abs_return_std",
	"rsi", "macd", "bollinger_width", "volume_z", "log_iv_var", "has_iv", "skew_25d", "term_slope"}

const minRV = 1e-7

func logRV(x float64) float64 { return math.Log(math.Max(x, minRV)) }

// ridgeRow writes the regressors of session t into row, with the series'
// realised variance lags given; lvl centres the logs.
func ridgeRow(row []float64, s *Series, ind Indicators, l [3]float64, r float64, t int, lvl float64) {
	sd := math.Sqrt(math.Max(l[2], minRV))
	row[0] = 1
	row[1], row[2], row[3] = logRV(l[0])-lvl, logRV(l[1])-lvl, logRV(l[2])-lvl
	row[4], row[5] = clip(r/sd, 5), clip(math.Abs(r)/sd, 5)
	row[6] = orZero((ind.RSI[t] - 50) / 50)
	row[7] = clip(orZero(ind.MACD[t]*100), 5)
	row[8] = clip(orZero(ind.BollWidth[t]*10), 5)
	row[9] = clip(orZero(ind.VolumeZ[t]/3), 3)
	if iv := s.IV[t]; iv > 0 {
		row[10], row[11] = logRV(iv*iv/tradingDays)-lvl, 1
		row[12], row[13] = orZero(s.Skew[t]*10), orZero(s.Term[t]*10)
	} else {
		row[10], row[11], row[12], row[13] = 0, 0, 0, 0
	}
}

func orZero(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

func clip(x, b float64) float64 { return math.Max(-b, math.Min(b, orZero(x))) }

// FitRidge fits the pooled regression on sessions up to ends[i] of data[i].
func FitRidge(data []*Series, inds []Indicators, ends []int, lambda float64) (*RidgeFit, error) {
	f := &RidgeFit{Features: ridgeFeatureNames, Level: map[string]float64{}, Lambda: lambda}
	var rows [][]float64
	var y []float64
	k := len(ridgeFeatureNames)
	for i, s := range data {
		end := min(ends[i], s.Len()-1)
		if end < harMonth+30 {
			continue
		}
		lvl := 0.0
		for t := 0; t <= end; t++ {
			lvl += logRV(s.RV[t])
		}
		lvl /= float64(end + 1)
		f.Level[s.Symbol] = lvl
		lags := harLags(s.RV[:end+1])
		for t := harMonth - 1; t < end; t++ {
			row := make([]float64, k)
			ridgeRow(row, s, inds[i], lags[t], s.Return(t), t, lvl)
			rows = append(rows, row)
			y = append(y, logRV(s.RV[t+1])-lvl)
		}
	}
	if len(y) < 200 {
		return nil, fmt.Errorf("ridge: %d training rows, need 200", len(y))
	}
	coef, err := ridgeSolve(rows, y, lambda*float64(len(y)))
	if err != nil {
		return nil, fmt.Errorf("ridge: %w", err)
	}
	f.Coef = coef
	ss := 0.0
	for i, row := range rows {
		e := y[i] - dot(row, coef)
		ss += e * e
	}
	f.ResidVar = ss / float64(len(y))
	return f, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// path fills v[t] for every session.
func (f *RidgeFit) path(s *Series, ind Indicators, v []float64) {
	lvl, ok := f.Level[s.Symbol]
	if !ok {
		return
	}
	lags := harLags(s.RV)
	row := make([]float64, len(f.Coef))
	for t := harMonth - 1; t < s.Len(); t++ {
		ridgeRow(row, s, ind, lags[t], s.Return(t), t, lvl)
		v[t] = math.Exp(dot(row, f.Coef) + lvl + f.ResidVar/2)
	}
}

// ahead iterates the one-step forecast: each step's forecast becomes the
// next step's latest realised variance; returns after the first step are
// at their expectation (zero, and mean absolute size sqrt(2/pi)).
func (f *RidgeFit) ahead(s *Series, ind Indicators, h int) []float64 {
	lvl := f.Level[s.Symbol]
	n := s.Len()
	rv := slices.Clone(s.RV[max(0, n-harMonth):])
	row := make([]float64, len(f.Coef))
	out := make([]float64, h)
	for k := range out {
		l := harLags(rv)
		ridgeRow(row, s, ind, l[len(l)-1], s.Return(n-1), n-1, lvl)
		if k > 0 {
			row[4], row[5] = 0, math.Sqrt(2/math.Pi)
		}
		out[k] = math.Exp(dot(row, f.Coef) + lvl + f.ResidVar/2)
		rv = append(rv[1:], out[k])
	}
	return out
}
