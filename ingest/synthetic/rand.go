package synthetic

import "math"

// Every random draw comes from a counter-based stream keyed by a hash of
// (seed, symbol, purpose, item), so any day, bar or quote can be generated on
// its own and always comes out the same. The generator is written out here
// rather than taken from math/rand/v2 so the streams, and with them every
// synthetic price, stay fixed across Go releases.

// Purposes mixed into stream keys; changing one changes that part of the market.
const (
	tagParams uint64 = iota + 1
	tagDay
	tagIntraday
	tagBarDefect
	tagDailyDefect
	tagOption
	tagOptionDefect
)

// splitmix is the SplitMix64 finaliser: a bijective avalanche of 64 bits.
func splitmix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// mix folds v into key h.
func mix(h, v uint64) uint64 {
	return splitmix(h ^ splitmix(v+0x9e3779b97f4a7c15))
}

// mixString folds s into key h (FNV-1a, then the avalanche).
func mixString(h uint64, s string) uint64 {
	f := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		f ^= uint64(s[i])
		f *= 1099511628211
	}
	return mix(h, f)
}

// unit maps a key to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) * 0x1p-53 }

// stream is a SplitMix64 sequence with normal deviates by Box-Muller.
type stream struct {
	state    uint64
	spare    float64
	hasSpare bool
}

func newStream(key uint64) stream { return stream{state: key} }

func (r *stream) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	return splitmix(r.state)
}

// float returns a uniform deviate in [0, 1).
func (r *stream) float() float64 { return unit(r.next()) }

// open returns a uniform deviate in (0, 1), safe for logarithms.
func (r *stream) open() float64 { return (float64(r.next()>>11) + 0.5) * 0x1p-53 }

func (r *stream) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// logUniform draws from [lo, hi] with a uniform logarithm.
func (r *stream) logUniform(lo, hi float64) float64 {
	return math.Exp(r.uniform(math.Log(lo), math.Log(hi)))
}

// norm returns a standard normal deviate.
func (r *stream) norm() float64 {
	if r.hasSpare {
		r.hasSpare = false
		return r.spare
	}
	radius := math.Sqrt(-2 * math.Log(r.open()))
	s, c := math.Sincos(2 * math.Pi * r.float())
	r.spare, r.hasSpare = radius*s, true
	return radius * c
}

// poisson draws a Poisson count by inversion; the rates used here are far below one.
func (r *stream) poisson(lambda float64) int {
	u := r.float()
	p := math.Exp(-lambda)
	cdf := p
	n := 0
	for u >= cdf && n < 50 {
		n++
		p *= lambda / float64(n)
		cdf += p
	}
	return n
}
