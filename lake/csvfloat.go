package lake

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
)

// Shortest float text for the CSV objects, byte for byte as
// strconv.AppendFloat(dst, f, 'g', -1, 64) writes it. strconv finds the
// digits with Dragonbox and then lays them out one byte at a time through
// a general formatter for every verb and precision; for the options
// dataset's dozen full-precision columns that layout cost as much as
// finding the digits, and the two together were a twentieth of the whole
// options pipeline's CPU. Here the digits come from the same algorithm,
// and are written eight at a time into place.

// appendFloat appends f as strconv.AppendFloat(dst, f, 'g', -1, 64) does.
// Zeros and magnitudes in [2⁻²⁰⁰, 2²⁰⁰), which hold every price, size and
// Greek, are formatted here; NaN, infinities, subnormals and the other
// extremes go to strconv.
func appendFloat(dst []byte, f float64) []byte {
	b := math.Float64bits(f)
	biased := int(b>>52) & 0x7ff
	if uint(biased-minFastBiased) >= maxFastBiased-minFastBiased {
		if b<<1 == 0 {
			if b == 0 {
				return append(dst, '0')
			}
			return append(dst, '-', '0')
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	}
	m, e10 := shortestDecimal(b&(1<<52-1)|1<<52, biased-1075)
	return appendDecimal(dst, b>>63 != 0, m, e10)
}

// The biased exponents of the floats appendFloat formats itself: the
// powers of ten they need are those of pow10Tab.
const (
	minFastBiased = 1023 - 200
	maxFastBiased = 1023 + 200
)

// shortestDecimal is the shortest decimal m·10^e10 that reads back as
// the float mant·2^e (mant with its implicit bit, so a normal float), the
// nearest to it on a tie: Junekey Jeon's Dragonbox, as Go's strconv
// (internal/strconv/ftoadbox.go, BSD licence, The Go Authors) implements
// it, whose steps and names this follows. m may end in a zero, which
// strconv then prints too.
func shortestDecimal(mant uint64, e int) (m uint64, e10 int) {
	if mant == 1<<52 {
		// A power of two: the float below is nearer than the one above
		// (Algorithm 5.6).
		k0 := -((e*631305 - 261663) >> 21) // ⌊e·log₁₀2 − log₁₀(4/3)⌋
		φ, β := pow10Scaled(k0, e)
		xi := (φ.hi - φ.hi>>54) >> (64 - 53 - β)
		zi := (φ.hi + φ.hi>>53) >> (64 - 53 - β)
		if e != 2 && e != 3 {
			xi++
		}
		q := zi / 10
		if xi <= q*10 {
			q, zeros := trimZeros(q)
			return q, -k0 + 1 + zeros
		}
		yru := (φ.hi>>(64-52-2-β) + 1) / 2
		if e == -77 && yru%2 != 0 {
			yru--
		} else if yru < xi {
			yru++
		}
		return yru, -k0
	}

	// Algorithm 5.2, with κ = 2.
	const (
		p10κ  = 100
		p10κ1 = 1000
	)
	k0 := -((e * 78913) >> 18) // -⌊e·log₁₀2⌋
	φ, β := pow10Scaled(2+k0, e)
	zi, exact := mulPow10((mant*2+1)<<β, φ)
	s, r := zi/p10κ1, uint32(zi%p10κ1)
	δi := uint32(φ.hi >> (64 - 1 - β))
	if r < δi {
		if r != 0 || !exact || mant%2 == 0 {
			s, zeros := trimZeros(s)
			return s, -k0 + 1 + zeros
		}
		s--
		r = p10κ1
	} else if r == δi {
		parity, exact := parityPow10(mant*2-1, φ, β)
		if parity || (exact && mant%2 == 0) {
			s, zeros := trimZeros(s)
			return s, -k0 + 1 + zeros
		}
	}

	// Algorithm 5.4: one digit more, rounded to nearest.
	D := r + p10κ/2 - δi/2
	t, ρ := D/p10κ, D%p10κ
	yru := 10*s + uint64(t)
	if ρ == 0 {
		parity, exact := parityPow10(mant*2, φ, β)
		if parity != ((D-p10κ/2)%2 != 0) || exact && yru%2 != 0 {
			yru--
		}
	}
	return yru, -k0
}

// uint128 is a 128-bit unsigned integer.
type uint128 struct{ hi, lo uint64 }

// pow10Scaled is Dragonbox's φ̃k, 10^k's 128-bit mantissa rounded up
// (exact for 0 ≤ k ≤ 55), and β, the shift that goes with it for the
// binary exponent e.
func pow10Scaled(k, e int) (φ uint128, β int) {
	φ = pow10Tab[k-pow10Min]
	if k < 0 || k > 55 {
		φ.lo++
	}
	e1 := 1 + (k*108853)>>15 // 1 + ⌊k·log₂10⌋
	return φ, e + e1 - 1
}

// mulPow10 is the integer part of u·φ (the upper 128 of its 192 bits,
// the top 64 of them) and whether its fraction is zero.
func mulPow10(u uint64, φ uint128) (uint64, bool) {
	hi, lo := bits.Mul64(u, φ.hi)
	mid, _ := bits.Mul64(u, φ.lo)
	lo, carry := bits.Add64(lo, mid, 0)
	return hi + carry, lo == 0
}

// parityPow10 is the parity of the integer part of u·φ and whether its
// fraction is zero, from the lower 128 bits of the product.
func parityPow10(u uint64, φ uint128, β int) (parity, isInt bool) {
	hi := u * φ.hi
	midHi, lo := bits.Mul64(u, φ.lo)
	hi += midHi
	parity = (hi>>(64-β))&1 != 0
	isInt = (hi<<β)|(lo>>(64-β)) == 0
	return parity, isInt
}

// trimZeros is x without its trailing decimal zeros, and how many there
// were: exact divisions by 10⁸, 10⁴, 10² and 10 as multiplications by
// the inverses of 5⁸, 5⁴, 5² and 5, rotated.
func trimZeros(x uint64) (uint64, int) {
	const (
		div1e8m  = 0xc767074b22e90e21
		div1e8le = math.MaxUint64 / 100000000
		div1e4m  = 0xd288ce703afb7e91
		div1e4le = math.MaxUint64 / 10000
		div1e2m  = 0x8f5c28f5c28f5c29
		div1e2le = math.MaxUint64 / 100
		div1e1m  = 0xcccccccccccccccd
		div1e1le = math.MaxUint64 / 10
	)
	p := 0
	for d := bits.RotateLeft64(x*div1e8m, -8); d <= div1e8le; d = bits.RotateLeft64(x*div1e8m, -8) {
		x = d
		p += 8
	}
	if d := bits.RotateLeft64(x*div1e4m, -4); d <= div1e4le {
		x, p = d, p+4
	}
	if d := bits.RotateLeft64(x*div1e2m, -2); d <= div1e2le {
		x, p = d, p+2
	}
	if d := bits.RotateLeft64(x*div1e1m, -1); d <= div1e1le {
		x, p = d, p+1
	}
	return x, p
}

// appendDecimal appends m·10^e10 (m > 0, at most 17 digits, all of them
// printed) as 'g' with the shortest precision lays it out: plain between
// 1e-4 and 1e6, else d.ddde±dd.
func appendDecimal(dst []byte, neg bool, m uint64, e10 int) []byte {
	dst = slices.Grow(dst, 32)
	b := (*[32]byte)(dst[len(dst) : len(dst)+32])
	n := decimalLen(m)
	dp := n + e10 // digits before the point
	i := 0
	if neg {
		b[0] = '-'
		i = 1
	}
	switch {
	case dp-1 < -4 || dp-1 >= 6:
		// The digits one place right, the first moved before the point.
		putDigits(b, i+1, m, n)
		b[i] = b[i+1]
		if n > 1 {
			b[i+1] = '.'
			i++
		}
		i += n
		x := dp - 1
		b[i], b[i+1] = 'e', '+'
		if x < 0 {
			b[i+1], x = '-', -x
		}
		switch {
		case x < 10:
			b[i+2], b[i+3] = '0', byte('0'+x)
			i += 4
		case x < 100:
			b[i+2], b[i+3] = byte('0'+x/10), byte('0'+x%10)
			i += 4
		default:
			b[i+2], b[i+3], b[i+4] = byte('0'+x/100), byte('0'+x/10%10), byte('0'+x%10)
			i += 5
		}
	case dp <= 0:
		// 0.000ddd: -dp ≤ 3 zeros after the point.
		binary.LittleEndian.PutUint64(b[i:], zeroPoint)
		putDigits(b, i+2-dp, m, n)
		i += 2 - dp + n
	case dp >= n:
		// An integer: the digits, then up to five zeros.
		putDigits(b, i, m, n)
		binary.LittleEndian.PutUint64(b[i+n:], allZeros)
		i += dp
	default:
		// The point inside: the digits one place right, then the first
		// dp (at most 5) moved back before the point, in one word.
		putDigits(b, i+1, m, n)
		mask := uint64(1)<<(8*dp) - 1
		head := binary.LittleEndian.Uint64(b[i+1:]) & mask
		tail := binary.LittleEndian.Uint64(b[i:]) &^ (mask<<8 | 0xff)
		binary.LittleEndian.PutUint64(b[i:], head|'.'<<(8*dp)|tail)
		i += n + 1
	}
	return dst[:len(dst)+i]
}

// Eight bytes of text as one little-endian word.
const (
	zeroPoint = 0x3030303030302e30 // "0.000000"
	allZeros  = 0x3030303030303030 // "00000000"
)

// putDigits writes the n decimal digits of m (n ≤ 17) at b[at:at+n] in
// eight-byte stores, which may also write up to b[at+8].
func putDigits(b *[32]byte, at int, m uint64, n int) {
	switch {
	case n <= 8:
		binary.LittleEndian.PutUint64(b[at:], digits8(uint32(m))>>(8*(8-n)))
	case n <= 16:
		hi, lo := m/1e8, m%1e8
		binary.LittleEndian.PutUint64(b[at:], digits8(uint32(hi))>>(8*(16-n)))
		binary.LittleEndian.PutUint64(b[at+n-8:], digits8(uint32(lo)))
	default:
		hi, lo := m/1e8, m%1e8
		b[at] = byte('0' + hi/1e8)
		binary.LittleEndian.PutUint64(b[at+1:], digits8(uint32(hi%1e8)))
		binary.LittleEndian.PutUint64(b[at+9:], digits8(uint32(lo)))
	}
}

// digits8 is the eight decimal digits of x < 10⁸, leading zeros
// included, as ASCII in a little-endian word (the first digit in the low
// byte): the two halves of four digits, their pairs and their digits are
// each divided in the lanes of one word, by multiplication (Paul Khuong's
// method).
func digits8(x uint32) uint64 {
	merged := uint64(x/10000) | uint64(x%10000)<<32
	top := (merged * 10486 >> 20) & (0x7f<<32 | 0x7f) // ÷100 in 32-bit lanes
	bot := merged - 100*top
	hundreds := bot<<16 + top
	tens := (hundreds * 103 >> 10) & (0xf<<48 | 0xf<<32 | 0xf<<16 | 0xf) // ÷10 in 16-bit lanes
	tens += (hundreds - 10*tens) << 8
	return tens + allZeros
}

// decimalLen is the number of decimal digits of m > 0.
func decimalLen(m uint64) int {
	n := bits.Len64(m) * 1233 >> 12 // ⌊log₁₀ 2^len⌋
	if m >= pow10Int[n] {
		n++
	}
	return n
}

// pow10Int are the powers of ten that fit a uint64.
var pow10Int = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// pow10Tab holds the 128-bit mantissas of 10^k for k in [pow10Min,
// pow10Max], rounded down, scaled so the high bit is set: the powers
// Dragonbox needs for the exponents of [2⁻²⁰⁰, 2²⁰⁰). TestPow10Tab
// computes them again with math/big.
const (
	pow10Min = -44
	pow10Max = 78
)

var pow10Tab = [pow10Max - pow10Min + 1]uint128{
	{0xe45c10c42a2b3b05, 0x8cb89a7db77c506a}, // 1e-44
	{0x8eb98a7a9a5b04e3, 0x77f3608e92adb242}, // 1e-43
	{0xb267ed1940f1c61c, 0x55f038b237591ed3}, // 1e-42
	{0xdf01e85f912e37a3, 0x6b6c46dec52f6688}, // 1e-41
	{0x8b61313bbabce2c6, 0x2323ac4b3b3da015}, // 1e-40
	{0xae397d8aa96c1b77, 0xabec975e0a0d081a}, // 1e-39
	{0xd9c7dced53c72255, 0x96e7bd358c904a21}, // 1e-38
	{0x881cea14545c7575, 0x7e50d64177da2e54}, // 1e-37
	{0xaa242499697392d2, 0xdde50bd1d5d0b9e9}, // 1e-36
	{0xd4ad2dbfc3d07787, 0x955e4ec64b44e864}, // 1e-35
	{0x84ec3c97da624ab4, 0xbd5af13bef0b113e}, // 1e-34
	{0xa6274bbdd0fadd61, 0xecb1ad8aeacdd58e}, // 1e-33
	{0xcfb11ead453994ba, 0x67de18eda5814af2}, // 1e-32
	{0x81ceb32c4b43fcf4, 0x80eacf948770ced7}, // 1e-31
	{0xa2425ff75e14fc31, 0xa1258379a94d028d}, // 1e-30
	{0xcad2f7f5359a3b3e, 0x096ee45813a04330}, // 1e-29
	{0xfd87b5f28300ca0d, 0x8bca9d6e188853fc}, // 1e-28
	{0x9e74d1b791e07e48, 0x775ea264cf55347d}, // 1e-27
	{0xc612062576589dda, 0x95364afe032a819d}, // 1e-26
	{0xf79687aed3eec551, 0x3a83ddbd83f52204}, // 1e-25
	{0x9abe14cd44753b52, 0xc4926a9672793542}, // 1e-24
	{0xc16d9a0095928a27, 0x75b7053c0f178293}, // 1e-23
	{0xf1c90080baf72cb1, 0x5324c68b12dd6338}, // 1e-22
	{0x971da05074da7bee, 0xd3f6fc16ebca5e03}, // 1e-21
	{0xbce5086492111aea, 0x88f4bb1ca6bcf584}, // 1e-20
	{0xec1e4a7db69561a5, 0x2b31e9e3d06c32e5}, // 1e-19
	{0x9392ee8e921d5d07, 0x3aff322e62439fcf}, // 1e-18
	{0xb877aa3236a4b449, 0x09befeb9fad487c2}, // 1e-17
	{0xe69594bec44de15b, 0x4c2ebe687989a9b3}, // 1e-16
	{0x901d7cf73ab0acd9, 0x0f9d37014bf60a10}, // 1e-15
	{0xb424dc35095cd80f, 0x538484c19ef38c94}, // 1e-14
	{0xe12e13424bb40e13, 0x2865a5f206b06fb9}, // 1e-13
	{0x8cbccc096f5088cb, 0xf93f87b7442e45d3}, // 1e-12
	{0xafebff0bcb24aafe, 0xf78f69a51539d748}, // 1e-11
	{0xdbe6fecebdedd5be, 0xb573440e5a884d1b}, // 1e-10
	{0x89705f4136b4a597, 0x31680a88f8953030}, // 1e-9
	{0xabcc77118461cefc, 0xfdc20d2b36ba7c3d}, // 1e-8
	{0xd6bf94d5e57a42bc, 0x3d32907604691b4c}, // 1e-7
	{0x8637bd05af6c69b5, 0xa63f9a49c2c1b10f}, // 1e-6
	{0xa7c5ac471b478423, 0x0fcf80dc33721d53}, // 1e-5
	{0xd1b71758e219652b, 0xd3c36113404ea4a8}, // 1e-4
	{0x83126e978d4fdf3b, 0x645a1cac083126e9}, // 1e-3
	{0xa3d70a3d70a3d70a, 0x3d70a3d70a3d70a3}, // 1e-2
	{0xcccccccccccccccc, 0xcccccccccccccccc}, // 1e-1
	{0x8000000000000000, 0x0000000000000000}, // 1e0
	{0xa000000000000000, 0x0000000000000000}, // 1e1
	{0xc800000000000000, 0x0000000000000000}, // 1e2
	{0xfa00000000000000, 0x0000000000000000}, // 1e3
	{0x9c40000000000000, 0x0000000000000000}, // 1e4
	{0xc350000000000000, 0x0000000000000000}, // 1e5
	{0xf424000000000000, 0x0000000000000000}, // 1e6
	{0x9896800000000000, 0x0000000000000000}, // 1e7
	{0xbebc200000000000, 0x0000000000000000}, // 1e8
	{0xee6b280000000000, 0x0000000000000000}, // 1e9
	{0x9502f90000000000, 0x0000000000000000}, // 1e10
	{0xba43b74000000000, 0x0000000000000000}, // 1e11
	{0xe8d4a51000000000, 0x0000000000000000}, // 1e12
	{0x9184e72a00000000, 0x0000000000000000}, // 1e13
	{0xb5e620f480000000, 0x0000000000000000}, // 1e14
	{0xe35fa931a0000000, 0x0000000000000000}, // 1e15
	{0x8e1bc9bf04000000, 0x0000000000000000}, // 1e16
	{0xb1a2bc2ec5000000, 0x0000000000000000}, // 1e17
	{0xde0b6b3a76400000, 0x0000000000000000}, // 1e18
	{0x8ac7230489e80000, 0x0000000000000000}, // 1e19
	{0xad78ebc5ac620000, 0x0000000000000000}, // 1e20
	{0xd8d726b7177a8000, 0x0000000000000000}, // 1e21
	{0x878678326eac9000, 0x0000000000000000}, // 1e22
	{0xa968163f0a57b400, 0x0000000000000000}, // 1e23
	{0xd3c21bcecceda100, 0x0000000000000000}, // 1e24
	{0x84595161401484a0, 0x0000000000000000}, // 1e25
	{0xa56fa5b99019a5c8, 0x0000000000000000}, // 1e26
	{0xcecb8f27f4200f3a, 0x0000000000000000}, // 1e27
	{0x813f3978f8940984, 0x4000000000000000}, // 1e28
	{0xa18f07d736b90be5, 0x5000000000000000}, // 1e29
	{0xc9f2c9cd04674ede, 0xa400000000000000}, // 1e30
	{0xfc6f7c4045812296, 0x4d00000000000000}, // 1e31
	{0x9dc5ada82b70b59d, 0xf020000000000000}, // 1e32
	{0xc5371912364ce305, 0x6c28000000000000}, // 1e33
	{0xf684df56c3e01bc6, 0xc732000000000000}, // 1e34
	{0x9a130b963a6c115c, 0x3c7f400000000000}, // 1e35
	{0xc097ce7bc90715b3, 0x4b9f100000000000}, // 1e36
	{0xf0bdc21abb48db20, 0x1e86d40000000000}, // 1e37
	{0x96769950b50d88f4, 0x1314448000000000}, // 1e38
	{0xbc143fa4e250eb31, 0x17d955a000000000}, // 1e39
	{0xeb194f8e1ae525fd, 0x5dcfab0800000000}, // 1e40
	{0x92efd1b8d0cf37be, 0x5aa1cae500000000}, // 1e41
	{0xb7abc627050305ad, 0xf14a3d9e40000000}, // 1e42
	{0xe596b7b0c643c719, 0x6d9ccd05d0000000}, // 1e43
	{0x8f7e32ce7bea5c6f, 0xe4820023a2000000}, // 1e44
	{0xb35dbf821ae4f38b, 0xdda2802c8a800000}, // 1e45
	{0xe0352f62a19e306e, 0xd50b2037ad200000}, // 1e46
	{0x8c213d9da502de45, 0x4526f422cc340000}, // 1e47
	{0xaf298d050e4395d6, 0x9670b12b7f410000}, // 1e48
	{0xdaf3f04651d47b4c, 0x3c0cdd765f114000}, // 1e49
	{0x88d8762bf324cd0f, 0xa5880a69fb6ac800}, // 1e50
	{0xab0e93b6efee0053, 0x8eea0d047a457a00}, // 1e51
	{0xd5d238a4abe98068, 0x72a4904598d6d880}, // 1e52
	{0x85a36366eb71f041, 0x47a6da2b7f864750}, // 1e53
	{0xa70c3c40a64e6c51, 0x999090b65f67d924}, // 1e54
	{0xd0cf4b50cfe20765, 0xfff4b4e3f741cf6d}, // 1e55
	{0x82818f1281ed449f, 0xbff8f10e7a8921a4}, // 1e56
	{0xa321f2d7226895c7, 0xaff72d52192b6a0d}, // 1e57
	{0xcbea6f8ceb02bb39, 0x9bf4f8a69f764490}, // 1e58
	{0xfee50b7025c36a08, 0x02f236d04753d5b4}, // 1e59
	{0x9f4f2726179a2245, 0x01d762422c946590}, // 1e60
	{0xc722f0ef9d80aad6, 0x424d3ad2b7b97ef5}, // 1e61
	{0xf8ebad2b84e0d58b, 0xd2e0898765a7deb2}, // 1e62
	{0x9b934c3b330c8577, 0x63cc55f49f88eb2f}, // 1e63
	{0xc2781f49ffcfa6d5, 0x3cbf6b71c76b25fb}, // 1e64
	{0xf316271c7fc3908a, 0x8bef464e3945ef7a}, // 1e65
	{0x97edd871cfda3a56, 0x97758bf0e3cbb5ac}, // 1e66
	{0xbde94e8e43d0c8ec, 0x3d52eeed1cbea317}, // 1e67
	{0xed63a231d4c4fb27, 0x4ca7aaa863ee4bdd}, // 1e68
	{0x945e455f24fb1cf8, 0x8fe8caa93e74ef6a}, // 1e69
	{0xb975d6b6ee39e436, 0xb3e2fd538e122b44}, // 1e70
	{0xe7d34c64a9c85d44, 0x60dbbca87196b616}, // 1e71
	{0x90e40fbeea1d3a4a, 0xbc8955e946fe31cd}, // 1e72
	{0xb51d13aea4a488dd, 0x6babab6398bdbe41}, // 1e73
	{0xe264589a4dcdab14, 0xc696963c7eed2dd1}, // 1e74
	{0x8d7eb76070a08aec, 0xfc1e1de5cf543ca2}, // 1e75
	{0xb0de65388cc8ada8, 0x3b25a55f43294bcb}, // 1e76
	{0xdd15fe86affad912, 0x49ef0eb713f39ebe}, // 1e77
	{0x8a2dbf142dfcc7ab, 0x6e3569326c784337}, // 1e78
}
