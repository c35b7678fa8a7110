package quant
import ("testing";"math";"sort";"fmt")
func TestRatio2(t *testing.T) {
	t.Log("wilmott", 3*bs2002Call(3.5/3, 1.5, 0.025, 0, 0.55), bs1993(3.5, 3, 1.5, 0.025, 0, 0.55))
	type row struct{ ratio, rel float64; s string }
	var rows []row
	for _, k := range []Kind{Put} { for _, s := range []float64{90, 100, 110} { for _, v := range []float64{0.02, 0.03, 0.05, 0.07, 0.1, 0.15} {
		for _, tt := range []float64{0.5, 1, 2, 5} { for _, rq := range [][2]float64{{0.05, 0}, {0.1, 0.01}, {0.03, 0.01}} {
			p := Params{k, s, 100, rq[0], rq[1], v, tt}
			b := p.Div - p.Rate
			ratio := -b*math.Sqrt(tt)/(2*v)
			if ratio < 0.3 { continue }
			a := AmericanPrice(p); c := crrT(p, 1000)
			rows = append(rows, row{ratio, (c-a)/c, fmt.Sprintf("%v %v %v %v %v am=%.4f crr=%.4f eu=%.4f", k, s, rq, v, tt, a, c, Price(p))})
	}}}}}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ratio < rows[j].ratio })
	for _, r := range rows { t.Logf("%.3f %.4f %s", r.ratio, r.rel, r.s) }
}
