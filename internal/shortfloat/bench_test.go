package shortfloat

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// greeks returns n values shaped like an option row's analytics, which
// the CSV files and smiles carry at full precision: implied volatility,
// delta, gamma, theta, vega and moneyness of Black-Scholes contracts with
// random spots, strikes and expiries.
func greeks(n int) []float64 {
	rng := rand.New(rand.NewPCG(13, 14))
	vals := make([]float64, 0, n)
	for len(vals) < n {
		spot := 20 + 480*rng.Float64()
		strike := math.Round(spot*(0.7+0.6*rng.Float64())*2) / 2
		years := float64(1+rng.IntN(90)) / 365
		vol := 0.1 + 0.9*rng.Float64()
		sq := vol * math.Sqrt(years)
		d1 := (math.Log(spot/strike) + vol*vol/2*years) / sq
		pdf := math.Exp(-d1*d1/2) / math.Sqrt(2*math.Pi)
		delta := 0.5 * math.Erfc(-d1/math.Sqrt2)
		vals = append(vals, vol, delta, pdf/(spot*sq), -spot*pdf*vol/(2*math.Sqrt(years))/365,
			spot*pdf*math.Sqrt(years)/100, strike/spot)
	}
	return vals[:n]
}

// BenchmarkGreeks formats the same Greeks as 'g' with Append, with PutG
// and with strconv.AppendFloat, which they replace.
func BenchmarkGreeks(b *testing.B) {
	vals := greeks(4096)
	for _, bc := range []struct {
		name string
		fn   func([]byte, float64) []byte
	}{
		{"shortfloat", func(dst []byte, f float64) []byte { return Append(dst, f, 'g') }},
		{"putg", func(dst []byte, f float64) []byte { return dst[:len(dst)+PutG(dst[len(dst):len(dst)+Room], f)] }},
		{"strconv", func(dst []byte, f float64) []byte { return strconv.AppendFloat(dst, f, 'g', -1, 64) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]byte, 0, 32*len(vals))
			for b.Loop() {
				buf = buf[:0]
				for _, f := range vals {
					buf = bc.fn(buf, f)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/value")
		})
	}
}
