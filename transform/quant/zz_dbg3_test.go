package quant
import ("testing";"math")
func TestTreeAcc(t *testing.T) {
	worst := 0.0
	for _, k := range []Kind{Call, Put} { for _, s := range []float64{80, 100, 120} { for _, v := range []float64{0.005, 0.02, 0.05, 0.1, 0.3, 0.8} {
		for _, tt := range []float64{0.02, 0.5, 2, 5} { for _, rq := range [][2]float64{{0.05, 0}, {0.1, 0.01}, {0.02, 0.06}, {0.0, 0.1}, {-0.01, 0.02}, {0.03, -0.01}} {
			p := Params{k, s, 100, rq[0], rq[1], v, tt}
			a := americanTree(p, 500); c := crrT(p, 5000)
			if v < 0.03 { c = americanTree(p, 5000) }
			rel := math.Abs(a-c) / math.Max(c, 0.01)
			if rel > worst { worst = rel; t.Log(p, a, c, rel) }
			am := AmericanPrice(p)
			if math.IsNaN(am) || math.IsInf(am, 0) { t.Error("nan", p) }
	}}}}}
}
