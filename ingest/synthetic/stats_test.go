package synthetic

import (
	"math"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// returnStats are sample statistics of one symbol's daily close-to-close log returns.
type returnStats struct {
	acfSquared float64 // mean autocorrelation of squared returns, lags 1-5
	kurtosis   float64 // excess kurtosis
	annualVol  float64
}

func statsOf(returns []float64) returnStats {
	n := float64(len(returns))
	var mean float64
	for _, r := range returns {
		mean += r
	}
	mean /= n
	var m2, m4 float64
	sq := make([]float64, len(returns))
	for i, r := range returns {
		d := r - mean
		m2 += d * d
		m4 += d * d * d * d
		sq[i] = r * r
	}
	m2 /= n
	m4 /= n
	var st returnStats
	st.kurtosis = m4/(m2*m2) - 3
	st.annualVol = math.Sqrt(m2 * tradingDaysPerYear)

	var sqMean float64
	for _, v := range sq {
		sqMean += v
	}
	sqMean /= n
	var denom float64
	for _, v := range sq {
		denom += (v - sqMean) * (v - sqMean)
	}
	for lag := 1; lag <= 5; lag++ {
		var num float64
		for i := lag; i < len(sq); i++ {
			num += (sq[i] - sqMean) * (sq[i-lag] - sqMean)
		}
		st.acfSquared += num / denom / 5
	}
	return st
}

func TestVolatilityClustering(t *testing.T) {
	const symbols = 12
	tests := []struct {
		name      string
		tune      func(*params)
		clustered bool
	}{
		{"GARCH with jumps", nil, true},
		{"constant volatility control", func(p *params) { p.alpha, p.jumpRate = 0, 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{Seed: 3, Universe: universe(symbols), tune: tt.tune})
			var acf, kurt float64
			for _, sym := range m.Symbols() {
				// About 2500 sessions.
				bars := m.Daily(sym, anchor, date("2019-12-31"))
				returns := make([]float64, 0, len(bars))
				for i := 1; i < len(bars); i++ {
					// Returns of the split-adjusted price, which is the model's.
					returns = append(returns, math.Log(bars[i].Close*splitShares(m, sym, bars[i].Date)/(bars[i-1].Close*splitShares(m, sym, bars[i-1].Date))))
				}
				if len(returns) < 2490 {
					t.Fatalf("%s: only %d returns", sym, len(returns))
				}
				st := statsOf(returns)
				p := m.symbols[sym].p
				if st.annualVol < 0.7*p.vol || st.annualVol > 1.4*p.vol {
					t.Errorf("%s: realised volatility %.3f, model %.3f", sym, st.annualVol, p.vol)
				}
				acf += st.acfSquared / symbols
				kurt += st.kurtosis / symbols
			}
			t.Logf("mean lag 1-5 autocorrelation of squared returns %.3f, mean excess kurtosis %.2f", acf, kurt)
			if tt.clustered {
				if acf < 0.05 || kurt < 0.5 {
					t.Errorf("want volatility clustering (acf > 0.05) and fat tails (kurtosis > 0.5)")
				}
			} else if math.Abs(acf) > 0.02 || math.Abs(kurt) > 0.3 {
				t.Errorf("constant-volatility control shows clustering or fat tails")
			}
		})
	}
}

// splitShares is how many shares one share of date became by the symbol's
// splits: the factor that puts a raw price on today's basis.
func splitShares(m *Market, sym string, d time.Time) float64 {
	f := 1.0
	for _, a := range m.Actions(sym, d.AddDate(0, 0, 1), date("2030-01-01")) {
		if a.Action == market.ActionSplit {
			f /= a.Numerator / a.Denominator
		}
	}
	return f
}
