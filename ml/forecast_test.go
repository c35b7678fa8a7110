package ml

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest/synthetic"
)

func gbm(n int, vol float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	closes := []float64{100}
	for i := 1; i < n; i++ {
		closes = append(closes, closes[i-1]*math.Exp(-vol*vol/2+vol*r.NormFloat64()))
	}
	return closes
}

func TestFitRecoversVolatility(t *testing.T) {
	for _, vol := range []float64{0.01, 0.02, 0.04} {
		fit, err := Model{}.Fit(gbm(2000, vol, 9))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(fit.Vol-vol)/vol > 0.35 {
			t.Errorf("daily vol %.4f estimated as %.4f", vol, fit.Vol)
		}
	}
}

func TestBandsWidenWithHorizon(t *testing.T) {
	fit, err := Model{}.Fit(gbm(300, 0.02, 3))
	if err != nil {
		t.Fatal(err)
	}
	pts := fit.Forecast(make([]time.Time, 10))
	for i := 1; i < len(pts); i++ {
		if pts[i].Upper-pts[i].Lower <= pts[i-1].Upper-pts[i-1].Lower {
			t.Fatalf("band at %d is not wider than at %d", i, i-1)
		}
		if pts[i].Lower >= pts[i].Median || pts[i].Median >= pts[i].Upper {
			t.Fatalf("point %d out of order: %+v", i, pts[i])
		}
	}
}

// TestCoverageOnTheSyntheticMarket backtests on GARCH data with jumps from
// the synthetic market: the 90% bands must hold about 90% of the time, and
// the drift-shrunk median must not lose badly to the naive forecast.
func TestCoverageOnTheSyntheticMarket(t *testing.T) {
	m := synthetic.New(synthetic.Config{Seed: 4})
	from, to := time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var cov, n float64
	for _, sym := range []string{"AAPL", "XOM", "JPM", "NVDA", "KO", "PFE"} {
		var closes []float64
		for _, b := range m.Daily(sym, from, to) {
			closes = append(closes, b.Close)
		}
		bt, err := Model{}.Evaluate(closes, 500, 5)
		if err != nil {
			t.Fatal(err)
		}
		if bt.MAPE > bt.NaiveMAPE*1.1 {
			t.Errorf("%s: median MAPE %.4f vs naive %.4f", sym, bt.MAPE, bt.NaiveMAPE)
		}
		cov += bt.Coverage
		n++
	}
	if c := cov / n; c < 0.82 || c > 0.96 {
		t.Errorf("90%% bands held %.3f of the time", c)
	}
}

func TestFitErrors(t *testing.T) {
	if _, err := (Model{}).Fit([]float64{1, 2, 3}); !errors.Is(err, ErrHistory) {
		t.Errorf("short history: %v", err)
	}
	bad := gbm(40, 0.01, 1)
	bad[20] = -1
	if _, err := (Model{}).Fit(bad); err == nil {
		t.Error("a negative close was accepted")
	}
}

func TestNormalQuantile(t *testing.T) {
	for p, want := range map[float64]float64{0.5: 0, 0.95: 1.6448536269514722, 0.975: 1.959963984540054} {
		if got := normalQuantile(p); math.Abs(got-want) > 1e-9 {
			t.Errorf("quantile(%v) = %v, want %v", p, got, want)
		}
	}
}
