package predict

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// The HAR lags, in sessions: a day, a week, a month.
const (
	harWeek  = 5
	harMonth = 22
)

// HARFit is one symbol's HAR-RV (Corsi 2009):
// RV[t+1] = B0 + Bd RV[t] + Bw mean(RV[t-4..t]) + Bm mean(RV[t-21..t]).
type HARFit struct {
	B [4]float64 `json:"b"`
	// Floor bounds a forecast below (a fifth of the training mean): a
	// negative or vanishing variance has no meaning and ruins QLIKE.
	Floor float64 `json:"floor"`
}

func (h HARFit) predict(l [3]float64) float64 {
	return math.Max(h.B[0]+h.B[1]*l[0]+h.B[2]*l[1]+h.B[3]*l[2], h.Floor)
}

// harLags returns, for each t, the daily, weekly and monthly means of rv
// ending at t (partial windows at the start).
func harLags(rv []float64) [][3]float64 {
	out := make([][3]float64, len(rv))
	var sw, sm float64
	for t, x := range rv {
		sw += x
		sm += x
		if t >= harWeek {
			sw -= rv[t-harWeek]
		}
		if t >= harMonth {
			sm -= rv[t-harMonth]
		}
		out[t] = [3]float64{x, sw / float64(min(t+1, harWeek)), sm / float64(min(t+1, harMonth))}
	}
	return out
}

// FitHAR fits HAR-RV by least squares on rv[0..end].
func FitHAR(rv []float64) (HARFit, error) {
	lags := harLags(rv)
	var rows [][]float64
	var y []float64
	mean := 0.0
	for t := harMonth - 1; t+1 < len(rv); t++ {
		l := lags[t]
		rows = append(rows, []float64{1, l[0], l[1], l[2]})
		y = append(y, rv[t+1])
		mean += rv[t+1]
	}
	if len(y) < 60 {
		return HARFit{}, fmt.Errorf("har-rv: %d sessions of realised variance, need %d", len(rv), 60+harMonth)
	}
	b, err := ridgeSolve(rows, y, 0)
	if err != nil {
		return HARFit{}, fmt.Errorf("har-rv: %w", err)
	}
	var f HARFit
	copy(f.B[:], b)
	f.Floor = 0.2 * mean / float64(len(y))
	return f, nil
}

// ridgeSolve solves (X'X + lambda I') b = X'y, leaving the first column
// (the intercept) unpenalised; a tiny jitter keeps X'X invertible.
func ridgeSolve(x [][]float64, y []float64, lambda float64) ([]float64, error) {
	k := len(x[0])
	xtx := mat.NewSymDense(k, nil)
	xty := mat.NewVecDense(k, nil)
	for i, row := range x {
		for a := range k {
			xty.SetVec(a, xty.AtVec(a)+row[a]*y[i])
			for b := a; b < k; b++ {
				xtx.SetSym(a, b, xtx.At(a, b)+row[a]*row[b])
			}
		}
	}
	for a := range k {
		pen := 1e-12 * (xtx.At(a, a) + 1)
		if a > 0 {
			pen += lambda
		}
		xtx.SetSym(a, a, xtx.At(a, a)+pen)
	}
	var b mat.VecDense
	if err := b.SolveVec(xtx, xty); err != nil {
		return nil, fmt.Errorf("solve normal equations: %w", err)
	}
	return b.RawVector().Data, nil
}
