package predict

import (
	"context"
	"math"
	"testing"

	"math/rand/v2"

	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/market"
)

// synthSeries builds symbols' series straight from the synthetic market,
// with realised variance computed as Load computes it from the lake.
func synthSeries(mkt *synthetic.Market, cal *market.Calendar, symbols []string) []*Series {
	from := testDay.AddDate(-2, 0, 0)
	var out []*Series
	for _, sym := range symbols {
		s := &Series{Symbol: sym}
		for _, d := range mkt.Daily(sym, from, testDay) {
			s.Dates = append(s.Dates, d.Date)
			s.Open, s.High, s.Low, s.Close = append(s.Open, d.Open), append(s.High, d.High), append(s.Low, d.Low), append(s.Close, d.Close)
			s.Volume = append(s.Volume, float64(d.Volume))
			// As Load: each bar's return from the previous bar's close,
			// the first bar's from its open.
			bars := mkt.Intraday(sym, d.Date)
			rv := 0.0
			for k, b := range bars {
				prev := b.Open
				if k > 0 {
					prev = bars[k-1].Close
				}
				r := math.Log(b.Close / prev)
				rv += r * r
			}
			if n := len(s.Close); n > 1 {
				over := math.Log(s.Open[n-1] / s.Close[n-2])
				rv += over * over
			}
			s.RV = append(s.RV, rv)
			s.Intraday = append(s.Intraday, true)
		}
		n := s.Len()
		s.IV, s.Skew, s.Term = nanSlice(n), nanSlice(n), nanSlice(n)
		out = append(out, s)
	}
	return out
}

// simulateJumpMarket draws n sessions of the process GARCH-J assumes: a
// GARCH(1,1) diffusion split gap/(1-gap) between the overnight gap and
// the session, compound Poisson jumps in the gap that do not feed the
// variance, and a session realised variance measuring (1-gap)*h with
// the noise of 26 bars.
func simulateJumpMarket(rng *rand.Rand, n int, omega, alpha, beta, gap, jumpRate, jumpSD float64) *Series {
	h := omega / (1 - alpha - beta)
	s := &Series{Symbol: "SIM"}
	day := testDay.AddDate(-n, 0, 0)
	c := 100.0
	for i := range n {
		o, rv := c, 0.0
		if i > 0 {
			g, j := math.Sqrt(gap*h)*rng.NormFloat64(), 0.0
			if rng.Float64() < jumpRate {
				j = jumpSD * rng.NormFloat64()
			}
			sess := math.Sqrt((1-gap)*h) * rng.NormFloat64()
			o = c * math.Exp(g+j)
			c = o * math.Exp(sess)
			bars := 0.0
			for range 26 {
				z := rng.NormFloat64()
				bars += z * z
			}
			rv = (1-gap)*h*bars/26 + (g+j)*(g+j)
			h = omega + alpha*(g+sess)*(g+sess) + beta*h
		}
		s.Dates = append(s.Dates, day.AddDate(0, 0, i))
		s.Open, s.High, s.Low, s.Close = append(s.Open, o), append(s.High, max(o, c)), append(s.Low, min(o, c)), append(s.Close, c)
		s.Volume = append(s.Volume, 1e6)
		s.RV = append(s.RV, rv)
		s.Intraday = append(s.Intraday, true)
	}
	s.IV, s.Skew, s.Term = nanSlice(n), nanSlice(n), nanSlice(n)
	return s
}

func TestFitGARCHJRecoversParameters(t *testing.T) {
	const (
		omega, alpha, beta = 4e-6, 0.08, 0.90
		gap, rate, jumpSD  = 0.2, 0.015, 0.05
	)
	for _, n := range []int{500, 4000} {
		s := simulateJumpMarket(rand.New(rand.NewPCG(5, uint64(n))), n, omega, alpha, beta, gap, rate, jumpSD)
		f, err := FitGARCHJ(s, 1, n-1)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("n %d: omega %.3g alpha %.4f beta %.4f gap %.3f scale %.3f jump %.3g", n, f.Omega, f.Alpha, f.Beta, f.Gap, f.Scale, f.Jump)
		// Even two years pin the dynamics down, thanks to the RV measurement.
		tol := map[int]float64{500: 0.04, 4000: 0.02}[n]
		if math.Abs(f.Alpha-alpha) > tol || math.Abs(f.Beta-beta) > 1.5*tol {
			t.Errorf("n %d: alpha %.4f beta %.4f, simulated %.2f %.2f", n, f.Alpha, f.Beta, alpha, beta)
		}
		if math.Abs(f.Gap-gap) > 0.04 {
			t.Errorf("n %d: gap share %.3f, simulated %.2f", n, f.Gap, gap)
		}
		if n == 4000 {
			// The RV of a session without a jump is h on average, and the
			// jump variance per session is rate*jumpSD^2: the jumps too
			// small to tell from a gap go into Scale, the rest into Jump.
			if math.Abs(f.Scale-1) > 0.05 {
				t.Errorf("scale %.3f, want 1", f.Scale)
			}
			hbar := omega / (1 - alpha - beta)
			if got, want := (f.Scale-1)*hbar+f.Jump, rate*jumpSD*jumpSD; math.Abs(got/want-1) > 0.25 {
				t.Errorf("jump variance %.3g per session, simulated %.3g", got, want)
			}
		}
	}
	short := simulateJumpMarket(rand.New(rand.NewPCG(1, 1)), 80, omega, alpha, beta, gap, rate, jumpSD)
	if _, err := FitGARCHJ(short, 1, 79); err == nil {
		t.Error("80 sessions fitted")
	}
}

// On the synthetic market, whose volatility is GARCH on the diffusion
// with jumps in the overnight gap, GARCH-J beats EWMA out of sample by
// more than 10 % in QLIKE, and plain GARCH on close-to-close returns,
// which lets jumps feed the variance, does not come close.
func TestGARCHJBeatsEWMAOnTheSyntheticMarket(t *testing.T) {
	mkt := synthetic.New(synthetic.Config{Seed: 3})
	data := synthSeries(mkt, market.NYSE(), mkt.Symbols()[:16])
	ev, err := Evaluate(context.Background(), data, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := ev.Metrics[EWMA].QLIKE
	for _, n := range []string{GARCHJ, GARCH, EWMA} {
		m := ev.Metrics[n]
		t.Logf("%-8s qlike %.4f (%.3fx ewma) cover90 %.3f n %d", n, m.QLIKE, m.QLIKE/e, m.Cover90, m.N)
	}
	if r := ev.Metrics[GARCHJ].QLIKE / e; !(r <= 0.9) {
		t.Errorf("garch-j QLIKE %.3fx EWMA's, want at most 0.9x", r)
	}
	if ev.Serving != GARCHJ {
		t.Errorf("serving %s: %s", ev.Serving, ev.Reason)
	}
	if c := ev.Metrics[GARCHJ].Cover90; c < 0.86 || c > 0.94 {
		t.Errorf("garch-j 90%% band covers %.3f", c)
	}
}

// BenchmarkFitGARCHJ is one GARCH-J fit on two years of sessions, beside
// plain GARCH on the same returns: a fine-tune makes one of each per
// symbol at every walk-forward refit.
func BenchmarkFitGARCHJ(b *testing.B) {
	s := simulateJumpMarket(rand.New(rand.NewPCG(9, 9)), 500, 4e-6, 0.08, 0.90, 0.2, 0.015, 0.05)
	r := make([]float64, 0, s.Len())
	for t := 1; t < s.Len(); t++ {
		r = append(r, s.Return(t))
	}
	b.Run("garch-j", func(b *testing.B) {
		for range b.N {
			if _, err := FitGARCHJ(s, 1, s.Len()-1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("garch", func(b *testing.B) {
		for range b.N {
			if _, err := FitGARCH(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
