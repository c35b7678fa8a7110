package quant

import "math"

// expTableBits sets the table of fastExp: 2^(j/64) for j in [0, 64).
const expTableBits = 6

var expTable = func() (t [1 << expTableBits]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / (1 << expTableBits))
	}
	return t
}()

// fastExp is e^x to within two units in the last place, nearly twice as fast as math.Exp:
// x = (64k + j)·ln2/64 + r with |r| <= ln2/128, so e^x = 2^k · 2^(j/64) · e^r, the middle
// factor from a table and e^r from its Taylor polynomial of degree 5 (truncation below
// 4e-17). The exercise boundary's integrals spend much of their time in exponentials.
// Arguments outside [-700, 700], NaN and infinities go to math.Exp.
func fastExp(x float64) float64 {
	if !(x > -700 && x < 700) {
		return math.Exp(x)
	}
	return expInRange(x)
}

// The constants of expInRange, which normCDFPDF writes out as well.
const (
	expN       = 1 << expTableBits
	expInvLn2N = expN / math.Ln2
	// ln2/expN split so that k·expLn2Hi is exact for |k| < 2^22.
	expLn2Hi = 0x1.62e42feep-7
	expLn2Lo = math.Ln2/expN - expLn2Hi
	// Adding 1.5·2^52 rounds to an integer held in the low bits of the mantissa.
	roundShift = 0x1.8p52
)

// expInRange is fastExp for x in (-700, 700), where the caller knows it to be.
func expInRange(x float64) float64 {
	kd := x*expInvLn2N + roundShift
	k := int64(math.Float64bits(kd) - math.Float64bits(roundShift))
	kd -= roundShift
	r := x - kd*expLn2Hi - kd*expLn2Lo
	// e^r - 1, added to the table value last so that its rounding error stays small.
	// Estrin's scheme: the halves of the polynomial are formed side by side.
	r2 := r * r
	q := r * ((1 + r*(1.0/2)) + r2*((1.0/6+r*(1.0/24))+r2*(1.0/120)))
	t := expTable[k&(expN-1)]
	scale := math.Float64frombits(uint64((k>>expTableBits)+1023) << 52)
	return (t + t*q) * scale
}
