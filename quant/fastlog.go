package quant

import "math"

// logTableBits sets the table of fastLog: 2^logTableBits intervals of the mantissa.
const logTableBits = 7

// logTable holds, for the interval j of mantissas m in [1, 2) centred on c, the factor f
// with m·f near 1 and log(1/f), f the rounded 1/c. From 1.5 up the mantissa is taken as
// 2·(m/2), m/2 near c/2 with f' the rounded 2/c: the entry is f'/2 (m·f'/2 = (m/2)·f') and
// log(2/f'), the 2 going to the exponent. Numbers just below 1 then keep their logarithm
// whole, rather than as log 2 less a number near it.
var logTable = func() (t [1 << logTableBits][2]float64) {
	for j := range t {
		c := 1 + (float64(j)+0.5)/(1<<logTableBits)
		if c < 1.5 {
			f := 1 / c
			t[j] = [2]float64{f, -math.Log(f)}
			continue
		}
		f := 2 / c
		t[j] = [2]float64{f / 2, -math.Log(f)}
	}
	return t
}()

// fastLog is the natural logarithm to within two units in the last place of math.Log (one
// on the million points of TestFastLog), in 9–10 ns where math.Log takes 12.5–15, 1.3 to 1.6
// times less, by host and load (BenchmarkFastLog, BenchmarkMathLog, one core): the exercise
// boundary takes a logarithm at every node and Newton step.
// x = 2^k·m with m in [1, 2), log x = k·log 2 + log(1/f) + log1p(m·f - 1) with f from a
// table so that |m·f - 1| < 1/2^(logTableBits+1) and the log1p is a short series; m·f - 1
// is exact by a fused multiply-add. Within 1/64 of 1 a longer series alone gives it. Zero,
// negative, subnormal and infinite arguments and NaN go to math.Log.
func fastLog(x float64) float64 {
	if !(x >= 0x1p-1022 && x <= math.MaxFloat64) {
		return math.Log(x)
	}
	if d := x - 1; math.Abs(d) < 2.0/(1<<logTableBits) {
		// Here log(1/f) and the series would nearly cancel, and the rounding of the
		// first cost the result a unit or two.
		r2 := d * d
		r4 := r2 * r2
		p := (-1.0/2 + d*(1.0/3)) + r2*(-1.0/4+d*(1.0/5)) + r4*((-1.0/6+d*(1.0/7))+r2*(-1.0/8+d*(1.0/9))+r4*(-1.0/10))
		return d + r2*p
	}
	bits := math.Float64bits(x)
	mbits := bits & (1<<52 - 1)
	j := mbits >> (52 - logTableBits)
	// From m = 1.5 up (the top bit of j) the exponent takes one more 2 (see logTable).
	k := int64(bits>>52) - 1023 + int64(j>>(logTableBits-1))
	m := math.Float64frombits(mbits | 1023<<52)
	e := &logTable[j]
	r := math.FMA(m, e[0], -1)
	const (
		// log 2 split so that k·ln2Hi is exact for |k| < 2^11.
		ln2Hi = 0x1.62e42fefa3800p-1
		ln2Lo = 0x1.ef35793c76730p-45
	)
	kf := float64(k)
	return kf*ln2Hi + e[1] + (log1pSmall(r) + kf*ln2Lo)
}

// log1pSmall is log(1 + r) for |r| < 1/256, what fastLog passes it, by its Taylor series to
// r⁸ (truncation about r⁸/9 relative, below 1e-20).
func log1pSmall(r float64) float64 {
	r2 := r * r
	p := r2 * ((-1.0/2 + r*(1.0/3)) + r2*((-1.0/4+r*(1.0/5))+r2*((-1.0/6+r*(1.0/7))+r2*(-1.0/8))))
	return r + p
}
