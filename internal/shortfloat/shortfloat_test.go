package shortfloat

import (
	"flag"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

var moreRandom = flag.Int("random", 10_000_000, "random bit patterns TestMoreRandomBits compares with strconv")

// compare holds Append to strconv.AppendFloat for one value in every
// format and returns 1, the value counted once, for the tests' logs.
func compare(t *testing.T, f float64, scratch *[2][]byte) int {
	t.Helper()
	for _, format := range []byte{'e', 'f', 'g'} {
		got := Append(scratch[0][:0], f, format)
		want := strconv.AppendFloat(scratch[1][:0], f, format, -1, 64)
		if string(got) != string(want) {
			t.Fatalf("Append(%#x, %q) = %s, strconv %s", math.Float64bits(f), format, got, want)
		}
		if format == 'g' {
			checkPutG(t, f, want)
		}
		scratch[0], scratch[1] = got, want
	}
	return 1
}

// compareG is compare for 'g' only, the layout with most branches: where
// millions of values are checked, 'f' would spend the time writing zeros.
func compareG(t *testing.T, f float64, scratch *[2][]byte) int {
	t.Helper()
	got := Append(scratch[0][:0], f, 'g')
	want := strconv.AppendFloat(scratch[1][:0], f, 'g', -1, 64)
	if string(got) != string(want) {
		t.Fatalf("Append(%#x, 'g') = %s, strconv %s", math.Float64bits(f), got, want)
	}
	scratch[0], scratch[1] = got, want
	checkPutG(t, f, want)
	return 1
}

// checkPutG holds PutG, writing over a buffer full of garbage, to
// strconv's 'g' text want.
func checkPutG(t *testing.T, f float64, want []byte) {
	t.Helper()
	var b [Room]byte
	for i := range b {
		b[i] = 0xa5
	}
	if n := PutG(b[:], f); string(b[:n]) != string(want) {
		t.Fatalf("PutG(%#x) = %s, strconv %s", math.Float64bits(f), b[:n], want)
	}
}

// withNeighbours calls check on f, on the floats either side of it and on
// their negations.
func withNeighbours(f float64, check func(float64)) {
	for _, x := range []float64{math.Nextafter(f, math.Inf(-1)), f, math.Nextafter(f, math.Inf(1))} {
		check(x)
		check(-x)
	}
}

func TestSpecialValues(t *testing.T) {
	var s [2][]byte
	for _, f := range []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 0x1p-1022, math.Nextafter(0x1p-1022, 0),
		math.Float64frombits(0x4319254c22b4e72d), math.Float64frombits(0x436111df9098ae60), // a tie; an end of R on a candidate
		1, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 5e-324, 1e23, 8.41e21, 9007199254740993, 1e21, 1e-7, 123456, 1234567,
		0.0001, 0.00001, 100000, 1e6, 2.675, 1.005, math.Pi, math.E, 4.35, 0.15, 0.25, 1e15, 1e16, 1e17,
	} {
		withNeighbours(f, func(x float64) { compare(t, x, &s) })
	}
}

// TestPowers compares every power of two and of ten a float64 holds, and
// the floats beside them, where the rounding interval is uneven and the
// shortest decimals are shortest.
func TestPowers(t *testing.T) {
	var s [2][]byte
	n := 0
	for e := -1074; e <= 1023; e++ {
		withNeighbours(math.Ldexp(1, e), func(x float64) { n += compare(t, x, &s) })
	}
	for e := -323; e <= 308; e++ {
		f, err := strconv.ParseFloat("1e"+strconv.Itoa(e), 64)
		if err != nil {
			t.Fatal(err)
		}
		withNeighbours(f, func(x float64) { n += compare(t, x, &s) })
	}
	t.Logf("%d values", n)
}

// TestSubnormals compares the smallest subnormals one by one, where the
// digits are few and the candidates below ten, and random ones beyond.
func TestSubnormals(t *testing.T) {
	var s [2][]byte
	n := 0
	for b := range uint64(200_000) {
		n += compareG(t, math.Float64frombits(b), &s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		n += compare(t, math.Float64frombits(rng.Uint64N(1<<52)), &s)
	}
	t.Logf("%d values", n)
}

// TestIntegers compares integers up to 2^53, all the small ones and
// random ones of every size, and those just above 2^53.
func TestIntegers(t *testing.T) {
	var s [2][]byte
	n := 0
	for i := range 100_000 {
		n += compareG(t, float64(i), &s)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300_000 {
		bits := 1 + rng.IntN(53)
		n += compare(t, float64(rng.Uint64N(1<<bits)), &s)
	}
	for i := range uint64(10_000) {
		n += compareG(t, float64(1<<53-i), &s)
		n += compareG(t, float64(1<<53+2*i), &s)
	}
	t.Logf("%d values", n)
}

// TestNearTies compares floats nearest decimals half way between two
// shorter ones (17 significant digits ending in 5, and 16 ending in 5),
// and their neighbours: where rounding the digits to the nearest matters.
func TestNearTies(t *testing.T) {
	var s [2][]byte
	rng := rand.New(rand.NewPCG(7, 8))
	n := 0
	for range 100_000 {
		digits := 15 + rng.IntN(2)
		m := rng.Uint64N(9*pow10Int[digits-1]) + pow10Int[digits-1]
		lit := strconv.FormatUint(m, 10) + "5e" + strconv.Itoa(rng.IntN(600)-300-digits)
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			t.Fatal(err)
		}
		withNeighbours(f, func(x float64) { n += compareG(t, x, &s) })
	}
	// From 2^50 to 2^57 the spacing is from a quarter to sixteen, so the
	// value can lie exactly half way between two candidates a unit or a
	// tenth apart, and the even one is taken.
	for range 200_000 {
		f := math.Ldexp(float64(1<<52+rng.Uint64N(1<<52)), rng.IntN(7)-2)
		n += compareG(t, f, &s)
	}
	t.Logf("%d values", n)
}

// TestMarketValues compares values shaped like the pipeline's: prices
// and sizes with a few decimals, and Greeks, IVs and moneyness, which are
// the results of arithmetic and math functions at full precision.
func TestMarketValues(t *testing.T) {
	var s [2][]byte
	rng := rand.New(rand.NewPCG(9, 10))
	n := 0
	for range 400_000 {
		var f float64
		switch rng.IntN(8) {
		case 0:
			f = float64(rng.Int64N(1e9)) / 1e4
		case 1:
			f = float64(rng.Int64N(1e7)) / math.Pow(10, float64(rng.IntN(7)))
		case 2:
			f = math.Exp(rng.NormFloat64() * 3)
		case 3:
			f = math.Log(100 / (50 + 100*rng.Float64()))
		case 4:
			f = 0.5 * math.Erfc(-rng.NormFloat64()/math.Sqrt2) // delta-like
		case 5:
			f = math.Exp(-rng.Float64()*rng.Float64()*20) * rng.NormFloat64() / 1e3 // gamma, theta-like
		case 6:
			f = math.Sqrt(rng.Float64()) * 0.8 // IV-like
		default:
			f = float64(rng.IntN(50000))/100 + float64(rng.IntN(100))/10000
		}
		n += compare(t, f, &s)
	}
	t.Logf("%d values", n)
}

// TestRandomBits compares random bit patterns, NaNs and infinities
// among them.
func TestRandomBits(t *testing.T) {
	t.Logf("%d values", randomBits(t, 11, 8_000_000))
}

// TestMoreRandomBits is TestRandomBits for more values (-random sets how
// many).
func TestMoreRandomBits(t *testing.T) {
	if testing.Short() {
		t.Skip("tens of millions of values take a while")
	}
	t.Logf("%d values", randomBits(t, 12, *moreRandom))
}

func randomBits(t *testing.T, seed uint64, count int) int {
	var s [2][]byte
	rng := rand.New(rand.NewPCG(seed, 1))
	n := 0
	for i := range count {
		f := math.Float64frombits(rng.Uint64())
		if i%64 == 0 {
			n += compare(t, f, &s)
		} else {
			n += compareG(t, f, &s)
		}
	}
	return n
}

func FuzzAppend(f *testing.F) {
	for _, x := range []float64{0, 1, 0.1, 5e-324, math.MaxFloat64, 1e21, 1e-7, 0.30000000000000004, 123456.7} {
		f.Add(x, byte('g'))
	}
	f.Fuzz(func(t *testing.T, x float64, format byte) {
		got := Append(nil, x, format)
		want := strconv.AppendFloat(nil, x, format, -1, 64)
		if string(got) != string(want) {
			t.Fatalf("Append(%#x, %q) = %s, want %s", math.Float64bits(x), format, got, want)
		}
		if format == 'g' {
			checkPutG(t, x, want)
		}
	})
}

// TestFloorLogs checks the fixed-point logarithms against exact
// comparisons for every exponent a float64 has, and that the powers of
// ten they ask for are in the table.
func TestFloorLogs(t *testing.T) {
	for q := minQ; q <= 971; q++ {
		// ⌊log₁₀ 2^q⌋ is the largest k with 10^k ≤ 2^q; ⌊log₁₀ ¾·2^q⌋
		// the largest with 4·10^k ≤ 3·2^q.
		for _, r := range []struct {
			got      int
			num, den int64
		}{{floorLog10Pow2(q), 1, 1}, {floorLog10ThreeQuartersPow2(q), 3, 4}} {
			x := scaled(big.NewRat(r.num, r.den), 2, q)
			k := r.got
			if scaled(big.NewRat(1, 1), 10, k).Cmp(x) > 0 || scaled(big.NewRat(1, 1), 10, k+1).Cmp(x) <= 0 {
				t.Fatalf("q %d: k %d is not ⌊log₁₀ %d/%d·2^q⌋", q, k, r.num, r.den)
			}
			if -k < minPow10 || -k > maxPow10 {
				t.Fatalf("q %d asks for 10^%d, outside the table", q, -k)
			}
		}
	}
	for e := minPow10; e <= maxPow10; e++ {
		b := floorLog2Pow10(e)
		x := scaled(big.NewRat(1, 1), 10, e)
		if scaled(big.NewRat(1, 1), 2, b).Cmp(x) > 0 || scaled(big.NewRat(1, 1), 2, b+1).Cmp(x) <= 0 {
			t.Fatalf("e %d: %d is not ⌊log₂ 10^e⌋", e, b)
		}
	}
}

// TestPow10 checks each g against its power exactly: 2^125 < g ≤ 2^126
// and 0 < g·2^(b-125) - 10^e ≤ 2^(b-125).
func TestPow10(t *testing.T) {
	lo, hi := new(big.Int).Lsh(big.NewInt(1), 125), new(big.Int).Lsh(big.NewInt(1), 126)
	for i, w := range pow10 {
		e := i + minPow10
		g := new(big.Int).Lsh(new(big.Int).SetUint64(w[0]), 64)
		g.Or(g, new(big.Int).SetUint64(w[1]))
		if g.Cmp(lo) <= 0 || g.Cmp(hi) > 0 {
			t.Fatalf("10^%d: g %x outside (2^125, 2^126]", e, g)
		}
		b := floorLog2Pow10(e)
		over := new(big.Rat).Sub(scaled(new(big.Rat).SetInt(g), 2, b-125), scaled(big.NewRat(1, 1), 10, e))
		if over.Sign() <= 0 || over.Cmp(scaled(big.NewRat(1, 1), 2, b-125)) > 0 {
			t.Fatalf("10^%d: g·2^(b-125) is %s above it", e, over.FloatString(5))
		}
	}
}

// scaled returns x·base^e exactly.
func scaled(x *big.Rat, base int64, e int) *big.Rat {
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(base), big.NewInt(int64(max(e, -e))), nil))
	if e < 0 {
		p.Inv(p)
	}
	return p.Mul(p, x)
}
