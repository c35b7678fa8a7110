package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFastLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	w := ulpWorst{f: fastLog, ref: math.Log}
	for range 1_000_000 {
		w.check(math.Exp((rng.Float64()*2 - 1) * 700))
		w.check(1 + (rng.Float64()*2-1)*0.1)
	}
	for _, x := range []float64{1, 1.5, math.Nextafter(1.5, 0), 2, 0.75, math.Nextafter(0.75, 1), 0.5,
		1 + 1.0/64, 1 - 1.0/64, 1 + 1.0/128, math.Nextafter(1, 2), math.Nextafter(1, 0), 0x1p-1022, math.MaxFloat64, math.E} {
		w.check(x)
	}
	t.Logf("worst %.2f ulp at %v", w.worst, w.at)
	if w.worst > 2 {
		t.Errorf("fastLog is %.2f ulp from math.Log at %v", w.worst, w.at)
	}
	if got := fastLog(1); got != 0 {
		t.Errorf("fastLog(1) = %v", got)
	}
	for _, x := range []float64{0, 1e-320, math.Inf(1)} {
		if got, want := fastLog(x), math.Log(x); got != want {
			t.Errorf("fastLog(%v) = %v, want %v", x, got, want)
		}
	}
	for _, x := range []float64{-1, math.Inf(-1), math.NaN()} {
		if got := fastLog(x); !math.IsNaN(got) {
			t.Errorf("fastLog(%v) = %v, want NaN", x, got)
		}
	}
}

func BenchmarkFastLog(b *testing.B) {
	x := 0.0
	for i := 0; b.Loop(); i++ {
		x += fastLog(0.3 + float64(i&1023)*0.003)
	}
	benchSink = x
}

func BenchmarkMathLog(b *testing.B) {
	x := 0.0
	for i := 0; b.Loop(); i++ {
		x += math.Log(0.3 + float64(i&1023)*0.003)
	}
	benchSink = x
}
