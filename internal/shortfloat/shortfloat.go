// Package shortfloat writes a float64 as the shortest decimal that reads
// back as the same value, byte for byte as strconv.AppendFloat with
// precision -1 writes it, faster (BenchmarkGreeks times them).
//
// The digits come from Raffaello Giulietti's Schubfach method ("The
// Schubfach way to render doubles", 2020): one scaling of the value and of
// the two ends of its rounding interval by a power of ten, each a 64×128-bit
// multiplication rounded to odd, then at most two comparisons pick the
// digits. The method is written here from the paper's description.
package shortfloat

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// Append appends f formatted as strconv.AppendFloat(dst, f, format, -1, 64)
// does. Formats other than 'e', 'f' and 'g' are left to strconv.
func Append(dst []byte, f float64, format byte) []byte {
	if format != 'e' && format != 'f' && format != 'g' {
		return strconv.AppendFloat(dst, f, format, -1, 64)
	}
	b := math.Float64bits(f)
	if b&expMask == expMask { // NaN or an infinity
		switch {
		case b&fracMask != 0:
			return append(dst, "NaN"...)
		case b>>63 != 0:
			return append(dst, "-Inf"...)
		}
		return append(dst, "+Inf"...)
	}
	neg := b>>63 != 0
	if b &^= 1 << 63; b == 0 {
		if neg {
			dst = append(dst, '-')
		}
		if format == 'e' {
			return append(dst, "0e+00"...)
		}
		return append(dst, '0')
	}
	d, k := shortest(b)
	n := digitCount(d)
	point := n + k // the digits before the decimal point
	exp := point - 1

	// The text is laid out in buf from base on and appended at once by
	// emit. putDigits writes d as 24 digits, zeros first, ending where it
	// is told, so the zeros before the digits may be used and base leaves
	// room for them.
	var buf [56]byte
	switch {
	case format == 'e' || format == 'g' && (exp < -4 || exp >= 6):
		// d.ddde±XX: the first digit moves left over the point.
		putDigits(&buf, base+1+n, d)
		buf[base] = buf[base+1]
		end := base + 1
		if n > 1 {
			buf[base+1], end = '.', base+1+n
		}
		buf[end], buf[end+1] = 'e', '+'
		if exp < 0 {
			buf[end+1], exp = '-', -exp
		}
		end += 2
		if exp >= 100 {
			buf[end], exp = byte('0'+exp/100), exp%100
			end++
		}
		buf[end], buf[end+1] = byte('0'+exp/10), byte('0'+exp%10)
		return emit(dst, &buf, end+2, neg)
	case point <= 0 && point >= -5:
		// 0.000ddd, the zeros putDigits's own.
		end := base + 2 - point + n
		putDigits(&buf, end, d)
		buf[base+1] = '.'
		return emit(dst, &buf, end, neg)
	case point > 0 && point < n && point <= 7:
		// ddd.ddd: the integer digits move left over the point, as one
		// word, merged with the fraction's digits after it.
		putDigits(&buf, base+1+n, d)
		was := binary.LittleEndian.Uint64(buf[base:])
		moved := binary.LittleEndian.Uint64(buf[base+1:])
		ints := uint64(1)<<(8*point) - 1
		binary.LittleEndian.PutUint64(buf[base:], moved&ints|'.'<<(8*point)|was&^(ints<<8|0xff))
		return emit(dst, &buf, base+1+n, neg)
	case point >= n && point <= n+8:
		// ddd000
		putDigits(&buf, base+n, d)
		binary.LittleEndian.PutUint64(buf[base+n:], zeros)
		return emit(dst, &buf, base+point, neg)
	}
	// 'f' far from the point: as many zeros as it takes.
	if neg {
		dst = append(dst, '-')
	}
	putDigits(&buf, base+n, d)
	digits := buf[base : base+n]
	switch {
	case point <= 0:
		dst = append(dst, '0', '.')
		for range -point {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	case point < n:
		dst = append(dst, digits[:point]...)
		dst = append(dst, '.')
		return append(dst, digits[point:]...)
	}
	dst = append(dst, digits...)
	for range point - n {
		dst = append(dst, '0')
	}
	return dst
}

const (
	base  = 24                  // where the text starts in Append's buffer
	zeros = 0x30303030_30303030 // "00000000" as a little-endian word
)

// emit appends buf[base:end], after a minus sign if neg.
func emit(dst []byte, buf *[56]byte, end int, neg bool) []byte {
	start := base
	if neg {
		start--
		buf[start] = '-'
	}
	return append(dst, buf[start:end]...)
}

const (
	fracBits = 52
	fracMask = 1<<fracBits - 1
	expMask  = 0x7ff << fracBits
	minQ     = -1074 // the binary exponent of the subnormals' unit
)

// shortest returns the decimal d·10^k, d without trailing zeros, with the
// fewest digits that reads back as the positive finite float64 of bits b;
// of two such, the one nearer the value.
//
// The value is v = c·2^q. Every real in its rounding interval R reads back
// as v: R reaches half way to each neighbour, which is a quarter of 2^q
// below v when c is a power of two (the spacing halves there), and holds
// its ends only when c is even (ties go to even when reading). k is chosen
// so that R is between 1 and 10 units of 10^k wide. Then R holds at most
// one multiple of 10^(k+1), which is the answer if it does; otherwise the
// answer is one of the two multiples of 10^k around v, s and s+1, at least
// one of which lies in R.
func shortest(b uint64) (d uint64, k int) {
	c, q := b&fracMask, int(b>>fracBits)-1075
	irregular := c == 0 && q > minQ // v is a power of two with a nearer lower neighbour
	if q < minQ {
		q = minQ // subnormal
	} else {
		c |= 1 << fracBits
	}
	if q <= 0 && q >= -fracBits && c&(1<<-q-1) == 0 {
		// An integer below 2^53: R is at most one wide around it, so no
		// other integer, let alone a shorter one, reads back as it.
		return trimZeros(c>>-q, 0)
	}

	// k = ⌊log₁₀ of R's width⌋: 2^q, or ¾·2^q when irregular.
	if irregular {
		k = floorLog10ThreeQuartersPow2(q)
	} else {
		k = floorLog10Pow2(q)
	}
	// The products below are 4·c·2^q·10^-k and R's ends on the same scale,
	// in units of a quarter of 10^k. g·2^(e-125) approximates 10^-k from
	// above, e = ⌊log₂ 10^-k⌋, so x·2^q·10^-k is the top 64 bits of the
	// 192-bit product g·x·2^h for h = q + e + 3, which is 3 to 6 here.
	g := &pow10[-k-minPow10]
	h := uint(q + floorLog2Pow10(-k) + 3)
	cb := c << 2
	lo := cb - 2
	if irregular {
		lo = cb - 1
	}
	vb := mulRoundOdd(g, cb<<h)
	vbLo := mulRoundOdd(g, lo<<h)
	vbHi := mulRoundOdd(g, (cb+2)<<h)

	// Rounding to odd keeps whether a product had a fraction, so comparing
	// it with a multiple of four (always even) is comparing the exact
	// value. open makes the comparisons strict when R excludes its ends.
	open := c & 1
	s := vb >> 2
	if s >= 10 { // below ten, a multiple of ten is no shorter than s
		down := s / 10 * 10
		up := down + 10
		downIn := vbLo+open <= down<<2
		upIn := up<<2+open <= vbHi
		if downIn != upIn {
			if downIn {
				return trimZeros(down, k)
			}
			return trimZeros(up, k)
		}
	}
	t := s + 1
	sIn := vbLo+open <= s<<2
	tIn := t<<2+open <= vbHi
	if sIn != tIn {
		if sIn {
			return trimZeros(s, k)
		}
		return trimZeros(t, k)
	}
	// Both read back: the nearer, on a tie the even one.
	mid := s<<2 + 2
	if vb < mid || vb == mid && s&1 == 0 {
		return trimZeros(s, k)
	}
	return trimZeros(t, k)
}

// mulRoundOdd returns g·x / 2^128 rounded down, with its lowest bit set
// if it has a fraction: the product rounded to odd. g is above the scaled
// power by at most one and x is below 2^62, so the product is above the
// exact x·2^q·10^-k by less than 2^-66: a fraction below 2^-64 is that
// excess on an exact integer, and the paper shows that the fraction of a
// value that is not an integer is never that small, nor that near one.
// So the low 64 of the 192 bits are left out.
func mulRoundOdd(g *[2]uint64, x uint64) uint64 {
	hi1, lo1 := bits.Mul64(g[0], x)
	hi0, _ := bits.Mul64(g[1], x)
	mid, carry := bits.Add64(lo1, hi0, 0)
	return hi1 + carry | (mid|-mid)>>63
}

// trimZeros drops d's trailing zeros into the exponent k.
func trimZeros(d uint64, k int) (uint64, int) {
	if d%10 != 0 {
		return d, k
	}
	for d%100000000 == 0 {
		d, k = d/100000000, k+8
	}
	if d%10000 == 0 {
		d, k = d/10000, k+4
	}
	if d%100 == 0 {
		d, k = d/100, k+2
	}
	if d%10 == 0 {
		d, k = d/10, k+1
	}
	return d, k
}

// Fixed-point logarithms, scaled by 2^fixedShift and rounded: for every
// exponent a float64 has, x·log10Of2>>fixedShift is ⌊x·log₁₀2⌋, and
// likewise for the others (TestFloorLogs checks them all).
const (
	fixedShift    = 22
	log10Of2      = 1262612  // log₁₀ 2
	log10Of4over3 = 524031   // log₁₀ 4/3
	log2Of10      = 13933176 // log₂ 10
)

// The floors of the logarithms shortest takes. Their products are worked
// out in 64 bits: e·log2Of10 reaches 4.5·10^9 for the subnormals, beyond
// a 32-bit int.

// floorLog10Pow2 is ⌊log₁₀ 2^q⌋.
func floorLog10Pow2(q int) int { return int(int64(q) * log10Of2 >> fixedShift) }

// floorLog10ThreeQuartersPow2 is ⌊log₁₀ ¾·2^q⌋.
func floorLog10ThreeQuartersPow2(q int) int {
	return int((int64(q)*log10Of2 - log10Of4over3) >> fixedShift)
}

// floorLog2Pow10 is ⌊log₂ 10^e⌋.
func floorLog2Pow10(e int) int { return int(int64(e) * log2Of10 >> fixedShift) }

// The powers of ten the scaling needs, 10^minPow10 to 10^maxPow10.
const (
	minPow10 = -292 // 10^-k for the largest k, of 2^971
	maxPow10 = 324  // and for the smallest, of 2^-1074
)

// pow10[i] is 10^(i+minPow10) as a 126-bit g, high word first:
// ⌊10^e / 2^(b-125)⌋ + 1 for b = ⌊log₂ 10^e⌋, so 2^125 < g ≤ 2^126 and
// 10^e < g·2^(b-125) ≤ 10^e + 2^(b-125), as mulRoundOdd needs.
var pow10 = func() (t [maxPow10 - minPow10 + 1][2]uint64) {
	one, ten := big.NewInt(1), big.NewInt(10)
	p, g, w := big.NewInt(1), new(big.Int), new(big.Int)
	for e := 0; e <= max(maxPow10, -minPow10); e, p = e+1, p.Mul(p, ten) {
		if e <= maxPow10 {
			// b is p's bit length less one: shift p to 126 bits.
			if s := 126 - p.BitLen(); s >= 0 {
				g.Lsh(p, uint(s))
			} else {
				g.Rsh(p, uint(-s))
			}
			put(&t[e-minPow10], g.Add(g, one), w)
		}
		if e > 0 && -e >= minPow10 {
			// 10^-e = 1/p lies strictly between 2^-n and 2^-(n-1) for p's
			// bit length n, so b = -n.
			g.Quo(g.Lsh(one, uint(125+p.BitLen())), p)
			put(&t[-e-minPow10], g.Add(g, one), w)
		}
	}
	return t
}()

// put stores g < 2^128 in two words, high first, using w as scratch.
func put(dst *[2]uint64, g, w *big.Int) {
	dst[0] = w.Rsh(g, 64).Uint64()
	dst[1] = g.Uint64()
}

// digitCount returns how many decimal digits d > 0 has.
func digitCount(d uint64) int {
	// 1233/4096 is just below log₁₀ 2, so n is ⌊log₁₀ d⌋ or one more.
	n := bits.Len64(d) * 1233 >> 12
	if d < pow10Int[n] {
		return n
	}
	return n + 1
}

// pow10Int[i] is 10^i.
var pow10Int = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// putDigits writes d < 10^18 as 24 decimal digits, with leading zeros,
// ending at buf[end-1].
func putDigits(buf *[56]byte, end int, d uint64) {
	hi := d / 1e16
	d -= hi * 1e16
	mid := d / 1e8
	lo := d - mid*1e8
	// The first eight are six zeros and hi's two digits.
	binary.LittleEndian.PutUint64(buf[end-24:], zeros|hi/10<<48|hi%10<<56)
	binary.LittleEndian.PutUint64(buf[end-16:], eightDigits(uint32(mid)))
	binary.LittleEndian.PutUint64(buf[end-8:], eightDigits(uint32(lo)))
}

// EightDigits returns x < 10^8 as eight ASCII digits, zeros first, in a
// little-endian word (the first digit in the low byte), for encoders
// writing other numbers in words.
func EightDigits(x uint32) uint64 { return eightDigits(x) }

// eightDigits returns x < 10^8 as eight ASCII digits in a little-endian
// word, worked out in lanes: the two halves of four digits in 32 bits
// each, then four pairs in 16 bits, then eight digits in bytes, each step
// dividing every lane at once by multiplying by a reciprocal small enough
// that no lane's product reaches the next (x·5243>>19 is x/100 below 10^4,
// x·103>>10 is x/10 below 100).
func eightDigits(x uint32) uint64 {
	v := uint64(x/10000) | uint64(x%10000)<<32
	h := v * 5243 >> 19 & 0x7f_0000007f
	v = h | (v-h*100)<<16
	t := v * 103 >> 10 & 0xf_000f_000f_000f
	v = t | (v-t*10)<<8
	return v | zeros
}

// Room is the length of the buffer PutG writes into.
const Room = 32

// PutG writes f into b as Append(nil, f, 'g') formats it and returns the
// length of the text. It writes in words, straight into b, which must be
// at least Room long: the bytes of b after the text are left changed.
// A caller appending to a buffer with Room spare bytes writes the text in
// place, where Append builds it on the stack and copies it.
func PutG(b []byte, f float64) int {
	_ = b[Room-1]
	u := math.Float64bits(f)
	if u&expMask == expMask { // NaN or an infinity
		switch {
		case u&fracMask != 0:
			return copy(b, "NaN")
		case u>>63 != 0:
			return copy(b, "-Inf")
		}
		return copy(b, "+Inf")
	}
	s := int(u >> 63) // where the text after a minus sign starts
	b[0] = '-'
	if u &^= 1 << 63; u == 0 {
		b[s] = '0'
		return s + 1
	}
	d, k := shortest(u)
	n := digitCount(d)
	point := n + k // the digits before the decimal point
	w0, w1, w2 := digitWords(d, n)
	switch {
	case point > 6 || point < -3:
		// d.ddde±XX: the digits go one place right, and the first of them
		// back over the point.
		putWords(b[s+1:], w0, w1, w2)
		b[s] = byte(w0)
		end := s + 1
		if n > 1 {
			b[end], end = '.', s+1+n
		}
		exp := point - 1
		e := uint64('e') | '+'<<8
		if exp < 0 {
			e, exp = uint64('e')|'-'<<8, -exp
		}
		if exp < 100 {
			e |= uint64(exp/10+'0')<<16 | uint64(exp%10+'0')<<24
			binary.LittleEndian.PutUint32(b[end:], uint32(e))
			return end + 4
		}
		e |= uint64(exp/100+'0')<<16 | uint64(exp/10%10+'0')<<24 | uint64(exp%10+'0')<<32
		binary.LittleEndian.PutUint64(b[end:], e)
		return end + 5
	case point <= 0:
		// 0.000ddd: "0." and up to three zeros, then the digits.
		binary.LittleEndian.PutUint64(b[s:], zeros&^0xff00|'.'<<8)
		putWords(b[s+2-point:], w0, w1, w2)
		return s + 2 - point + n
	case point < n:
		// ddd.ddd: the digits go one place right, and the integer ones,
		// in one word, back over the point.
		putWords(b[s+1:], w0, w1, w2)
		ints := uint64(1)<<(8*point) - 1
		binary.LittleEndian.PutUint64(b[s:], w0&ints|'.'<<(8*point)|w0<<8&^(ints<<8|0xff))
		return s + 1 + n
	}
	// ddd000, six digits at most: one word.
	ds := uint64(1)<<(8*n) - 1
	binary.LittleEndian.PutUint64(b[s:], w0&ds|zeros&^ds)
	return s + point
}

// putWords writes three words at the start of b.
func putWords(b []byte, w0, w1, w2 uint64) {
	_ = b[23]
	binary.LittleEndian.PutUint64(b, w0)
	binary.LittleEndian.PutUint64(b[8:], w1)
	binary.LittleEndian.PutUint64(b[16:], w2)
}

// digitWords returns the n digits of d < 10^17 as text in three
// little-endian words, first digit first: d scaled to 17 digits, split
// 8, 8 and 1. The bytes after the n digits are zeros, as text or not.
func digitWords(d uint64, n int) (w0, w1, w2 uint64) {
	d *= pow10Int[17-n]
	hi := d / 1e9
	lo := d - hi*1e9
	mid := lo / 10
	return eightDigits(uint32(hi)), eightDigits(uint32(mid)), '0' + lo - mid*10
}
