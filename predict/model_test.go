package predict

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// simulateGARCH draws n returns of a GARCH(1,1) with normal shocks.
func simulateGARCH(rng *rand.Rand, n int, omega, alpha, beta float64) []float64 {
	h := omega / (1 - alpha - beta)
	r := make([]float64, n)
	for i := range r {
		r[i] = math.Sqrt(h) * rng.NormFloat64()
		h = omega + alpha*r[i]*r[i] + beta*h
	}
	return r
}

func TestFitGARCHRecoversParameters(t *testing.T) {
	for _, tc := range []struct {
		name               string
		omega, alpha, beta float64
	}{
		{"persistent", 2e-6, 0.08, 0.90},
		{"reactive", 1e-5, 0.15, 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := simulateGARCH(rand.New(rand.NewPCG(7, 11)), 6000, tc.omega, tc.alpha, tc.beta)
			g, err := FitGARCH(r)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(g.Alpha-tc.alpha) > 0.03 || math.Abs(g.Beta-tc.beta) > 0.04 {
				t.Errorf("fit alpha %.4f beta %.4f, simulated %.2f %.2f", g.Alpha, g.Beta, tc.alpha, tc.beta)
			}
			long, want := g.Omega/(1-g.Alpha-g.Beta), tc.omega/(1-tc.alpha-tc.beta)
			if math.Abs(long/want-1) > 0.2 {
				t.Errorf("long-run variance %.3g, simulated %.3g", long, want)
			}
		})
	}
	if _, err := FitGARCH(make([]float64, 50)); err == nil {
		t.Error("50 returns fitted")
	}
}

func TestFitHARRecoversCoefficients(t *testing.T) {
	want := [4]float64{2e-5, 0.35, 0.30, 0.20}
	rng := rand.New(rand.NewPCG(3, 5))
	rv := make([]float64, 0, 8000)
	for range harMonth {
		rv = append(rv, 1.3e-4)
	}
	const s = 0.4
	for len(rv) < 8000 {
		l := harLags(rv[len(rv)-harMonth:])
		last := l[len(l)-1]
		mean := want[0] + want[1]*last[0] + want[2]*last[1] + want[3]*last[2]
		// Mean-one multiplicative noise keeps RV positive and OLS unbiased.
		rv = append(rv, mean*math.Exp(s*rng.NormFloat64()-s*s/2))
	}
	h, err := FitHAR(rv)
	if err != nil {
		t.Fatal(err)
	}
	for i, tol := range []float64{1e-5, 0.06, 0.1, 0.1} {
		if math.Abs(h.B[i]-want[i]) > tol {
			t.Errorf("coefficient %d: %.4g, simulated %.4g", i, h.B[i], want[i])
		}
	}
	if _, err := FitHAR(rv[:50]); err == nil {
		t.Error("50 sessions fitted")
	}
}

// seriesOf builds a series from returns and realised variances.
func seriesOf(sym string, r, rv []float64) *Series {
	n := len(r)
	s := &Series{Symbol: sym, RV: rv, Intraday: make([]bool, n), IV: nanSlice(n), Skew: nanSlice(n), Term: nanSlice(n)}
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	c := 100.0
	for i := range n {
		if i > 0 {
			c *= math.Exp(r[i])
		}
		s.Dates = append(s.Dates, day.AddDate(0, 0, i))
		s.Open, s.High, s.Low, s.Close = append(s.Open, c), append(s.High, c), append(s.Low, c), append(s.Close, c)
		s.Volume = append(s.Volume, 1e6)
	}
	return s
}

// On GARCH data with a realised variance that measures it well, GARCH
// and HAR beat EWMA out of sample and the bands cover as promised.
func TestEvaluateOnGARCHData(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var data []*Series
	for k, sym := range []string{"AAA", "BBB", "CCC", "DDD"} {
		n := 700
		omega, alpha, beta := 4e-6, 0.10, 0.86+0.01*float64(k)
		h := omega / (1 - alpha - beta)
		r, rv := make([]float64, n), make([]float64, n)
		for i := range r {
			r[i] = math.Sqrt(h) * rng.NormFloat64()
			// Realised variance: the day's variance seen through 26 bars.
			rv[i] = 0
			for range 26 {
				z := rng.NormFloat64()
				rv[i] += h / 26 * z * z
			}
			h = omega + alpha*r[i]*r[i] + beta*h
		}
		data = append(data, seriesOf(sym, r, rv))
	}
	ev, err := Evaluate(context.Background(), data, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range ev.Metrics {
		t.Logf("%-12s qlike %.4f mse %.4g pinball %.5f cover50 %.3f cover90 %.3f n %d", name, m.QLIKE, m.MSE, m.Pinball, m.Cover50, m.Cover90, m.N)
	}
	e, g := ev.Metrics[EWMA], ev.Metrics[GARCH]
	if !(g.QLIKE < e.QLIKE) {
		t.Errorf("garch QLIKE %.4f not below EWMA %.4f on GARCH data", g.QLIKE, e.QLIKE)
	}
	if g.Cover90 < 0.85 || g.Cover90 > 0.95 || g.Cover50 < 0.43 || g.Cover50 > 0.57 {
		t.Errorf("garch coverage 50 %.3f 90 %.3f", g.Cover50, g.Cover90)
	}
	if ev.Serving == EWMA || ev.Serving == RandomWalk {
		t.Errorf("a baseline serves on GARCH data: %s", ev.Reason)
	}
	if ev.Metrics[ImpliedVol].N != 0 {
		t.Errorf("implied vol scored without any: %+v", ev.Metrics[ImpliedVol])
	}
}

func TestChooseServesABaselineWhenNoCandidateBeatsIt(t *testing.T) {
	m := map[string]Metrics{
		EWMA: {QLIKE: 0.30, N: 100}, RandomWalk: {QLIKE: 0.9, N: 100},
		GARCH: {QLIKE: 0.31, N: 100}, HARRV: {QLIKE: 0.35, N: 100}, Ridge: {QLIKE: 0.32, N: 100},
	}
	if name, why := choose(m); name != EWMA || why == "" {
		t.Errorf("serving %s (%s)", name, why)
	}
	m[HARRV] = Metrics{QLIKE: 0.2, N: 100, QLIKEWithIV: 0.25, NWithIV: 200}
	m[ImpliedVol] = Metrics{QLIKE: 0.2, N: 200, QLIKEWithIV: 0.2, NWithIV: 200}
	if name, why := choose(m); name != EWMA {
		t.Errorf("serving %s though implied vol is better where it exists (%s)", name, why)
	}
	m[ImpliedVol] = Metrics{QLIKE: 0.3, N: 200, QLIKEWithIV: 0.3, NWithIV: 200}
	if name, why := choose(m); name != HARRV {
		t.Errorf("serving %s (%s)", name, why)
	}
}

func TestIndicators(t *testing.T) {
	r := make([]float64, 60)
	for i := range r {
		r[i] = 0.01
	}
	s := seriesOf("UP", r, make([]float64, 60))
	ind := indicators(s)
	if ind.RSI[40] != 100 {
		t.Errorf("RSI of a rising series %.2f, want 100", ind.RSI[40])
	}
	if !(ind.MACD[40] > 0) || !(ind.BollWidth[40] > 0) || ind.VolumeZ[40] != 0 {
		t.Errorf("MACD %.4f Bollinger %.4f volume z %.2f", ind.MACD[40], ind.BollWidth[40], ind.VolumeZ[40])
	}
	if !math.IsNaN(ind.RSI[5]) {
		t.Errorf("RSI before 14 sessions: %.2f", ind.RSI[5])
	}
}
