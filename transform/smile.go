package transform

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"time"

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
	type group struct {
		snap, exp time.Time
		sym       string
	}
	byGroup := map[group][]*market.OptionQuote{}
	var order []group
	for i := range quotes {
		q := &quotes[i]
		// A point needs an IV and a delta; every other field of it is finite by construction.
		if math.IsNaN(q.IV) || math.IsNaN(q.UnderlyingPrice) || math.IsNaN(q.Delta) || math.IsInf(q.Delta, 0) {
			continue
		}
		g := group{q.SnapshotTS, q.Expiration, q.Symbol}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], q)
	}
	out := make([]market.IVSmile, 0, len(order))
	for _, g := range order {
		out = append(out, c.smile(byGroup[g]))
	}
	return out
}

func (c *Cleaner) smile(qs []*market.OptionQuote) market.IVSmile {
	first := qs[0]
	years := first.DaysToExpiry / 365
	p, _ := c.params(first, years)
	s := market.IVSmile{
		SnapshotTS: first.SnapshotTS, Symbol: first.Symbol, Expiration: first.Expiration,
		DaysToExpiry: first.DaysToExpiry, UnderlyingPrice: first.UnderlyingPrice,
		Forward:    first.UnderlyingPrice * math.Exp((p.Rate-p.Div)*years),
		IngestedAt: first.IngestedAt,
	}
	var calls, puts []*market.OptionQuote
	for _, q := range qs {
		if q.Type == market.Call {
			calls = append(calls, q)
		} else {
			puts = append(puts, q)
		}
	}
	byStrike := func(a, b *market.OptionQuote) int { return cmp.Compare(a.Strike, b.Strike) }
	slices.SortFunc(calls, byStrike)
	slices.SortFunc(puts, byStrike)

	// One point per strike, out of the money preferred.
	pts := map[float64]market.SmilePoint{}
	add := func(q *market.OptionQuote, otm bool) {
		if _, ok := pts[q.Strike]; ok && !otm {
			return
		}
		pts[q.Strike] = market.SmilePoint{Strike: q.Strike, Moneyness: q.Strike / q.UnderlyingPrice,
			LogMoneyness: math.Log(q.Strike / s.Forward), IV: q.IV, Delta: q.Delta, Type: q.Type}
	}
	for _, q := range calls {
		add(q, q.Strike >= s.Forward)
	}
	for _, q := range puts {
		add(q, q.Strike < s.Forward)
	}
	points := make([]market.SmilePoint, 0, len(pts))
	for _, pt := range pts {
		points = append(points, pt)
	}
	slices.SortFunc(points, func(a, b market.SmilePoint) int { return cmp.Compare(a.Strike, b.Strike) })
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
	b, err := json.Marshal(points)
	if err != nil {
		b = []byte("[]") // unreachable: Smiles admits only finite points
	}
	s.Smile = string(b)
	return s
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
