package predict

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"
)

// Metrics score forecasts out of sample, one session ahead.
type Metrics struct {
	// QLIKE is the mean of RV/v - ln(RV/v) - 1 against realised variance
	// (Patton 2011: robust to the noise in the proxy); lower is better.
	QLIKE float64 `json:"qlike"`
	// MSE is the mean squared error of the annualised variance.
	MSE float64 `json:"mse"`
	// Pinball is the mean pinball loss of the five price quantiles, as a
	// fraction of the last close.
	Pinball float64 `json:"pinball"`
	// Cover50 and Cover90 are how often the next close fell inside the
	// 25-75 % and 5-95 % bands.
	Cover50 float64 `json:"cover50"`
	Cover90 float64 `json:"cover90"`
	// N is the number of forecasts scored.
	N int `json:"n"`
	// QLIKEWithIV is QLIKE over the forecasts made where an implied
	// volatility existed, the only ones the implied-vol baseline has;
	// NWithIV counts them.
	QLIKEWithIV float64 `json:"qlikeWithIv"`
	NWithIV     int     `json:"nWithIv"`
}

type scorer struct {
	qlike, mse, pin, c50, c90, qiv float64
	n, niv                         int
}

func (s *scorer) add(v, rv, ret float64, z [5]float64, hasIV bool) {
	rv = math.Max(rv, minRV)
	q := rv/v - math.Log(rv/v) - 1
	s.qlike += q
	d := tradingDays * (v - rv)
	s.mse += d * d
	sd := math.Sqrt(v)
	// Price quantiles relative to the last close: exp(sd*z) - 1.
	y := math.Exp(ret) - 1
	var qs [5]float64
	for k, p := range QuantileLevels {
		qs[k] = math.Exp(sd*z[k]) - 1
		if y >= qs[k] {
			s.pin += p * (y - qs[k]) / 5
		} else {
			s.pin += (1 - p) * (qs[k] - y) / 5
		}
	}
	if y >= qs[1] && y <= qs[3] {
		s.c50++
	}
	if y >= qs[0] && y <= qs[4] {
		s.c90++
	}
	s.n++
	if hasIV {
		s.qiv += q
		s.niv++
	}
}

func (s *scorer) metrics() Metrics {
	// JSON has no NaN: a model never scored has N 0 and zero metrics.
	if s.n == 0 {
		return Metrics{}
	}
	n := float64(s.n)
	m := Metrics{QLIKE: s.qlike / n, MSE: s.mse / n, Pinball: s.pin / n, Cover50: s.c50 / n, Cover90: s.c90 / n, N: s.n, NWithIV: s.niv}
	if s.niv > 0 {
		m.QLIKEWithIV = s.qiv / float64(s.niv)
	}
	return m
}

// Config tunes training and the walk-forward evaluation.
type Config struct {
	// MinTrain is the sessions of history before the first out-of-sample
	// origin (default 250, a year).
	MinTrain int
	// HeldOut is how many of the newest sessions are forecast out of
	// sample (default 250; fewer when the history is short, at least 40).
	HeldOut int
	// RefitEvery refits every model this many sessions into the held-out
	// window (default 21, a month).
	RefitEvery int
	// Lambda is EWMA's decay (default 0.94).
	Lambda float64
	// RidgeLambda is the ridge penalty per training row (default 0.01).
	RidgeLambda float64
	// GARCHWindow bounds the returns a GARCH fit reads (default 1000).
	GARCHWindow int
}

func (c *Config) defaults() {
	if c.MinTrain <= 0 {
		c.MinTrain = 250
	}
	if c.HeldOut <= 0 {
		c.HeldOut = 250
	}
	if c.RefitEvery <= 0 {
		c.RefitEvery = 21
	}
	if c.Lambda <= 0 {
		c.Lambda = 0.94
	}
	if c.RidgeLambda <= 0 {
		c.RidgeLambda = 0.01
	}
	if c.GARCHWindow <= 0 {
		c.GARCHWindow = 1000
	}
}

// minHeldOut is the shortest held-out window evaluated.
const minHeldOut = 40

// MinSessions is the history Evaluate needs with cfg: MinTrain sessions
// of training and minHeldOut sessions to score.
func (c Config) MinSessions() int {
	c.defaults()
	return min(c.MinTrain, 120) + minHeldOut + 1
}

// Evaluation is a walk-forward evaluation of every model.
type Evaluation struct {
	From, To time.Time // the held-out window's first and last origin
	Metrics  map[string]Metrics
	Serving  string
	Reason   string
}

// Progress reports a fraction done with a message.
type Progress func(done float64, msg string)

// Evaluate runs the walk-forward evaluation: rolling origins over the
// held-out window, every model refitted every RefitEvery sessions on data
// up to the origin only, each forecast scored against the next session.
// Where a candidate has no fit for a symbol, EWMA's forecast stands in for
// it, as it does when serving.
func Evaluate(ctx context.Context, data []*Series, cfg Config, progress Progress) (*Evaluation, error) {
	cfg.defaults()
	grid := dateGrid(data)
	minTrain := cfg.MinTrain
	if len(grid) < minTrain+minHeldOut+1 {
		minTrain = max(120, len(grid)-cfg.HeldOut-1)
	}
	held := min(cfg.HeldOut, len(grid)-minTrain-1)
	if held < minHeldOut {
		return nil, &HistoryError{Have: len(grid), Need: cfg.MinSessions()}
	}
	first := len(grid) - 1 - held
	inds := make([]Indicators, len(data))
	for i, s := range data {
		inds[i] = indicators(s)
	}
	names := append(slices.Clone(Baselines), Candidates...)
	scores := map[string]*scorer{}
	for _, n := range names {
		scores[n] = &scorer{}
	}
	blocks := (held + cfg.RefitEvery - 1) / cfg.RefitEvery
	for b := 0; b < blocks; b++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o0 := first + b*cfg.RefitEvery
		o1 := min(o0+cfg.RefitEvery, len(grid)-1)
		ends := endsAt(data, grid[o0])
		models, err := FitAll(ctx, data, inds, ends, cfg)
		if err != nil {
			return nil, err
		}
		for i, s := range data {
			paths := map[string][]float64{}
			for _, n := range names {
				paths[n] = models[n].OneStep(s, inds[i])
			}
			for t := max(ends[i], 0); t+1 < s.Len() && !s.Dates[t].After(grid[o1-1]); t++ {
				if s.Dates[t].Before(grid[o0]) {
					continue
				}
				hasIV := paths[ImpliedVol][t] > 0
				for _, n := range names {
					v := paths[n][t]
					if !(v > 0) {
						if n == ImpliedVol {
							continue
						}
						v = paths[EWMA][t]
					}
					if !(v > 0) {
						continue
					}
					scores[n].add(v, s.RV[t+1], s.Return(t+1), models[n].Z, hasIV)
				}
			}
		}
		if progress != nil {
			progress(float64(b+1)/float64(blocks), fmt.Sprintf("walk-forward block %d of %d", b+1, blocks))
		}
	}
	ev := &Evaluation{From: grid[first], To: grid[len(grid)-2], Metrics: map[string]Metrics{}}
	for _, n := range names {
		ev.Metrics[n] = scores[n].metrics()
	}
	ev.Serving, ev.Reason = choose(ev.Metrics)
	return ev, nil
}

// choose picks the serving model: the candidate with the lowest QLIKE,
// if it beats every baseline on the held-out window (implied vol on the
// forecasts where it exists); else the better of EWMA and random walk.
func choose(m map[string]Metrics) (string, string) {
	best := ""
	for _, c := range Candidates {
		if m[c].N > 0 && (best == "" || m[c].QLIKE < m[best].QLIKE) {
			best = c
		}
	}
	base := EWMA
	if m[RandomWalk].N > 0 && m[RandomWalk].QLIKE < m[EWMA].QLIKE {
		base = RandomWalk
	}
	if best == "" {
		return base, fmt.Sprintf("no candidate model could be scored; %s is the better baseline", base)
	}
	c, e := m[best], m[base]
	if !(c.QLIKE < e.QLIKE) {
		return base, fmt.Sprintf("the best candidate %s does not beat %s on the held-out window (QLIKE %.4f vs %.4f over %d forecasts), so the baseline serves",
			best, base, c.QLIKE, e.QLIKE, c.N)
	}
	iv := m[ImpliedVol]
	if iv.N >= 100 && !(c.QLIKEWithIV < iv.QLIKEWithIV) {
		return base, fmt.Sprintf("the best candidate %s beats %s (QLIKE %.4f vs %.4f) but not implied volatility where it exists (%.4f vs %.4f over %d forecasts), so the baseline serves",
			best, base, c.QLIKE, e.QLIKE, c.QLIKEWithIV, iv.QLIKEWithIV, iv.N)
	}
	why := fmt.Sprintf("%s beats %s on the held-out window: QLIKE %.4f vs %.4f (%.2fx) over %d forecasts", best, base, c.QLIKE, e.QLIKE, c.QLIKE/e.QLIKE, c.N)
	if iv.N >= 100 {
		why += fmt.Sprintf(", and implied volatility where it exists (%.4f vs %.4f over %d)", c.QLIKEWithIV, iv.QLIKEWithIV, iv.N)
	} else {
		why += fmt.Sprintf("; implied volatility existed for only %d of them, too few to compare", iv.N)
	}
	return best, why
}

// dateGrid is every session date of data, sorted.
func dateGrid(data []*Series) []time.Time {
	seen := map[time.Time]bool{}
	var grid []time.Time
	for _, s := range data {
		for _, d := range s.Dates {
			if !seen[d] {
				seen[d] = true
				grid = append(grid, d)
			}
		}
	}
	sort.Slice(grid, func(i, j int) bool { return grid[i].Before(grid[j]) })
	return grid
}

// endsAt is, per series, the index of its last session on or before d
// (-1 when none).
func endsAt(data []*Series, d time.Time) []int {
	ends := make([]int, len(data))
	for i, s := range data {
		ends[i] = sort.Search(len(s.Dates), func(k int) bool { return s.Dates[k].After(d) }) - 1
	}
	return ends
}

// FitAll fits every model on data[i] up to ends[i], with each model's
// residual quantiles from its in-sample forecasts over the last year of
// that window.
func FitAll(ctx context.Context, data []*Series, inds []Indicators, ends []int, cfg Config) (map[string]*Model, error) {
	cfg.defaults()
	out := map[string]*Model{
		RandomWalk: {Name: RandomWalk},
		EWMA:       {Name: EWMA, Lambda: cfg.Lambda},
		ImpliedVol: {Name: ImpliedVol},
		GARCH:      {Name: GARCH, GARCH: map[string]GARCHFit{}},
		GARCHJ:     {Name: GARCHJ, GARCHJ: map[string]GARCHJFit{}},
		HARRV:      {Name: HARRV, HAR: map[string]HARFit{}},
	}
	// GARCH's likelihood dominates the cost: fit symbols in parallel.
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range work {
				s, end := data[i], ends[i]
				if end < 1 {
					continue
				}
				r := make([]float64, 0, end)
				for t := max(1, end+1-cfg.GARCHWindow); t <= end; t++ {
					r = append(r, s.Return(t))
				}
				g, gerr := FitGARCH(r)
				gj, gjerr := FitGARCHJ(s, max(1, end+1-cfg.GARCHWindow), end)
				h, herr := FitHAR(s.RV[:end+1])
				mu.Lock()
				if gerr == nil {
					out[GARCH].GARCH[s.Symbol] = g
				}
				if gjerr == nil {
					out[GARCHJ].GARCHJ[s.Symbol] = gj
				}
				if herr == nil {
					out[HARRV].HAR[s.Symbol] = h
				}
				mu.Unlock()
			}
		})
	}
	for i := range data {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rf, err := FitRidge(data, inds, ends, cfg.RidgeLambda)
	if err == nil {
		out[Ridge] = &Model{Name: Ridge, Ridge: rf}
	} else {
		out[Ridge] = &Model{Name: Ridge}
	}
	from := make([]int, len(data))
	for i := range data {
		from[i] = ends[i] - 250
	}
	for _, m := range out {
		paths := make([][]float64, len(data))
		for i, s := range data {
			paths[i] = m.OneStep(s, inds[i])
			if m.Name != ImpliedVol {
				e := out[EWMA].OneStep(s, inds[i])
				for t, v := range paths[i] {
					if !(v > 0) {
						paths[i][t] = e[t]
					}
				}
			}
		}
		z, err := residualQuantiles(data, paths, from, ends)
		if err != nil {
			if m.Name == ImpliedVol {
				// Too few snapshots: fall back to EWMA's quantiles below.
				continue
			}
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		m.Z = z
	}
	if out[ImpliedVol].Z == ([5]float64{}) {
		out[ImpliedVol].Z = out[EWMA].Z
	}
	return out, nil
}

// HistoryError says a forecast or a training needs more sessions.
type HistoryError struct {
	Symbol     string
	Have, Need int
}

func (e *HistoryError) Error() string {
	if e.Symbol == "" {
		return fmt.Sprintf("too little history: the lake has %d sessions of daily bars, training needs at least %d", e.Have, e.Need)
	}
	return fmt.Sprintf("too little history: the lake has %d sessions of daily bars of %s, a forecast needs at least %d", e.Have, e.Symbol, e.Need)
}
