package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps is the distance between a and b in units in the last place of b.
func ulps(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / (math.Nextafter(b, math.Inf(1)) - b)
}

// ulpWorst keeps the point where f is furthest, in ulps, from ref, its reference.
type ulpWorst struct {
	f, ref    func(float64) float64
	worst, at float64
}

func (w *ulpWorst) check(x float64) {
	if u := ulps(w.f(x), w.ref(x)); u > w.worst {
		w.worst, w.at = u, x
	}
}

func TestFastExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	w := ulpWorst{f: fastExp, ref: math.Exp}
	for range 1_000_000 {
		w.check((rng.Float64()*2 - 1) * 700)
		w.check((rng.Float64()*2 - 1) * 2)
	}
	for _, x := range []float64{0, 1, -1, math.Ln2, 699.999, -699.999, 1e-300, -1e-300} {
		w.check(x)
	}
	t.Logf("worst %.2f ulp at %v", w.worst, w.at)
	if w.worst > 2 {
		t.Errorf("fastExp is %.2f ulp from math.Exp at %v", w.worst, w.at)
	}
	for _, x := range []float64{-700, 700, -745.2, 709.9, -1000, 1000, math.Inf(1), math.Inf(-1)} {
		if got, want := fastExp(x), math.Exp(x); got != want {
			t.Errorf("fastExp(%v) = %v, want %v", x, got, want)
		}
	}
	if !math.IsNaN(fastExp(math.NaN())) {
		t.Error("fastExp(NaN) is not NaN")
	}
}

func BenchmarkFastExp(b *testing.B) {
	x := 0.0
	for i := 0; b.Loop(); i++ {
		x += fastExp(-float64(i&1023) * 0.01)
	}
	benchSink = x
}

func BenchmarkMathExp(b *testing.B) {
	x := 0.0
	for i := 0; b.Loop(); i++ {
		x += math.Exp(-float64(i&1023) * 0.01)
	}
	benchSink = x
}
