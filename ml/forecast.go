// Package ml forecasts prices from lake data: a random-walk model with drift
// whose volatility follows an exponentially weighted moving average
// (RiskMetrics, lambda 0.94), giving a median path and prediction bands, and
// a rolling-origin backtest that measures how often the bands hold.
package ml

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Model configures the forecaster.
type Model struct {
	// Lambda is the EWMA decay of squared returns (default 0.94).
	Lambda float64
	// DriftShrink in [0,1] pulls the sample mean return toward zero: noisy
	// means are the largest error source of naive drift forecasts (default 0.5).
	DriftShrink float64
	// Level is the two-sided coverage of the bands (default 0.9).
	Level float64
	// MinHistory is the fewest closes a fit accepts (default 30).
	MinHistory int
}

func (m Model) withDefaults() Model {
	if m.Lambda == 0 {
		m.Lambda = 0.94
	}
	if m.DriftShrink == 0 {
		m.DriftShrink = 0.5
	}
	if m.Level == 0 {
		m.Level = 0.9
	}
	if m.MinHistory == 0 {
		m.MinHistory = 30
	}
	return m
}

// Fit is a fitted model: the last close, the daily drift and the daily
// volatility forecast for the next session.
type Fit struct {
	Last      float64
	Drift     float64 // per session, log
	Vol       float64 // per session, log
	AnnualVol float64
	level     float64
}

// ErrHistory is returned when there are too few closes to fit.
var ErrHistory = errors.New("not enough history")

// Fit estimates the model from closes, oldest first.
func (m Model) Fit(closes []float64) (Fit, error) {
	m = m.withDefaults()
	if len(closes) < m.MinHistory {
		return Fit{}, fmt.Errorf("%w: %d closes, need %d", ErrHistory, len(closes), m.MinHistory)
	}
	rets := make([]float64, 0, len(closes)-1)
	for i := 1; i < len(closes); i++ {
		if closes[i] <= 0 || closes[i-1] <= 0 || math.IsNaN(closes[i]) {
			return Fit{}, fmt.Errorf("close %d is %v: prices must be positive", i, closes[i])
		}
		rets = append(rets, math.Log(closes[i]/closes[i-1]))
	}
	var mean float64
	for _, r := range rets {
		mean += r
	}
	mean /= float64(len(rets))
	// Seed the EWMA with the variance of the first 20 returns.
	seed := min(20, len(rets))
	var v float64
	for _, r := range rets[:seed] {
		v += r * r
	}
	v /= float64(seed)
	for _, r := range rets[seed:] {
		v = m.Lambda*v + (1-m.Lambda)*r*r
	}
	vol := math.Sqrt(v)
	return Fit{Last: closes[len(closes)-1], Drift: mean * (1 - m.DriftShrink), Vol: vol, AnnualVol: vol * math.Sqrt(252), level: m.Level}, nil
}

// Point is one forecast session.
type Point struct {
	Date   time.Time `json:"date"`
	Median float64   `json:"median"`
	Lower  float64   `json:"lower"`
	Upper  float64   `json:"upper"`
}

// Forecast projects the fit over the given future session dates: the
// median follows the drift and the band widens with the square root of the
// horizon.
func (f Fit) Forecast(dates []time.Time) []Point {
	z := normalQuantile(0.5 + f.level/2)
	out := make([]Point, len(dates))
	for i, d := range dates {
		h := float64(i + 1)
		mu := f.Drift * h
		sd := f.Vol * math.Sqrt(h)
		out[i] = Point{Date: d, Median: f.Last * math.Exp(mu), Lower: f.Last * math.Exp(mu-z*sd), Upper: f.Last * math.Exp(mu+z*sd)}
	}
	return out
}

// Backtest is how a model did on history it had not seen.
type Backtest struct {
	Origins   int     `json:"origins"`    // forecasts made
	Horizon   int     `json:"horizon"`    // sessions ahead each was checked
	Coverage  float64 `json:"coverage"`   // share of realised closes inside the band
	MAPE      float64 `json:"mape"`       // mean absolute percentage error of the median
	NaiveMAPE float64 `json:"naive_mape"` // the same for "tomorrow equals today"
}

// Evaluate fits at each of the last origins sessions (using only earlier
// closes) and scores the forecast horizon sessions later.
func (m Model) Evaluate(closes []float64, origins, horizon int) (Backtest, error) {
	m = m.withDefaults()
	bt := Backtest{Horizon: horizon}
	first := len(closes) - origins - horizon
	if first < m.MinHistory {
		return bt, fmt.Errorf("%w: %d closes for %d origins at horizon %d", ErrHistory, len(closes), origins, horizon)
	}
	dates := make([]time.Time, horizon)
	for o := first; o < len(closes)-horizon; o++ {
		fit, err := m.Fit(closes[:o+1])
		if err != nil {
			return bt, err
		}
		p := fit.Forecast(dates)[horizon-1]
		actual := closes[o+horizon]
		if actual >= p.Lower && actual <= p.Upper {
			bt.Coverage++
		}
		bt.MAPE += math.Abs(p.Median-actual) / actual
		bt.NaiveMAPE += math.Abs(closes[o]-actual) / actual
		bt.Origins++
	}
	n := float64(bt.Origins)
	bt.Coverage, bt.MAPE, bt.NaiveMAPE = bt.Coverage/n, bt.MAPE/n, bt.NaiveMAPE/n
	return bt, nil
}

// normalQuantile inverts the standard normal CDF by bisection on Erfc:
// accurate to 1e-12, and only called once per forecast.
func normalQuantile(p float64) float64 {
	lo, hi := -10.0, 10.0
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		if 0.5*math.Erfc(-mid/math.Sqrt2) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
