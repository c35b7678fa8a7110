package transform

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/quant"
	"github.com/tickerlake/tickerlake/stream"
)

func TestInterpolate(t *testing.T) {
	xs := []float64{-1, math.NaN(), 0, 2}
	ys := []float64{10, 99, 20, 40}
	at := func(i int) (float64, float64) { return xs[i], ys[i] }
	cases := []struct {
		x0, want float64
	}{{-1, 10}, {-0.5, 15}, {0, 20}, {1, 30}, {2, 40}, {-2, math.NaN()}, {3, math.NaN()}}
	for _, tc := range cases {
		got := interpolate(len(xs), tc.x0, at)
		if math.IsNaN(tc.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("interpolate(%v) = %v, want %v", tc.x0, got, tc.want)
		}
	}
}

// smileChain prices a chain whose IV is vol(log-moneyness against the
// forward) with Black-Scholes-Merton and enriches it as the cleaner does.
func smileChain(t *testing.T, vol func(k float64) float64) (*Cleaner, []market.OptionQuote) {
	t.Helper()
	snap := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	exp := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(snap), EuropeanIV: true}
	const spot = 100.0
	years := expiryClose(exp).Sub(snap).Hours() / 24 / 365
	fwd := spot * math.Exp(c.rate(years)*years)
	var qs []market.OptionQuote
	var closes expiries
	for k := 70.0; k <= 130; k += 2.5 {
		for _, typ := range []market.OptionType{market.Call, market.Put} {
			kind := quant.Call
			if typ == market.Put {
				kind = quant.Put
			}
			p := quant.Params{Kind: kind, Spot: spot, Strike: k, Rate: c.rate(years), Vol: vol(math.Log(k / fwd)), Time: years}
			price := quant.Price(p)
			q := market.OptionQuote{SnapshotTS: snap, Symbol: "AAPL", Type: typ, Expiration: exp, Strike: k,
				Bid: price, Ask: price, UnderlyingPrice: spot, LastPrice: math.NaN()}
			c.enrich(&q, &closes)
			qs = append(qs, q)
		}
	}
	return c, qs
}

func TestSmiles(t *testing.T) {
	cases := []struct {
		name                   string
		vol                    func(k float64) float64
		atm, skew, butterflyGE float64
	}{
		{"flat", func(float64) float64 { return 0.25 }, 0.25, 0, 0},
		// Put wing up, call wing down: positive skew, and curvature lifts both wings.
		{"skewed smile", func(k float64) float64 { return 0.25 - 0.3*k + 1.5*k*k }, 0.25, 0.02, 0.001},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, qs := smileChain(t, tc.vol)
			smiles := c.Smiles(qs)
			if len(smiles) != 1 {
				t.Fatalf("%d smiles, want one per snapshot and expiration", len(smiles))
			}
			s := smiles[0]
			if math.Abs(s.ATMIV-tc.atm) > 2e-3 {
				t.Errorf("ATM IV %v, want %v", s.ATMIV, tc.atm)
			}
			if tc.skew == 0 && math.Abs(s.Skew25) > 1e-6 || tc.skew > 0 && s.Skew25 < tc.skew {
				t.Errorf("25-delta skew %v, want %v", s.Skew25, tc.skew)
			}
			if s.Butterfly25 < tc.butterflyGE-1e-6 {
				t.Errorf("butterfly %v, want at least %v", s.Butterfly25, tc.butterflyGE)
			}
			var pts []market.SmilePoint
			if err := json.Unmarshal([]byte(s.Smile), &pts); err != nil {
				t.Fatal(err)
			}
			if int64(len(pts)) != s.Points || len(pts) != 25 {
				t.Fatalf("%d points in the JSON, Points %d, want 25 strikes", len(pts), s.Points)
			}
			for i, p := range pts {
				otm := p.Strike < s.Forward && p.Type == market.Put || p.Strike >= s.Forward && p.Type == market.Call
				if !otm || i > 0 && p.Strike <= pts[i-1].Strike {
					t.Errorf("point %d %+v: want out-of-the-money contracts by increasing strike", i, p)
				}
				// IVs solve prices to an absolute PriceTol, so far wings, whose
				// vega is tiny, are looser.
				tol := 1e-6
				if math.Abs(p.LogMoneyness) > 0.15 {
					tol = 1e-3
				}
				if want := tc.vol(p.LogMoneyness); math.Abs(p.IV-want) > tol {
					t.Errorf("strike %v IV %v, want %v", p.Strike, p.IV, want)
				}
			}
		})
	}
}

// smilesByMap is Smiles as it was written before where it changed (a map of
// groups and one of points by strike, the points through encoding/json): the
// reference TestSmilesMatchReference holds Smiles to. The figures read from
// the calls, the puts and the points (ATM and 25-delta IVs) are the smile's
// own, given the map's groups; the points it reads them from must equal the
// map's, and the reference's Points and Smile are the map's.
func smilesByMap(t *testing.T, c *Cleaner, quotes []market.OptionQuote) []market.IVSmile {
	t.Helper()
	type group struct {
		snap, exp time.Time
		sym       string
	}
	byGroup := map[group][]*market.OptionQuote{}
	var order []group
	for i := range quotes {
		q := &quotes[i]
		if math.IsNaN(q.IV) || math.IsNaN(q.UnderlyingPrice) || math.IsNaN(q.Delta) || math.IsInf(q.Delta, 0) {
			continue
		}
		g := group{q.SnapshotTS, q.Expiration, q.Symbol}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], q)
	}
	var out []market.IVSmile
	for _, g := range order {
		qs := byGroup[g]
		var calls, puts []*market.OptionQuote
		for _, q := range qs {
			if q.Type == market.Call {
				calls = append(calls, q)
			} else {
				puts = append(puts, q)
			}
		}
		s := c.smile(qs[0], calls, puts) // sorts calls and puts by strike
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
		if got := smilePoints(calls, puts, s.Forward); fmt.Sprint(got) != fmt.Sprint(points) {
			t.Fatalf("%v %s points:\n%+v\nthe reference:\n%+v", g.sym, g.exp.Format("2006-01-02"), got, points)
		}
		s.Points = int64(len(points))
		b, err := json.Marshal(points)
		if err != nil {
			b = []byte("[]")
		}
		s.Smile = string(b)
		out = append(out, s)
	}
	return out
}

// TestSmilesMatchReference builds the smiles of a synthetic snapshot, and of
// its quotes reordered with strikes listed twice (puts first, and groups
// interleaved past the few Smiles looks up without a map), both ways.
func TestSmilesMatchReference(t *testing.T) {
	values, snapshot := benchSnapshot(t)
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)), EuropeanIV: true}
	var all []market.OptionQuote
	for _, v := range values[:40] {
		res, err := c.Clean(stream.OptionData, v, snapshot)
		if err != nil {
			t.Fatal(err)
		}
		qs := res.Rows.([]market.OptionQuote)
		same(t, c, qs)
		all = append(all, qs...)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	mixed := append([]market.OptionQuote(nil), all...)
	for i := range len(all) / 3 {
		q := all[rng.IntN(len(all))]
		q.IV += 0.01 * float64(i%3) // the same strike and type, another IV
		mixed = append(mixed, q)
	}
	rng.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
	same(t, c, mixed)
}

func same(t *testing.T, c *Cleaner, qs []market.OptionQuote) {
	t.Helper()
	// Sorting permutes the pointers Smiles is given, not the quotes, so both
	// read the same input.
	got, want := c.Smiles(qs), smilesByMap(t, c, qs)
	if len(got) != len(want) {
		t.Fatalf("%d smiles, the reference %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) && fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Fatalf("smile %d:\n%+v\nthe reference:\n%+v", i, got[i], want[i])
		}
	}
}

// TestSmileJSON holds the smile's hand-written JSON to encoding/json.
func TestSmileJSON(t *testing.T) {
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.25, 1e-6, 9.99e-7, 1e-7, -1.5e-9, 1e20, 1e21, 1.2345e22, 5e-324,
		math.MaxFloat64, 123456789.123, 0.1 + 0.2, -2.5e-300}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		xs = append(xs, math.Float64frombits(rng.Uint64()))
	}
	for i, x := range xs {
		pts := []market.SmilePoint{{Strike: x, Moneyness: xs[(i+1)%len(xs)], LogMoneyness: -x, IV: 0.2, Delta: x / 3, Type: market.Put},
			{Strike: 1, Moneyness: 2, LogMoneyness: 3, IV: x, Delta: 0.5, Type: market.Call}, {Type: "<&é\xff"}}
		want, err := json.Marshal(pts)
		if err != nil {
			want = []byte("[]")
		}
		if got := smileJSON(pts); got != string(want) {
			t.Fatalf("smileJSON(%v) = %s, encoding/json %s", pts, got, want)
		}
	}
	if got := smileJSON([]market.SmilePoint{}); got != "[]" {
		t.Fatalf("no points: %s", got)
	}
}
