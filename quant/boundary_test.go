package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The tolerance against a converged tree: 2e-4 relative or 5e-4 absolute (on a
// strike of 100), whichever is larger.
func withinTreeTol(got, want float64) bool {
	return math.Abs(got-want) <= math.Max(2e-4*math.Abs(want), 5e-4)
}

// randomContract draws from the grid of the accuracy target: spot/strike 0.5-2, expiry one
// day to three years, volatility 5-150%, rate 0-10%, yield 0-8%, calls and puts.
func randomContract(rng *rand.Rand) Params {
	logU := func(lo, hi float64) float64 { return lo * math.Exp(rng.Float64()*math.Log(hi/lo)) }
	kind := Call
	if rng.IntN(2) == 1 {
		kind = Put
	}
	return Params{
		Kind: kind, Spot: 100 * logU(0.5, 2), Strike: 100,
		Time: logU(1.0/365, 3), Vol: logU(0.05, 1.5),
		Rate: 0.1 * rng.Float64(), Div: 0.08 * rng.Float64(),
	}
}

// TestAmericanAgainstConvergedTree prices a seeded random grid against the binomial
// Black-Scholes tree with Richardson extrapolation at 8192 steps, whose own error at these
// points is below 1e-5 of the strike.
func TestAmericanAgainstConvergedTree(t *testing.T) {
	if testing.Short() {
		t.Skip("binomial trees of 8192 steps take seconds")
	}
	rng := rand.New(rand.NewPCG(17, 2016))
	const points = 150
	worstRel, worstAbs, worstIV, ivChecked := 0.0, 0.0, 0.0, 0
	var worstTol [2]float64 // of the tolerance, below a year and beyond (fpTablesFor)
	for range points {
		p := randomContract(rng)
		got, tree := AmericanPrice(p), americanTree(p, 8192)
		if !withinTreeTol(got, tree) {
			t.Errorf("AmericanPrice %.6f, tree %.6f for %+v", got, tree, p)
		}
		worstAbs = math.Max(worstAbs, math.Abs(got-tree))
		long := 0
		if fpTablesFor(p.Time) == fpTabLong {
			long = 1
		}
		worstTol[long] = math.Max(worstTol[long], math.Abs(got-tree)/math.Max(2e-4*math.Abs(tree), 5e-4))
		if tree > 0.05 {
			worstRel = math.Max(worstRel, math.Abs(got-tree)/tree)
		}
		// The implied volatility of the tree's price is within what the price tolerance
		// allows through vega, where the price moves with volatility at all.
		g := AmericanGreeks(p)
		if g.Vega < 1e-3 {
			continue
		}
		iv, err := ImpliedVolStyle(p, tree, American)
		if err != nil {
			t.Errorf("implied vol of tree price %.6f for %+v: %v", tree, p, err)
			continue
		}
		ivChecked++
		dv := math.Abs(iv - p.Vol)
		worstIV = math.Max(worstIV, dv/p.Vol)
		if dv > math.Max(2e-4*p.Vol, 1.1*math.Max(2e-4*tree, 5e-4)/(100*g.Vega)) {
			t.Errorf("implied vol %.6f of tree price %.6f, want %.6f for %+v", iv, tree, p.Vol, p)
		}
	}
	t.Logf("%d contracts: largest relative error %.2e (prices above 0.05), largest absolute %.2e on a strike of 100, largest %.2f of the tolerance below a year, %.2f beyond", points, worstRel, worstAbs, worstTol[0], worstTol[1])
	t.Logf("%d implied volatilities of the tree's prices: largest relative error %.2e", ivChecked, worstIV)
}

// TestAmericanPublished checks the American put of Hull's example (S 36, K 40, r 6%, one
// year, σ 20%), 4.48668 by CRR at 10,000 and 10,001 steps, the figure issue 17 quotes.
func TestAmericanPublished(t *testing.T) {
	p := Params{Kind: Put, Spot: 36, Strike: 40, Rate: 0.06, Vol: 0.2, Time: 1}
	if got := AmericanPrice(p); !withinTreeTol(got, 4.48668) {
		t.Errorf("AmericanPrice(%+v) = %.5f, published 4.48668", p, got)
	}
}

// TestNegativeCarryNeedsTree checks the one place a binomial tree still prices: a negative
// carry of treeCarryRatio·σ/√T or more. On random contracts of the accuracy grid in that
// corner, the fixed-point method alone misses the tree's tolerance on some, while
// AmericanPrice (the 1024-step tree there) meets it on all. When the first count reaches
// zero the fallback can go.
func TestNegativeCarryNeedsTree(t *testing.T) {
	if testing.Short() {
		t.Skip("binomial trees of 8192 steps take seconds")
	}
	rng := rand.New(rand.NewPCG(75, 2016))
	const points = 40
	fpMissed, worstFP := 0, 0.0
	for n := 0; n < points; {
		p := randomContract(rng)
		rate, yield := p.Rate, p.Div
		if p.Kind == Put {
			rate, yield = yield, rate
		}
		if yield <= 0 || -(rate-yield)*math.Sqrt(p.Time) < treeCarryRatio*p.Vol {
			continue
		}
		n++
		tree := americanTree(p, 8192)
		if got := AmericanPrice(p); !withinTreeTol(got, tree) {
			t.Errorf("AmericanPrice %.6f, tree %.6f for %+v", got, tree, p)
		}
		fp := math.Max(fpAmerican(p).v, math.Max(Price(p), deterministicAmerican(p)))
		if !withinTreeTol(fp, tree) {
			fpMissed++
		}
		worstFP = math.Max(worstFP, math.Abs(fp-tree)/math.Max(2e-4*tree, 5e-4))
	}
	t.Logf("negative carry: the fixed-point method alone misses the tolerance on %d of %d contracts, worst by %.1f× the tolerance", fpMissed, points, worstFP)
	if fpMissed == 0 {
		t.Errorf("the fixed-point method meets the tolerance on all %d contracts: the tree fallback is no longer needed", points)
	}
}

// TestAmericanNearTreeCarry checks the fixed-point method just short of the negative carry
// where the tree takes over (-b√T between 0.4 and treeCarryRatio times σ): there the
// boundary hugs the strike, its integrands are steepest for the method, and the first
// Jacobi-Newton step's short rule (fpFirstQuad) costs the most digits: the largest error
// is 0.75 of the tolerance, about 0.34 with the full rule in the first step too.
func TestAmericanNearTreeCarry(t *testing.T) {
	if testing.Short() {
		t.Skip("binomial trees of 8192 steps take seconds")
	}
	rng := rand.New(rand.NewPCG(11, 2016))
	const points = 40
	worst := 0.0
	for n := 0; n < points; {
		p := randomContract(rng)
		rate, yield := p.callRates()
		ratio := -(rate - yield) * math.Sqrt(p.Time) / p.Vol
		if yield <= 0 || ratio < 0.4 || ratio >= treeCarryRatio || americanMethodOf(p) != americanFixedPoint {
			continue
		}
		n++
		got, tree := AmericanPrice(p), americanTree(p, 8192)
		if !withinTreeTol(got, tree) {
			t.Errorf("AmericanPrice %.6f, tree %.6f for %+v", got, tree, p)
		}
		worst = math.Max(worst, math.Abs(got-tree)/math.Max(2e-4*math.Abs(tree), 5e-4))
	}
	t.Logf("%d contracts near the tree's carry: largest error %.2f of the tolerance", points, worst)
}
