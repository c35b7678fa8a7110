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

func TestFastExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	worst, at := 0.0, 0.0
	check := func(x float64) {
		got, want := fastExp(x), math.Exp(x)
		if u := ulps(got, want); u > worst {
			worst, at = u, x
		}
	}
	for range 1_000_000 {
		check((rng.Float64()*2 - 1) * 700)
		check((rng.Float64()*2 - 1) * 2)
	}
	for _, x := range []float64{0, 1, -1, math.Ln2, 699.999, -699.999, 1e-300, -1e-300} {
		check(x)
	}
	t.Logf("worst %.2f ulp at %v", worst, at)
	if worst > 2 {
		t.Errorf("fastExp is %.2f ulp from math.Exp at %v", worst, at)
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
