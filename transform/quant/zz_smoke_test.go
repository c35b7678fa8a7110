package quant

import (
	"math"
	"testing"
)

func crrT(p Params, n int) float64 {
	dt := p.Time / float64(n); u := math.Exp(p.Vol*math.Sqrt(dt)); d := 1 / u
	pu := (math.Exp((p.Rate-p.Div)*dt) - d) / (u - d); disc := math.Exp(-p.Rate * dt)
	sign := 1.0; if p.Kind == Put { sign = -1 }
	pw := make([]float64, 2*n+1)
	for k := range pw { pw[k] = p.Spot * math.Pow(u, float64(k-n)) }
	v := make([]float64, n+1)
	for i := range v { v[i] = math.Max(sign*(pw[2*i]-p.Strike), 0) }
	a, b := disc*pu, disc*(1-pu)
	for j := n - 1; j >= 0; j-- { for i := 0; i <= j; i++ {
		v[i] = math.Max(a*v[i+1]+b*v[i], sign*(pw[n+2*i-j]-p.Strike)) } }
	return v[0]
}
func TestSmoke(t *testing.T) {
	p := Params{Call, 42, 40, 0.04, 0.08, 0.35, 0.75}
	t.Log(AmericanPrice(p), crrT(p, 2000), Price(p))
	worst := 0.0
	for _, k := range []Kind{Call, Put} {
		for _, s := range []float64{50, 80, 100, 120, 150} {
			for _, v := range []float64{0.01, 0.02, 0.05, 0.1, 0.3, 0.8, 1.5} {
				for _, tt := range []float64{1.0 / 365, 0.1, 0.5, 2, 5} {
					for _, rq := range [][2]float64{{0.05, 0}, {0.05, 0.02}, {0.02, 0.08}, {0.1, 0.01}, {-0.01, 0.02}, {0.03, -0.01}} {
						p := Params{k, s, 100, rq[0], rq[1], v, tt}
						a := AmericanPrice(p)
						c := crrT(p, 2000)
						rel := math.Abs(a-c) / math.Max(c, 1e-2)
						if math.IsNaN(a) || rel > 0.05 || v <= 0.05 && rel > 0.002 {
							t.Logf("%+v am=%g crr=%g eu=%g rel=%g", p, a, c, Price(p), rel)
						}
						if rel > worst {
							worst = rel
						}
					}
				}
			}
		}
	}
	t.Log("worst", worst)
}
