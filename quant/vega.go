package quant

import "math"

// vnum is a number carried with its derivative in volatility alone. A volatility search
// needs the American price and its vega at each step and the other Greeks only at the
// solution, so its steps run the fixed-point method here: with rate, yield, time and spot
// constants, most of the boundary's factors are plain numbers and the rest carry one
// derivative instead of the three of grad.
//
// The functions below repeat the arithmetic of unitPut, putBoundary, fpStep and
// bawSeed.at on the values in the same order, so the price they give is the one
// AmericanGreeks gives, to the last bit (TestVegaPathMatchesDual).
type vnum struct {
	v, vol float64
}

func (a vnum) add(b vnum) vnum { return vnum{a.v + b.v, a.vol + b.vol} }

func (a vnum) sub(b vnum) vnum { return vnum{a.v - b.v, a.vol - b.vol} }

func (a vnum) addConst(c float64) vnum {
	a.v += c
	return a
}

func (a vnum) scale(c float64) vnum { return vnum{c * a.v, c * a.vol} }

func (a vnum) mul(b vnum) vnum { return vnum{a.v * b.v, a.vol*b.v + a.v*b.vol} }

// mulc is a.mul(constant(c)), with the operands of the value in the order mul takes them.
func (a vnum) mulc(c float64) vnum { return vnum{a.v * c, a.vol * c} }

// div divides as grad.div does.
func (a vnum) div(b vnum) vnum {
	q := a.v / b.v
	ib := 1 / b.v
	return vnum{q, (a.vol - q*b.vol) * ib}
}

// divc is a.div(constant(c)) of grad.
func (a vnum) divc(c float64) vnum {
	q := a.v / c
	ib := 1 / c
	return vnum{q, a.vol * ib}
}

func (a vnum) chain(f, f1 float64) vnum { return vnum{f, f1 * a.vol} }

func (a vnum) recip() vnum {
	r := 1 / a.v
	return a.chain(r, -r*r)
}

func (a vnum) exp() vnum {
	e := fastExp(a.v)
	return a.chain(e, e)
}

func (a vnum) log() vnum { return a.chain(fastLog(a.v), 1/a.v) }

func (a vnum) sqrt() vnum {
	q := math.Sqrt(a.v)
	return a.chain(q, 0.5/q)
}

// The Gaussians below spell out chain as struct literals, the same arithmetic, so that the
// compiler inlines them.

func normVnum(x vnum) vnum {
	c, n := normCDFPDF(x.v)
	return vnum{c, n * x.vol}
}

// normVnumPDF is normVnum of x and the density n(x), worked out once.
func normVnumPDF(x vnum) (cdf vnum, pdf float64) {
	c, n := normCDFPDF(x.v)
	return vnum{c, n * x.vol}, n
}

// americanVega is americanAt with the derivative in volatility only: the price of p and its
// vega (per unit of volatility), how it was priced, and the European price with its vega.
// Where americanAt gives a price without derivatives (ruleOther) so does this.
func americanVega(p Params, det float64) (v vnum, how rule, euro vnum) {
	var c fpConst
	return americanVegaWith(p, det, &c, nil)
}

// americanVegaWith is americanVega taking the factors of the fixed-point method that do
// not depend on volatility from c (see fpConst) and, unless it is nil, the part of the
// European price that does not from vf, newVolFree(p).
func americanVegaWith(p Params, det float64, c *fpConst, vf *volFree) (v vnum, how rule, euro vnum) {
	intrinsic := p.intrinsic()
	if p.Time == 0 {
		return vnum{v: intrinsic}, ruleOther, euro
	}
	if p.Vol == 0 {
		return vnum{v: det}, ruleOther, euro
	}
	var b bsm
	if vf != nil {
		b = vf.at(p.Vol)
	} else {
		b = newBSM(p)
	}
	euro = vnum{b.price(), b.fwdS * b.pdf * b.sqrtT}
	v, how = vnum{v: math.NaN()}, ruleClosedForm
	switch americanMethodOf(p) {
	case americanHold:
		if euro.v >= intrinsic {
			return euro, ruleClosedForm, euro
		}
		return vnum{v: intrinsic}, ruleOther, euro
	case americanByTree:
	case americanEuropean:
		v = euro
	default:
		v = fpAmericanVega(p, c)
	}
	if math.IsNaN(v.v) {
		v, how = vnum{v: americanTree(p, treeSteps)}, ruleOther
	}
	if euro.v > v.v {
		v, how = euro, ruleClosedForm
	}
	if det > v.v {
		v, how = vnum{v: det}, ruleOther
	}
	return v, how, euro
}

// fpAmericanVega is fpAmerican with the derivative in volatility only.
func fpAmericanVega(p Params, c *fpConst) vnum {
	vol := vnum{p.Vol, 1}
	if p.Kind == Put {
		return unitPutVega(1/p.Strike*p.Spot, p.Rate, p.Div, vol, p.Time, c.of(p.Rate, p.Div, p.Time)).scale(p.Strike)
	}
	u := unitPutVega(p.Strike*(1/p.Spot), p.Div, p.Rate, vol, p.Time, c.of(p.Div, p.Rate, p.Time))
	return vnum{p.Spot * u.v, p.Spot * u.vol}
}

// unitPutVega is unitPut with the derivative in volatility only.
func unitPutVega(x, r, q float64, v vnum, t float64, c *fpConst) vnum {
	tab := c.tab
	g, h, lx := putBoundaryVega(tab, r, q, v, t, c)

	lnx := fastLog(x)
	if lnx <= lx+g.v {
		return vnum{v: -x + 1}
	}
	v2 := v.mul(v)
	drift := v2.scale(0.5).scale(-1).addConst(r - q)
	sqT := math.Sqrt(t)
	vsT := v.mulc(sqT)
	ivsT := vsT.recip()
	d1 := drift.add(v2).mulc(t).addConst(lnx).mul(ivsT)
	d2 := d1.sub(vsT)
	er, eq := c.er, c.eq
	price := normVnum(d2.scale(-1)).scale(er).sub(normVnum(d1.scale(-1)).scale(x * eq))
	dt := drift.mulc(t)
	var sumR, sumQ float64
	var sumRv, sumQv float64
	// As in unitPut: the arguments first, then the Gaussians, then the sums.
	var dms, dps [fpPriceQuad]vnum
	var cms, nms, cps, nps [fpPriceQuad]float64
	var far [fpPriceQuad]bool
	for k := range tab.priceQuad {
		half := tab.pHalf[k]
		var hu vnum
		for i := range tab.nodes {
			hu = hu.add(h[i].scale(tab.priceInterp[k][i]))
		}
		lbu := vnum{v: lx}
		if hu.v > 1e-300 {
			lbu = hu.sqrt().scale(-1).addConst(lx)
		}
		dm := lbu.scale(-1).addConst(lnx).add(dt.scale(half * half)).mul(ivsT).scale(tab.pInvHalf[k])
		far[k] = dm.v > 8.3
		dms[k], dps[k] = dm, dm.add(vsT.scale(half))
	}
	for k := range tab.priceQuad {
		if !far[k] {
			cms[k], nms[k] = normCDFPDF(-dms[k].v)
			cps[k], nps[k] = normCDFPDF(-dps[k].v)
		}
	}
	for k := range tab.priceQuad {
		if far[k] {
			continue
		}
		half := tab.pHalf[k]
		w := tab.pw[k] * half
		nm := vnum{cms[k], nms[k] * -dms[k].vol}
		np := vnum{cps[k], nps[k] * -dps[k].vol}
		ers, eqs := c.ers[k], c.eqs[k]
		sumR += w * (ers * nm.v)
		sumRv += w * (ers * nm.vol)
		sumQ += w * (eqs * np.v)
		sumQv += w * (eqs * np.vol)
	}
	premium := vnum{(r*sumR - q*x*sumQ) * t, (r*sumRv - q*x*sumQv) * t}
	return price.add(premium)
}

// putBoundaryVega is putBoundary with the derivative in volatility only; log X is a constant.
func putBoundaryVega(tab *fpTables, r, q float64, v vnum, t float64, c *fpConst) (g0 vnum, h [fpNodes]vnum, lx float64) {
	lx = c.lx
	v2 := v.mul(v)
	drift := v2.scale(0.5).scale(-1).addConst(r - q)

	var tau, sqt [fpNodes]float64
	var g [fpNodes]vnum
	baw := newBAWSeedVega(r, q, v, c)
	for j := range tab.nodes {
		tau[j] = tab.node[j] * t
		sqt[j] = math.Sqrt(tau[j])
		g[j] = baw.at(tau[j], sqt[j], r, q, v, lx, c, j)
		h[j] = g[j].mul(g[j])
	}

	for it := range fpIterations {
		var next [fpNodes]vnum
		i := ruleOf(it)
		for j := range tab.nodes {
			next[j] = fpStepVega(tab, &tab.rule[i], j, &tau, &sqt, &g, &h, &c.eru[i][j], &c.equ[i][j], r, q, v, v2, drift, lx, c.carry[j])
		}
		g = next
		for j := range tab.nodes {
			h[j] = g[j].mul(g[j])
		}
	}
	return g[0], h, lx
}

// fpStepVega is fpStep with the derivative in volatility only.
func fpStepVega(tab *fpTables, rl *quadRule, j int, tau, sqt *[fpNodes]float64, g, h *[fpNodes]vnum, eru, equ *[fpQuad]float64, r, q float64, v, v2, drift vnum, lx, c float64) vnum {
	tj, st := tau[j], sqt[j]
	lb := g[j].addConst(lx)
	b := lb.exp()
	vst := v.mulc(st)
	ivst := vst.recip()
	dtj := drift.mulc(tj)
	dm0 := lb.add(dtj).mul(ivst)
	dp0 := dm0.add(vst)
	np0, np01 := normVnumPDF(dp0)
	pp0 := vnum{np01, -dp0.v * np01 * dp0.vol}
	nm0 := densityBelow(np01, b.v/c, dm0.v)
	pm0 := vnum{nm0, -dm0.v * nm0 * dm0.vol}
	num := pm0.mul(ivst)
	den := pp0.mul(ivst).add(np0)
	ibv := b.mul(v2).recip().scale(-1)
	numD := dm0.mul(pm0).divc(tj).mul(ibv)
	denD := dm0.mul(pp0).divc(tj).mul(ibv)
	// √τ/σ: constant over vnum.
	stvv := st / v.v
	stv := vnum{stvv, -stvv / v.v * v.vol}
	// The arguments at every point first, then their Gaussians, then the sums: no value of
	// the sums is live across the Gaussians' calls, which would save and restore it.
	var dms, dps [fpQuad]vnum
	for k := range rl.quad {
		half := rl.qHalf[k]
		w := &rl.interp[j][k]
		var hu vnum
		for i := range tab.nodes {
			hu = hu.add(h[i].scale(w[i]))
		}
		lbu := vnum{v: lx}
		if hu.v > 1e-300 {
			lbu = hu.sqrt().scale(-1).addConst(lx)
		}
		dm := lb.sub(lbu).add(dtj.scale(half * half)).mul(ivst).scale(rl.qInv[k])
		dms[k], dps[k] = dm, dm.add(vst.scale(half))
	}
	var cps, nps, nms [fpQuad]float64
	for k := range rl.quad {
		cps[k], nps[k] = normCDFPDF(dps[k].v)
		nms[k] = normPDF(dms[k].v)
	}
	var nI, dI vnum
	for k := range rl.quad {
		half := rl.qHalf[k]
		dm, dp := dms[k], dps[k]
		// N(dp) and the densities at dp and dm with their vegas, as in fpStep.
		np1 := nps[k]
		np := vnum{cps[k], np1 * dp.vol}
		pp := vnum{np1, -dp.v * np1 * dp.vol}
		nm := nms[k]
		pm := vnum{nm, -dm.v * nm * dm.vol}
		w := rl.qw[k]
		em, eq := w*eru[k], w*equ[k]
		nI = nI.add(pm.scale(em))
		dI = dI.add(pp.mul(stv).add(np.mulc(tj).scale(half)).scale(eq))
	}
	num = num.add(stv.scale(r).mul(nI))
	den = den.add(dI.scale(q))
	f := num.scale(c).div(den)
	fd := numD.div(den).sub(denD.mul(num).div(den.mul(den))).scale(c)
	nb := b.add(b.sub(f).div(fd.addConst(-1)))
	if !(nb.v > 0) || math.IsNaN(nb.v) {
		nb = b.scale(0.5)
	}
	ng := nb.log().addConst(-lx)
	if !(ng.v < 0) {
		return vnum{}
	}
	return ng
}

// bawSeedVega is bawSeed with the derivative in volatility only.
type bawSeedVega struct {
	negOm1, om1sq, m4 vnum
	sInf, sInfC       vnum
	xs                vnum // X - sInf
	carry             vnum // r - q + σ²/2
}

func newBAWSeedVega(r, q float64, v vnum, c *fpConst) bawSeedVega {
	v2 := v.mul(v)
	m := vnum{v: 2 * r}.div(v2)
	om1 := vnum{v: (r - q) * 2}.div(v2).addConst(-1)
	var s bawSeedVega
	s.negOm1, s.om1sq, s.m4 = om1.scale(-1), om1.mul(om1), m.scale(4)
	lamInf := s.negOm1.sub(s.om1sq.add(s.m4).sqrt()).scale(0.5)
	s.sInf = lamInf.recip().scale(-1).addConst(1).recip()
	s.sInfC = s.sInf.scale(-1).addConst(1)
	s.xs = s.sInf.scale(-1).addConst(c.x)
	s.carry = v2.scale(0.5).addConst(r - q)
	return s
}

// at is bawSeed.at with the derivative in volatility only.
func (s *bawSeedVega) at(tau, sqt, r, q float64, v vnum, lx float64, c *fpConst, j int) vnum {
	if tau == 0 {
		return vnum{}
	}
	h := -c.expm1[j]
	lam := s.negOm1.sub(s.om1sq.add(s.m4.divc(h)).sqrt()).scale(0.5)
	vst := v.mulc(sqt)
	h1 := vst.scale(2).scale(-1).addConst((r - q) * tau).div(s.sInfC)
	x := c.x
	b := s.sInf.add(h1.exp().mul(s.xs))
	eq := c.bawEq[j]
	er := c.bawEr[j]
	carry := s.carry.mulc(tau)
	vstLam := vst.mul(lam)
	for range fpSeedSteps {
		d1 := b.log().add(carry).div(vst)
		n1, pd1 := normVnumPDF(d1.scale(-1))
		en1 := n1.scale(eq)
		md2 := d1.sub(vst).scale(-1)
		pd2 := densityBelow(pd1, b.v/c.carry[j], -md2.v)
		n2 := vnum{normCDFOf(md2.v, pd2), pd2 * md2.vol}
		pE := n2.scale(er).sub(b.mul(en1))
		gv := b.scale(-1).addConst(1).sub(pE).add(en1.scale(-1).addConst(1).mul(b).div(lam))
		epd1 := d1.chain(pd1, -d1.v*pd1).scale(eq)
		gd := en1.addConst(-1).add(en1.scale(-1).addConst(1).div(lam)).add(epd1.div(vstLam))
		gdd := epd1.div(b.mul(vst)).mul(lam.recip().addConst(-1).sub(d1.div(vstLam)))
		nb := b.sub(gv.mul(gd).scale(2).div(gd.mul(gd).scale(2).sub(gv.mul(gdd))))
		if !(nb.v > 0 && nb.v < x) || math.IsNaN(nb.v) {
			break
		}
		b = nb
	}
	if !(b.v < x) {
		return vnum{}
	}
	return b.log().addConst(-lx)
}
