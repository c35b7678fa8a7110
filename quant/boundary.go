package quant

import "math"

// The American put is priced from its early-exercise boundary B(τ), τ the time to expiry,
// found by the fixed-point iteration of Andersen, Lake and Offengelt, "High-performance
// American option pricing", Journal of Computational Finance 20(1), 2016. For a unit strike,
// rate r > 0 and yield q the boundary solves
//
//	B(τ) = e^{-(r-q)τ} N(τ, B) / D(τ, B)
//	N = n(d₋(τ, B(τ)))/(σ√τ) + r ∫₀^τ e^{ru} n(d₋(τ-u, B(τ)/B(u)))/(σ√(τ-u)) du
//	D = n(d₊(τ, B(τ)))/(σ√τ) + N(d₊(τ, B(τ))) + q ∫₀^τ e^{qu} [n(d₊(...))/(σ√(τ-u)) + N(d₊(...))] du
//
// (their FP-B'), with d± the Black-Scholes d1 and d2 for elapsed time and moneyness. The
// boundary is held at Chebyshev nodes in z = 2√(τ/T) - 1 as H = log(B/X)², X = min(1, r/q)
// its limit at expiry, which is smooth in z; each iteration is a Jacobi-Newton step at every
// node at once. The put is then its European price plus the early-exercise premium
//
//	∫₀^T [r e^{-rs} N(-d₋(s, S/B(T-s))) - q S e^{-qs} N(-d₊(s, S/B(T-s)))] ds.
//
// Every integral is Gauss-Legendre in √(elapsed time), where the integrands are smooth. The
// boundary and the premium are carried with their derivatives in volatility, rate and time
// (grad), the premium with its spot ones too, so the Greeks are the exact derivatives of the
// price it returns. Calls are puts by the put-call symmetry C(S, K, r, q) = P(K, S, q, r).
//
// The sizes hold the price within 2e-4 relative or 5e-4 absolute on a strike of 100,
// whichever is larger, of a converged binomial tree across spot/strike 0.5-2, expiry 1 day
// to 3 years, volatility 5-150%, rate 0-10% and yield 0-8% (TestAmericanAgainstConvergedTree).
// More nodes and points buy digits at the cost of speed: the premium integral's points
// matter most, the Barone-Adesi-Whaley steps least (one Halley step does what two Newton
// steps did), and the first Jacobi-Newton step needs only 3 points (fpFirstQuad). Below a
// year the boundary has less time to bend and fewer of them do (fpTablesFor): 4 intervals,
// 5 and 12 points below a year, 5, 6 and 16 beyond. On the 150 seeded contracts of
// TestAmericanAgainstConvergedTree the largest error is 0.24 of the tolerance below a year
// and 0.31 beyond (the test logs both); just short of the negative carry where the tree
// takes over it is 0.75 (TestAmericanNearTreeCarry).
// Sizes picked by volatility as well would let the price jump with volatility and trip the
// implied volatility's Newton steps; still smaller ones (3, 4 and 8) come near the tolerance
// at a few months and high volatility. The price jumps by its error at a year, where the
// sizes change.
const (
	fpNodes      = 5  // the most Chebyshev intervals: nodes+1 nodes, the last at τ = 0
	fpQuad       = 6  // the most Gauss-Legendre points of each boundary integral
	fpPriceQuad  = 16 // the most Gauss-Legendre points of the premium integral
	fpIterations = 2  // Jacobi-Newton steps from the Barone-Adesi-Whaley boundary
	fpFirstQuad  = 3  // Gauss-Legendre points of each boundary integral in the first step
	fpSeedSteps  = 1  // Halley steps on the Barone-Adesi-Whaley boundary at each node
)

// fpTables holds what depends only on the sizes: the nodes as fractions of T, the
// quadrature rules, and the weights that interpolate H at every quadrature point from its
// values at the nodes (the interpolation points are fixed fractions of T too). Arrays hold
// the largest sizes; nodes, quad and priceQuad say how much of them is used.
//
// The first Jacobi-Newton step integrates with fpFirstQuad points only (rule[0]): it moves
// the seed most of the way, and the last step, with the full rule (rule[1]), sets the
// digits. On the grid of TestAmericanAgainstConvergedTree the largest error stays 0.24 of
// the tolerance below a year and goes from 0.34 to 0.31 beyond, for a fifth to a quarter
// fewer points.
type fpTables struct {
	nodes, priceQuad int
	node             [fpNodes]float64 // τ_j / T = (1 + cos(jπ/n))²/4
	rule             [2]quadRule      // of the first Jacobi-Newton step, of the others
	pw               [fpPriceQuad]float64
	pHalf            [fpPriceQuad]float64 // √(elapsed/T)
	pInvHalf         [fpPriceQuad]float64 // 1/pHalf, held so that no point divides
	priceInterp      [fpPriceQuad][fpNodes]float64
}

// quadRule is a Gauss-Legendre rule of the boundary's integrals at every node.
type quadRule struct {
	quad   int
	qw     [fpQuad]float64 // weights
	qHalf  [fpQuad]float64 // (1 + y_k)/2: √(elapsed/τ_j)
	qInv   [fpQuad]float64 // 1/qHalf, held so that no point divides
	interp [fpNodes][fpQuad][fpNodes]float64
}

// ruleOf is the index into fpTables.rule of Jacobi-Newton step it.
func ruleOf(it int) int { return min(it, 1) }

var (
	fpTabShort = newFPTables(4, 5, 12)
	fpTabLong  = newFPTables(fpNodes, fpQuad, fpPriceQuad)
)

// fpTablesFor picks the sizes for an expiry of t years.
func fpTablesFor(t float64) *fpTables {
	if t < 1 {
		return fpTabShort
	}
	return fpTabLong
}

func newFPTables(nodes, quad, priceQuad int) *fpTables {
	t := &fpTables{nodes: nodes, priceQuad: priceQuad}
	for j := range nodes {
		x := math.Cos(float64(j) * math.Pi / float64(nodes))
		t.node[j] = 0.25 * (1 + x) * (1 + x)
	}
	for i, n := range []int{fpFirstQuad, quad} {
		r := &t.rule[i]
		r.quad = n
		y, w := gaussLegendre(n)
		for k := range n {
			r.qw[k], r.qHalf[k] = w[k], 0.5*(1+y[k])
			r.qInv[k] = 1 / r.qHalf[k]
			for j := range nodes {
				// u/T = τ_j/T · (1 - half²), z = 2√(u/T) - 1.
				z := 2*math.Sqrt(t.node[j]*(1-r.qHalf[k]*r.qHalf[k])) - 1
				r.interp[j][k] = chebWeights(z, nodes)
			}
		}
	}
	y, w := gaussLegendre(priceQuad)
	for k := range priceQuad {
		t.pw[k], t.pHalf[k] = w[k], 0.5*(1+y[k])
		t.pInvHalf[k] = 1 / t.pHalf[k]
		t.priceInterp[k] = chebWeights(2*math.Sqrt(1-t.pHalf[k]*t.pHalf[k])-1, nodes)
	}
	return t
}

// chebWeights are the weights of the node values f(cos(jπ/n)), j < n, in the Chebyshev
// interpolant at z; the node j = n (τ = 0) is left out, since H is zero there.
func chebWeights(z float64, n int) [fpNodes]float64 {
	var tk [fpNodes + 1]float64 // T_k(z)
	tk[0], tk[1] = 1, z
	for k := 2; k <= n; k++ {
		tk[k] = 2*z*tk[k-1] - tk[k-2]
	}
	var w [fpNodes]float64
	for j := range n {
		cj := 1.0
		if j == 0 {
			cj = 0.5
		}
		var s float64
		for k := 0; k <= n; k++ {
			ck := 1.0
			if k == 0 || k == n {
				ck = 0.5
			}
			s += ck * math.Cos(float64(j*k)*math.Pi/float64(n)) * tk[k]
		}
		w[j] = 2 / float64(n) * cj * s
	}
	return w
}

// gaussLegendre is the n-point Gauss-Legendre rule on [-1, 1], by Newton's method on the
// Legendre polynomial from Chebyshev guesses.
func gaussLegendre(n int) (x, w []float64) {
	x, w = make([]float64, n), make([]float64, n)
	for i := range n {
		z := -math.Cos(math.Pi * (float64(i) + 0.75) / (float64(n) + 0.5))
		var dp float64
		for range 100 {
			p0, p1 := 1.0, z
			for k := 2; k <= n; k++ {
				p0, p1 = p1, ((2*float64(k)-1)*z*p1-float64(k-1)*p0)/float64(k)
			}
			dp = float64(n) * (z*p1 - p0) / (z*z - 1)
			dz := p1 / dp
			z -= dz
			if math.Abs(dz) < 1e-16 {
				break
			}
		}
		x[i], w[i] = z, 2/((1-z*z)*dp*dp)
	}
	return x, w
}

// fpAmerican is the American price of p by the fixed-point method, for a yield (call) or
// rate (put) above zero, with its derivatives.
func fpAmerican(p Params) dual {
	var c fpConst
	return fpAmericanWith(p, &c)
}

// fpAmericanWith is fpAmerican taking the factors that do not depend on volatility from c,
// which it fills first if they are another contract's.
func fpAmericanWith(p Params, c *fpConst) dual {
	vol, rate, div, t := grad{v: p.Vol, vol: 1}, grad{v: p.Rate, r: 1}, grad{v: p.Div}, grad{v: p.Time, t: 1}
	if p.Kind == Put {
		// P(S) = K·u(S/K): ∂/∂S = u', ∂²/∂S² = u”/K.
		u, ux, uxx := unitPut(1/p.Strike*p.Spot, rate, div, vol, t, c.of(p.Rate, p.Div, p.Time))
		return dual{v: p.Strike * u.v, s: ux, ss: uxx / p.Strike, vol: p.Strike * u.vol, r: p.Strike * u.r, t: p.Strike * u.t}
	}
	// C(S) = S·u(K/S): ∂/∂S = u - x·u', ∂²/∂S² = x²·u”/S.
	x := p.Strike * (1 / p.Spot)
	u, ux, uxx := unitPut(x, div, rate, vol, t, c.of(p.Div, p.Rate, p.Time))
	return dual{v: p.Spot * u.v, s: u.v - x*ux, ss: x * x * uxx / p.Spot, vol: p.Spot * u.vol, r: p.Spot * u.r, t: p.Spot * u.t}
}

// fpConst holds the factors of the fixed-point method that do not depend on volatility, for
// the unit-strike put of one rate, yield and time: log X and X, and the exponentials of rate
// and yield at every node and quadrature point (some 108 of a pricing's 230-odd below a
// year, by a count of the code). A volatility search prices one contract several times over and works them out
// once; the vega path and the full one read the same numbers, as each would have worked
// them out.
type fpConst struct {
	r, q, t             float64                     // what the factors are of, once tab is set
	tab                 *fpTables                   // nil until the first fill
	lx, x               float64                     // log X, X = e^{log X}
	eru, equ            [2][fpNodes][fpQuad]float64 // e^{ru}, e^{qu} at rule i, node j, point k
	carry               [fpNodes]float64            // e^{-(r-q)τ_j}
	expm1, bawEq, bawEr [fpNodes]float64            // e^{-rτ_j} - 1, e^{-qτ_j}, e^{-rτ_j}
	ers, eqs            [fpPriceQuad]float64        // e^{-rs}, e^{-qs} at the premium's points
	er, eq              float64                     // e^{-rT}, e^{-qT}
}

// of returns c holding the factors of rate r, yield q and time t, filling it if it holds
// another's.
func (c *fpConst) of(r, q, t float64) *fpConst {
	if c.tab != nil && c.r == r && c.q == q && c.t == t {
		return c
	}
	c.r, c.q, c.t = r, q, t
	tab := fpTablesFor(t)
	c.tab = tab
	c.lx = 0
	if q > r {
		c.lx = fastLog(r / q)
	}
	c.x = fastExp(c.lx)
	// Each factor is worked out as the paths did before they read it here, operation for
	// operation, so that the prices stay the same to the bit.
	for j := range tab.nodes {
		tau := tab.node[j] * t
		for i := range tab.rule {
			rl := &tab.rule[i]
			for k := range rl.quad {
				u := (1 - rl.qHalf[k]*rl.qHalf[k]) * tau
				c.eru[i][j][k] = fastExp(r * u)
				c.equ[i][j][k] = fastExp(q * u)
			}
		}
		c.carry[j] = fastExp(-((r - q) * tau))
		c.expm1[j] = math.Expm1(-(r * tau))
		c.bawEq[j] = fastExp(-(q * tau))
		c.bawEr[j] = fastExp(-(r * tau))
	}
	for k := range tab.priceQuad {
		half := tab.pHalf[k]
		s := t * (half * half)
		c.ers[k], c.eqs[k] = fastExp(-(r * s)), fastExp(-(q * s))
	}
	c.er, c.eq = fastExp(-(r * t)), fastExp(-(q * t))
	return c
}

// unitPut is the American put of unit strike on spot x, rate r > 0, yield q, volatility v
// and time t: the price with its derivatives in volatility, rate and time, and its first
// and second derivatives in x. The spot enters only through log x, linearly in every d±,
// so its derivatives follow from the densities at each point with a few multiplications
// rather than by carrying two more fields through every step.
func unitPut(x float64, r, q, v, t grad, c *fpConst) (price grad, px, pxx float64) {
	tab := c.tab
	g, h, lx := putBoundary(tab, r, q, v, t, c)

	// The premium at spot x, given the boundary.
	lnx := fastLog(x)
	if lnx <= lx.v+g.v {
		return grad{v: -x + 1}, -1, 0 // exercise now
	}
	v2 := v.mul(v)
	drift := r.sub(q).sub(v2.scale(0.5))
	sqT := t.sqrt()
	vsT := v.mul(sqT)
	ivsT := vsT.recip()
	d1 := drift.add(v2).mul(t).addConst(lnx).mul(ivsT)
	d2 := d1.sub(vsT)
	er, eq := r.mul(t).scale(-1).expIs(c.er), q.mul(t).scale(-1).expIs(c.eq)
	n1, pd1 := normGradPDF(d1.scale(-1))
	n2, pd2 := normGradPDF(d2.scale(-1))
	price = er.mul(n2).sub(eq.scale(x).mul(n1))
	// The price is A - x·B with A = e^{-rT}N(-d₂) + rT·ΣR and B = e^{-qT}N(-d₁) + qT·ΣQ,
	// functions of log x: each d± moves by a/half per unit of log x (half = 1 outside the
	// integral), N(-d) by -n(d)·a/half, and that by d·n(d)·(a/half)². al, all, bl and bll
	// gather the derivatives of A and B in log x, less their factors a and a².
	a := ivsT.v
	al, all := -er.v*pd2, er.v*d2.v*pd2
	bl, bll := -eq.v*pd1, eq.v*d1.v*pd1
	dt := drift.mul(t)
	var sumR, sumQ grad
	var sumRl, sumRll, sumQl, sumQll float64
	// As in fpStep: the arguments first, then the Gaussians, then the sums.
	var dms, dps [fpPriceQuad]grad
	var cms, nms, cps, nps [fpPriceQuad]float64
	var far [fpPriceQuad]bool
	for k := range tab.priceQuad {
		half := tab.pHalf[k]
		var hu grad
		for i := range tab.nodes {
			hu = hu.add(h[i].scale(tab.priceInterp[k][i]))
		}
		lbu := lx
		if hu.v > 1e-300 {
			lbu = lx.sub(hu.sqrt())
		}
		dm := lbu.scale(-1).addConst(lnx).add(dt.scale(half * half)).mul(ivsT).scale(tab.pInvHalf[k])
		// Where N(-d₋) < 5e-17 (and d₊ > d₋) the spot is too far from the boundary for
		// exercise then to count.
		far[k] = dm.v > 8.3
		dms[k], dps[k] = dm, dm.add(vsT.scale(half))
	}
	for k := range tab.priceQuad {
		if !far[k] {
			// normGradPDF of -dm and -dp, written out as in fpStep.
			cms[k], nms[k] = normCDFPDF(-dms[k].v)
			cps[k], nps[k] = normCDFPDF(-dps[k].v)
		}
	}
	for k := range tab.priceQuad {
		if far[k] {
			continue
		}
		half := tab.pHalf[k]
		s := t.scale(half * half)
		dm, dp := &dms[k], &dps[k]
		// ds = T (1+y)/2 dy = T·half·dy.
		w := tab.pw[k] * half
		ers, eqs := r.mul(s).scale(-1).expIs(c.ers[k]), q.mul(s).scale(-1).expIs(c.eqs[k])
		xm, xp := dm.scale(-1), dp.scale(-1)
		cm, nmv := cms[k], nms[k]
		cp, npv := cps[k], nps[k]
		nm := grad{cm, nmv * xm.vol, nmv * xm.r, nmv * xm.t}
		np := grad{cp, npv * xp.vol, npv * xp.r, npv * xp.t}
		sumR = sumR.add(ers.mul(nm).scale(w))
		sumQ = sumQ.add(eqs.mul(np).scale(w))
		// Each d± moves by a/half per unit of log x.
		wr, wq := w*ers.v/half, w*eqs.v/half
		sumRl -= wr * nmv
		sumRll += wr * dm.v * nmv / half
		sumQl -= wq * npv
		sumQll += wq * dp.v * npv / half
	}
	premium := r.mul(sumR).sub(q.scale(x).mul(sumQ)).mul(t)
	price = price.add(premium)
	rt, qt := r.v*t.v, q.v*t.v
	al = (al + rt*sumRl) * a
	all = (all + rt*sumRll) * a * a
	bl = (bl + qt*sumQl) * a
	bll = (bll + qt*sumQll) * a * a
	b := eq.v*n1.v + qt*sumQ.v
	px = al/x - b - bl
	pxx = (all-al)/(x*x) - (bll+bl)/x
	return price, px, pxx
}

// putBoundary is the exercise boundary of the unit-strike put for rate r > 0, yield q,
// volatility v and time t: log(B(T)/X), H at the nodes, and log X.
func putBoundary(tab *fpTables, r, q, v, t grad, c *fpConst) (g0 grad, h [fpNodes]grad, lx grad) {
	if q.v > r.v {
		rq := r.div(q)
		lx = rq.chain(c.lx, 1/rq.v) // rq.log()
	}
	v2 := v.mul(v)
	drift := r.sub(q).sub(v2.scale(0.5)) // of log S: r - q - σ²/2

	// g_j = log(B/X) <= 0 at node j, τ_j = node_j T; H_j = g_j².
	var tau, sqt [fpNodes]grad
	var g [fpNodes]grad
	baw := newBAWSeed(r, q, v, lx, c)
	for j := range tab.nodes {
		tau[j] = t.scale(tab.node[j])
		sqt[j] = tau[j].sqrt()
		g[j] = baw.at(tau[j], sqt[j], r, q, v, lx, c, j)
		h[j] = g[j].mul(g[j])
	}

	// What the iterations share at node j and quadrature point k: u = τ_j - s.
	var eru, equ [2][fpNodes][fpQuad]grad
	for i := range tab.rule {
		rl := &tab.rule[i]
		for j := range tab.nodes {
			for k := range rl.quad {
				u := tau[j].scale(1 - rl.qHalf[k]*rl.qHalf[k])
				eru[i][j][k] = r.mul(u).expIs(c.eru[i][j][k])
				equ[i][j][k] = q.mul(u).expIs(c.equ[i][j][k])
			}
		}
	}
	for it := range fpIterations {
		var next [fpNodes]grad
		i := ruleOf(it)
		for j := range tab.nodes {
			next[j] = fpStep(tab, &tab.rule[i], j, &tau, &sqt, &g, &h, &eru[i][j], &equ[i][j], r, q, v, v2, drift, lx, c.carry[j])
		}
		g = next
		for j := range tab.nodes {
			h[j] = g[j].mul(g[j])
		}
	}
	return g[0], h, lx
}

// interpBoundary is log B(u) at a quadrature point, from the node values of H.
func interpBoundary(n int, w *[fpNodes]float64, h *[fpNodes]grad, lx grad) grad {
	var hu grad
	for i := range n {
		hu = hu.add(h[i].scale(w[i]))
	}
	if !(hu.v > 1e-300) {
		return lx
	}
	return lx.sub(hu.sqrt())
}

// fpStep is the Jacobi-Newton step of the fixed-point equation at node j: it returns the
// next log(B/X) there.
func fpStep(tab *fpTables, rl *quadRule, j int, tau, sqt, g, h *[fpNodes]grad, eru, equ *[fpQuad]grad, r, q, v, v2, drift, lx grad, carry float64) grad {
	tj, st := tau[j], sqt[j]
	lb := lx.add(g[j])
	b := lb.exp()
	vst := v.mul(st)
	ivst := vst.recip()
	dtj := drift.mul(tj)
	dm0 := lb.add(dtj).mul(ivst)
	dp0 := dm0.add(vst)
	cp0, np01 := normCDFPDF(dp0.v)
	fp0 := -dp0.v * np01
	np0 := grad{cp0, np01 * dp0.vol, np01 * dp0.r, np01 * dp0.t}
	pp0 := grad{np01, fp0 * dp0.vol, fp0 * dp0.r, fp0 * dp0.t}
	nm0 := densityBelow(np01, b.v/carry, dm0.v) // B(τ)/1·e^{(r-q)τ}
	fm0 := -dm0.v * nm0
	pm0 := grad{nm0, fm0 * dm0.vol, fm0 * dm0.r, fm0 * dm0.t}
	num := pm0.mul(ivst)
	den := pp0.mul(ivst).add(np0)
	// The Jacobi-Newton step differentiates N and D in B(τ) through the terms outside the
	// integrals only: every node moves at once, and the integrals depend on B(τ)/B(u),
	// which a move of the whole boundary leaves nearly alone. With the integrals' terms as
	// well the steps overshoot and the iterates oscillate.
	ibv := b.mul(v2).recip().scale(-1)
	numD := dm0.mul(pm0).div(tj).mul(ibv)
	denD := dm0.mul(pp0).div(tj).mul(ibv)
	stv := st.div(v) // √τ/σ
	// The arguments at every point first, then their Gaussians, then the sums: no value of
	// the sums is live across the Gaussians' calls, which would save and restore it.
	var dms, dps [fpQuad]grad
	for k := range rl.quad {
		half := rl.qHalf[k]
		lbu := interpBoundary(tab.nodes, &rl.interp[j][k], h, lx)
		dm := lb.sub(lbu).add(dtj.scale(half * half)).mul(ivst).scale(rl.qInv[k])
		dms[k], dps[k] = dm, dm.add(vst.scale(half))
	}
	var cps, nps, nms [fpQuad]float64
	for k := range rl.quad {
		cps[k], nps[k] = normCDFPDF(dps[k].v)
		nms[k] = normPDF(dms[k].v)
	}
	var nI, dI grad
	for k := range rl.quad {
		half := rl.qHalf[k]
		dm, dp := &dms[k], &dps[k]
		// N(dp) and the densities at dp and dm with their derivatives, written out here
		// rather than behind normGradPDF, which is above the compiler's inlining budget
		// (go build -gcflags=-m=2).
		cp, np1 := cps[k], nps[k]
		fp := -dp.v * np1
		np := grad{cp, np1 * dp.vol, np1 * dp.r, np1 * dp.t}
		pp := grad{np1, fp * dp.vol, fp * dp.r, fp * dp.t}
		nm := nms[k]
		fm := -dm.v * nm
		pm := grad{nm, fm * dm.vol, fm * dm.r, fm * dm.t}
		w := rl.qw[k]
		// du = τ(1+y)/2 dy and σ√(τ-u) = σ√τ·half, so n/(σ√(τ-u)) du = n √τ/σ dy.
		em, eq := eru[k].scale(w), equ[k].scale(w)
		nI = nI.add(em.mul(pm))
		dI = dI.add(eq.mul(pp.mul(stv).add(np.mul(tj).scale(half))))
	}
	num = num.add(r.mul(stv).mul(nI))
	den = den.add(q.mul(dI))
	c := r.sub(q).mul(tj).scale(-1).expIs(carry)
	f := c.mul(num).div(den)
	fd := c.mul(numD.div(den).sub(denD.mul(num).div(den.mul(den))))
	nb := b.add(b.sub(f).div(fd.addConst(-1)))
	if !(nb.v > 0) || math.IsNaN(nb.v) {
		nb = b.scale(0.5)
	}
	ng := nb.log().sub(lx)
	if !(ng.v < 0) {
		return grad{}
	}
	return ng
}

// bawSeed holds what the Barone-Adesi-Whaley boundary (bawSeed.at) shares between the
// nodes: the factors that depend on volatility, rate and yield but not on τ.
type bawSeed struct {
	negOm1, om1sq, m4 grad // -(ω-1), (ω-1)², 4M
	sInf, sInfC       grad // the boundary at infinite time, 1 - it
	x, xs             grad // X, X - sInf
	rq, carry         grad // r - q, r - q + σ²/2
}

func newBAWSeed(r, q, v, lx grad, c *fpConst) bawSeed {
	v2 := v.mul(v)
	m := r.scale(2).div(v2)
	om1 := r.sub(q).scale(2).div(v2).addConst(-1)
	var s bawSeed
	s.negOm1, s.om1sq, s.m4 = om1.scale(-1), om1.mul(om1), m.scale(4)
	lamInf := s.negOm1.sub(s.om1sq.add(s.m4).sqrt()).scale(0.5)
	s.sInf = lamInf.recip().scale(-1).addConst(1).recip()
	s.sInfC = s.sInf.scale(-1).addConst(1)
	s.x = lx.expIs(c.x)
	s.xs = s.x.sub(s.sInf)
	s.rq = r.sub(q)
	s.carry = s.rq.add(v2.scale(0.5))
	return s
}

// at is log(B/X) at τ = node j from the exercise boundary of Barone-Adesi and Whaley,
// "Efficient Analytic Approximation of American Option Values", Journal of Finance 42, 1987:
// Halley steps (fpSeedSteps) on
//
//	1 - B = p(B) - (1 - e^{-qτ} N(-d₁(B))) B/λ,  λ = (1 - ω - √((ω-1)² + 4M/h))/2,
//
// M = 2r/σ², ω = 2(r-q)/σ², h = 1 - e^{-rτ}, from the seed in Haug's Complete Guide.
func (s *bawSeed) at(tau, sqt, r, q, v, lx grad, c *fpConst, j int) grad {
	if tau.v == 0 {
		return grad{}
	}
	e := c.expm1[j]
	h := r.mul(tau).scale(-1).chain(e, e+1).scale(-1) // 1 - e^{-rτ}
	lam := s.negOm1.sub(s.om1sq.add(s.m4.div(h)).sqrt()).scale(0.5)
	vst := v.mul(sqt)
	h1 := s.rq.mul(tau).sub(vst.scale(2)).div(s.sInfC)
	b := s.sInf.add(s.xs.mul(h1.exp()))
	eq := q.mul(tau).scale(-1).expIs(c.bawEq[j])
	er := r.mul(tau).scale(-1).expIs(c.bawEr[j])
	carry := s.carry.mul(tau)
	vstLam := vst.mul(lam)
	for range fpSeedSteps {
		d1 := b.log().add(carry).div(vst)
		// n(d₁) is the density normCDFPDF works out for N(-d₁).
		n1, pd1 := normGradPDF(d1.scale(-1))
		en1 := eq.mul(n1)
		// N(-d₂) from n(d₂) = n(d₁)·B e^{(r-q)τ}.
		md2 := d1.sub(vst).scale(-1)
		pd2 := densityBelow(pd1, b.v/c.carry[j], -md2.v)
		n2 := md2.chain(normCDFOf(md2.v, pd2), pd2)
		pE := er.mul(n2).sub(b.mul(en1))
		gv := b.scale(-1).addConst(1).sub(pE).add(en1.scale(-1).addConst(1).mul(b).div(lam))
		epd1 := eq.mul(d1.chain(pd1, -d1.v*pd1)) // e^{-qτ} n(d₁)
		gd := en1.addConst(-1).add(en1.scale(-1).addConst(1).div(lam)).add(epd1.div(vstLam))
		// Halley's step: g” = e^{-qτ} n(d₁)/(B σ√τ) · (1/λ - 1 - d₁/(σ√τ λ)).
		gdd := epd1.div(b.mul(vst)).mul(lam.recip().addConst(-1).sub(d1.div(vstLam)))
		nb := b.sub(gv.mul(gd).scale(2).div(gd.mul(gd).scale(2).sub(gv.mul(gdd))))
		if !(nb.v > 0 && nb.v < s.x.v) || math.IsNaN(nb.v) {
			break
		}
		b = nb
	}
	if !(b.v < s.x.v) {
		return grad{}
	}
	return b.log().sub(lx)
}
