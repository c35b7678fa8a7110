package transform

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/tickerlake/tickerlake/internal/shortfloat"
	"github.com/tickerlake/tickerlake/market"
)

// Smiles builds the implied volatility smile of every expiration in a
// snapshot from its enriched quotes. Each strike contributes the
// out-of-the-money contract's IV (the put below the forward, the call at or
// above it; the other side when that one has none). ATM IV is interpolated
// linearly in log-moneyness at the forward; the 25-delta IVs are interpolated
// linearly in delta between the calls bracketing 0.25 and the puts bracketing
// -0.25. A figure without points on both sides is NULL rather than
// extrapolated. Expirations without any IV give no row.
func (c *Cleaner) Smiles(quotes []market.OptionQuote) []market.IVSmile {
	// A message is one expiration as a rule, so each quote's group is looked
	// up in a short list, the last one's first; a map takes over past a few.
	var groups []smileGroup
	var index map[smileKey]int
	cur := -1
	for i := range quotes {
		q := &quotes[i]
		// A point needs an IV and a delta; every other field of it is finite by construction.
		if math.IsNaN(q.IV) || math.IsNaN(q.UnderlyingPrice) || math.IsNaN(q.Delta) || math.IsInf(q.Delta, 0) {
			continue
		}
		k := smileKey{q.SnapshotTS, q.Expiration, q.Symbol}
		if cur < 0 || groups[cur].key != k {
			cur = -1
			if index != nil {
				if j, ok := index[k]; ok {
					cur = j
				}
			} else {
				for j := range groups {
					if groups[j].key == k {
						cur = j
						break
					}
				}
			}
			if cur < 0 {
				cur = len(groups)
				g := smileGroup{key: k, first: q}
				if cur == 0 {
					// The whole message, as a rule: room for it at once.
					g.calls = make([]*market.OptionQuote, 0, len(quotes)-i)
					g.puts = make([]*market.OptionQuote, 0, len(quotes)-i)
				}
				groups = append(groups, g)
				if index == nil && len(groups) > 8 {
					index = make(map[smileKey]int, 16)
					for j := range groups {
						index[groups[j].key] = j
					}
				} else if index != nil {
					index[k] = cur
				}
			}
		}
		if g := &groups[cur]; q.Type == market.Call {
			g.calls = append(g.calls, q)
		} else {
			g.puts = append(g.puts, q)
		}
	}
	out := make([]market.IVSmile, 0, len(groups))
	for i := range groups {
		out = append(out, c.smile(groups[i].first, groups[i].calls, groups[i].puts))
	}
	return out
}

// smileKey is what a smile is of: a snapshot of one symbol's expiration.
type smileKey struct {
	snap, exp time.Time
	sym       string
}

// smileGroup is a smile's quotes, in the order listed.
type smileGroup struct {
	key         smileKey
	first       *market.OptionQuote
	calls, puts []*market.OptionQuote
}

// smile builds the smile of one group from its first quote listed and its
// calls and puts, which it sorts by strike.
func (c *Cleaner) smile(first *market.OptionQuote, calls, puts []*market.OptionQuote) market.IVSmile {
	years := first.DaysToExpiry / 365
	p, _ := c.params(first, years)
	s := market.IVSmile{
		SnapshotTS: first.SnapshotTS, Symbol: first.Symbol, Expiration: first.Expiration,
		DaysToExpiry: first.DaysToExpiry, UnderlyingPrice: first.UnderlyingPrice,
		Forward:    first.UnderlyingPrice * math.Exp((p.Rate-p.Div)*years),
		IngestedAt: first.IngestedAt,
	}
	byStrike := func(a, b *market.OptionQuote) int { return cmp.Compare(a.Strike, b.Strike) }
	slices.SortFunc(calls, byStrike)
	slices.SortFunc(puts, byStrike)

	points := smilePoints(calls, puts, s.Forward)
	s.Points = int64(len(points))

	s.ATMIV = interpolate(len(points), 0, func(i int) (float64, float64) { return points[i].LogMoneyness, points[i].IV })
	// Call deltas fall with the strike and put deltas rise towards zero as it
	// falls, so both are read in delta order.
	s.Call25IV = interpolate(len(calls), 0.25, func(i int) (float64, float64) {
		q := calls[len(calls)-1-i]
		return q.Delta, q.IV
	})
	s.Put25IV = interpolate(len(puts), -0.25, func(i int) (float64, float64) {
		q := puts[len(puts)-1-i]
		return q.Delta, q.IV
	})
	s.Skew25 = s.Put25IV - s.Call25IV
	s.Butterfly25 = (s.Put25IV+s.Call25IV)/2 - s.ATMIV
	s.Smile = smileJSON(points)
	return s
}

// smilePoints gives one point per strike, in strike order, from calls and
// puts sorted by strike: the out-of-the-money contract's (the last listed
// of them, calls before puts), else the first listed. A NaN strike, equal
// to none, is a point of its own.
func smilePoints(calls, puts []*market.OptionQuote, forward float64) []market.SmilePoint {
	// Calls and puts share their strikes as a rule.
	points := make([]market.SmilePoint, 0, max(len(calls), len(puts)))
	point := func(q *market.OptionQuote) {
		points = append(points, market.SmilePoint{Strike: q.Strike, Moneyness: q.Strike / q.UnderlyingPrice,
			LogMoneyness: math.Log(q.Strike / forward), IV: q.IV, Delta: q.Delta, Type: q.Type})
	}
	// cmp.Compare sorts NaN first.
	i, j := 0, 0
	for ; i < len(calls) && math.IsNaN(calls[i].Strike); i++ {
		point(calls[i])
	}
	for ; j < len(puts) && math.IsNaN(puts[j].Strike); j++ {
		point(puts[j])
	}
	for i < len(calls) || j < len(puts) {
		var k float64
		switch {
		case j == len(puts) || i < len(calls) && calls[i].Strike < puts[j].Strike:
			k = calls[i].Strike
		default:
			k = puts[j].Strike
		}
		var win *market.OptionQuote
		for ; i < len(calls) && calls[i].Strike == k; i++ {
			if win == nil || k >= forward {
				win = calls[i]
			}
		}
		for ; j < len(puts) && puts[j].Strike == k; j++ {
			if win == nil || k < forward {
				win = puts[j]
			}
		}
		point(win)
	}
	return points
}

// interpolate reads n points (x, y) in increasing x and returns y at x0,
// linearly between the two points around it; NaN when x0 is outside them or
// a needed y is missing. Points with NaN x are skipped.
func interpolate(n int, x0 float64, at func(i int) (x, y float64)) float64 {
	px, py := math.NaN(), math.NaN()
	for i := range n {
		x, y := at(i)
		if math.IsNaN(x) {
			continue
		}
		switch {
		case x == x0:
			return y
		case x > x0:
			if math.IsNaN(px) {
				return math.NaN()
			}
			return py + (y-py)*(x0-px)/(x-px)
		}
		px, py = x, y
	}
	return math.NaN()
}

// smileJSON is json.Marshal(points) as a string, written by hand (the
// encoder's reflection was most of a smile's cost); "[]" if a figure is not
// finite, which JSON cannot carry. TestSmileJSON holds it to json.Marshal.
// The numbers are written straight into the text, which becomes the string
// without a copy, as strings.Builder hands over its bytes.
func smileJSON(points []market.SmilePoint) string {
	b := make([]byte, 0, 2+len(points)*160) // a point takes some 150 bytes
	b = append(b, '[')
	for i, pt := range points {
		if i > 0 {
			b = append(b, ',')
		}
		for _, f := range [...]struct {
			key string
			x   float64
		}{{`{"strike":`, pt.Strike}, {`,"moneyness":`, pt.Moneyness}, {`,"log_moneyness":`, pt.LogMoneyness}, {`,"iv":`, pt.IV}, {`,"delta":`, pt.Delta}} {
			if math.IsNaN(f.x) || math.IsInf(f.x, 0) {
				return "[]"
			}
			b = append(b, f.key...)
			b = appendJSONFloat(b, f.x)
		}
		b = append(b, `,"option_type":`...)
		switch pt.Type {
		case market.Call:
			b = append(b, `"call"}`...)
		case market.Put:
			b = append(b, `"put"}`...)
		default:
			t, _ := json.Marshal(string(pt.Type)) // a string always encodes
			b = append(b, t...)
			b = append(b, '}')
		}
	}
	b = append(b, ']')
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not written again
}

// appendJSONFloat appends a finite float64 as encoding/json writes it: the
// shortest form that reads back, with an exponent below 1e-6 and from 1e21.
// shortfloat writes strconv's text for 'e' and 'f', faster.
func appendJSONFloat(b []byte, x float64) []byte {
	format := byte('f')
	if abs := math.Abs(x); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = shortfloat.Append(b, x, format)
	if format == 'e' {
		// e-09 to e-9, as encoding/json has it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
