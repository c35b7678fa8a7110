package lake

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// floatCases are the values the float text is checked on: the edges of
// every branch (each binary exponent with the mantissas that take
// Dragonbox's special paths, powers of ten and their neighbours, where 'g'
// switches to an exponent, where the fast range ends) and random values
// of every shape, a few million in all (a tenth with -short).
func floatCases(short bool) []float64 {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.1, 2.675, 0.0001, -0.0001, 0.00005, 0.00015,
		99999.9999, 999999.9999, 1e6, -1e6, 123456.7, 1234567, 1e10, 1e15, 1e16, 1e17, 1e20, 1e21, 1e22, 1e23, 5e-324,
		math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 0x1p-1022, 0x1p-1022 - 0x1p-1074, math.NaN(),
		math.Inf(1), math.Inf(-1), 1.0000000000000002, 0.30000000000000004, 12345.678900000001, 1 << 53, 1<<53 + 2,
		1<<53 - 1, 1 << 63, 0x1p-200, 0x1p200, 0x1p-200 - 0x1p-253, 0x1p200 - 0x1p147, 9007199254740993, 0.2512345678901,
		1.7976931348623157e308, 2.2250738585072014e-308, 4.35, 0.35, 123.456, 1e-5, 9.999999999999999e-5, 9.99999e5}
	// Every binary exponent, with the power of two (the shorter interval
	// below it), its neighbours, the largest mantissa and random ones.
	rng := rand.New(rand.NewPCG(5, 6))
	for biased := uint64(0); biased < 0x7ff; biased++ {
		for _, mant := range []uint64{0, 1, 2, 1<<52 - 1, 1<<52 - 2, 1 << 51, rng.Uint64() >> 12, rng.Uint64() >> 12} {
			v := math.Float64frombits(biased<<52 | mant)
			vals = append(vals, v, -v)
		}
	}
	// Powers of ten, their neighbours and their near multiples.
	for e := -325; e <= 309; e++ {
		p, _ := strconv.ParseFloat(fmt.Sprintf("1e%d", e), 64)
		for _, v := range []float64{p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1)), 2 * p, 5 * p, 9.5 * p, 0.5 * p} {
			vals = append(vals, v, -v)
		}
	}
	n := 3_000_000
	if short {
		n /= 10
	}
	for range n {
		switch rng.IntN(6) {
		case 0: // prices and strikes: few decimals
			vals = append(vals, float64(rng.Int64N(2e10)-1e10)/math.Pow(10, float64(rng.IntN(6))))
		case 1: // analytics: full precision, around the magnitudes of Greeks
			vals = append(vals, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(16)-8)))
		case 2: // sums of decimals, which carry binary noise
			vals = append(vals, float64(rng.IntN(10000))/100+float64(rng.IntN(100))/10000)
		case 3: // integers, exact or not as float64
			vals = append(vals, float64(rng.Int64N(1<<rng.IntN(63)+1)))
		case 4: // the shortest text of a random decimal of few digits
			v, _ := strconv.ParseFloat(fmt.Sprintf("%de%d", rng.Int64N(1e6), rng.IntN(60)-30), 64)
			vals = append(vals, v)
		default: // any bit pattern
			vals = append(vals, math.Float64frombits(rng.Uint64()))
		}
	}
	return vals
}

// TestAppendFloat checks the float text against strconv's, byte for
// byte, appended to a buffer with text before it.
func TestAppendFloat(t *testing.T) {
	buf := []byte("x,")
	for _, v := range floatCases(testing.Short()) {
		got := appendFloat(buf[:2], v)
		if want := strconv.AppendFloat(nil, v, 'g', -1, 64); string(got[2:]) != string(want) || string(got[:2]) != "x," {
			t.Fatalf("%v (%#x): %q, strconv %q", v, math.Float64bits(v), got[2:], want)
		}
		buf = got
	}
}

// TestAppendFloatAppends checks the eight-byte stores leave what comes
// before the text alone, at the end of a buffer of every spare capacity.
func TestAppendFloatAppends(t *testing.T) {
	for _, v := range []float64{1, -0.000123456789, 123456.75, -1.2345678901234567e-200, 12345678901234567} {
		want := strconv.AppendFloat([]byte("ab"), v, 'g', -1, 64)
		for spare := range 40 {
			buf := make([]byte, 2, 2+spare)
			copy(buf, "ab")
			if got := appendFloat(buf, v); string(got) != string(want) {
				t.Fatalf("%v with %d spare: %q, want %q", v, spare, got, want)
			}
		}
	}
}

func FuzzAppendFloatBits(f *testing.F) {
	for _, v := range []float64{0, 1, 0.1 + 0.2, 1e21, 0x1p200, 5e-324, -1e-5, 999999.5} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, b uint64) {
		v := math.Float64frombits(b)
		if got, want := string(appendFloat(nil, v)), strconv.FormatFloat(v, 'g', -1, 64); got != want {
			t.Fatalf("%#x: %q, strconv %q", b, got, want)
		}
	})
}

// TestDigits8 checks the eight digits of every x < 10⁸.
func TestDigits8(t *testing.T) {
	want := [8]byte{'0', '0', '0', '0', '0', '0', '0', '0'}
	for x := range uint32(1e8) {
		got := digits8(x)
		for i := range want {
			if byte(got>>(8*i)) != want[i] {
				t.Fatalf("%d: %q", x, []byte{byte(got), byte(got >> 8), byte(got >> 16), byte(got >> 24),
					byte(got >> 32), byte(got >> 40), byte(got >> 48), byte(got >> 56)})
			}
		}
		// Count up, carrying.
		for i := 7; i >= 0; i-- {
			if want[i]++; want[i] <= '9' {
				break
			}
			want[i] = '0'
		}
	}
}

// TestPow10Tab computes the table of powers of ten again, with exact
// arithmetic, and checks every exponent of the floats formatted without
// strconv finds its powers in it.
func TestPow10Tab(t *testing.T) {
	b128 := new(big.Int).Lsh(big.NewInt(1), 128)
	for k := pow10Min; k <= pow10Max; k++ {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(k, -k))), nil)
		r := new(big.Rat).SetInt(p)
		if k < 0 {
			r.Inv(r)
		}
		// Scale into [2¹²⁷, 2¹²⁸) and round down.
		for r.Cmp(new(big.Rat).SetInt(b128)) >= 0 {
			r.Quo(r, big.NewRat(2, 1))
		}
		for r.Cmp(new(big.Rat).SetFrac(b128, big.NewInt(2))) < 0 {
			r.Mul(r, big.NewRat(2, 1))
		}
		m := new(big.Int).Quo(r.Num(), r.Denom())
		want := uint128{new(big.Int).Rsh(m, 64).Uint64(), m.Uint64()}
		if got := pow10Tab[k-pow10Min]; got != want {
			t.Errorf("1e%d: {%#016x, %#016x}, want {%#016x, %#016x}", k, got.hi, got.lo, want.hi, want.lo)
		}
	}
	for biased := minFastBiased; biased < maxFastBiased; biased++ {
		e := biased - 1075
		for _, k := range []int{2 - (e*78913)>>18, -((e*631305 - 261663) >> 21)} {
			if k < pow10Min || k > pow10Max {
				t.Errorf("biased exponent %d needs 1e%d", biased, k)
			}
		}
	}
}

// BenchmarkAppendFloat formats the options dataset's kinds of values with
// appendFloat and with strconv, on the same values in the same run.
func BenchmarkAppendFloat(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	sets := map[string][]float64{}
	for range 4096 {
		iv := 0.1 + rng.Float64()
		sets["greeks"] = append(sets["greeks"], iv, rng.Float64(), rng.Float64()/50, -rng.Float64()/10, rng.Float64()*30,
			rng.Float64()/5, 0.5+rng.Float64(), rng.Float64()*90)
		sets["prices"] = append(sets["prices"], float64(rng.IntN(50000))/100, float64(rng.IntN(1000))/2, float64(rng.IntN(40000))/100+0.005)
	}
	for _, name := range []string{"greeks", "prices"} {
		vals := sets[name]
		for _, f := range []struct {
			name string
			fn   func([]byte, float64) []byte
		}{{"lake", appendFloat}, {"strconv", func(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'g', -1, 64) }}} {
			b.Run(name+"/"+f.name, func(b *testing.B) {
				buf := make([]byte, 0, 64)
				for b.Loop() {
					for _, v := range vals {
						buf = f.fn(buf[:0], v)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/value")
			})
		}
	}
}
