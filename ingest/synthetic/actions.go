package synthetic

import (
	"math"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// Corporate actions (see the package documentation) come from a stream of
// their own, so adding them moved no price, bar or quote drawn before.
const tagActions uint64 = 0xac710

// Splits happen to symbols whose reference price is above splitAbove, once,
// on a trading day between splitFrom and splitTo.
var (
	splitFrom = time.Date(2013, time.January, 1, 0, 0, 0, 0, time.UTC)
	splitTo   = time.Date(2024, time.December, 31, 0, 0, 0, 0, time.UTC)
)

const splitAbove = 300.0

// split is a symbol's one split: ratio new shares for each old one from
// timeline day at; ratio 1 means none.
type split struct {
	at    int
	ratio float64
}

// drawSplit decides a symbol's split: a high-priced stock splits 2, 3 or 4
// for 1 on a uniformly drawn trading day. The simulated path is the
// split-adjusted price; raw prices before the split are ratio times it.
func (m *Market) drawSplit(s *symbol) split {
	if s.p.refPrice <= splitAbove {
		return split{ratio: 1}
	}
	r := newStream(mix(mix(s.key, tagActions), 1))
	lo, _ := m.tl.search(splitFrom)
	hi, _ := m.tl.search(splitTo)
	at := lo + int(r.float()*float64(hi-lo))
	return split{at: at, ratio: float64(2 + int(r.float()*3))}
}

// dividendDays are a symbol's quarterly ex-dates: the first trading day on
// or after day 3-22 of every third month, the cycle and day drawn once.
func (m *Market) dividendDays(s *symbol, from, to time.Time) []int {
	r := newStream(mix(mix(s.key, tagActions), 2))
	phase := int(r.float() * 3)
	dom := 3 + int(r.float()*20)
	var out []int
	for mo := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !mo.After(to); mo = mo.AddDate(0, 1, 0) {
		if (int(mo.Month())-1)%3 != phase {
			continue
		}
		d := mo.AddDate(0, 0, dom-1)
		if d.Before(anchor.AddDate(0, 0, 7)) {
			continue
		}
		i, day := m.tl.search(d)
		if !day.Before(from) && !day.After(to) {
			out = append(out, i)
		}
	}
	return out
}

// Actions returns the symbol's dividends and splits with ex-dates in
// [from, to] (dates), oldest first; Amount, Numerator and Denominator are
// NaN where they do not apply, as the processor stores them.
//
// A stock with a dividend yield q pays a quarter of it in cash each
// quarter: the amount is the previous session's raw close times
// 1 - exp(-q/4), in cents, so four payments over a year come to q of the
// price as a continuous yield (a trailing 12-month yield ln(1 + D/S) is q
// up to the price's moves over the year). The path is not marked down on
// ex-dates: its drift is the price return, the dividend is paid on top,
// and options are priced with the same continuous q. A dividend that
// rounds to nothing (a few early ones of cheap stocks) is not paid. A split is on the day
// the raw prices drop by its ratio; volumes before it are divided by it.
func (m *Market) Actions(symbol string, from, to time.Time) []market.CorporateAction {
	s, from, to := m.span(symbol, from, to)
	if s == nil {
		return nil
	}
	var out []market.CorporateAction
	sp := s.path.split
	splitDay := m.tl.day(sp.at)
	addSplit := func() {
		out = append(out, market.CorporateAction{Symbol: s.name, ExDate: splitDay, Action: market.ActionSplit,
			Amount: math.NaN(), Numerator: sp.ratio, Denominator: 1})
	}
	pending := sp.ratio != 1 && !splitDay.Before(from) && !splitDay.After(to)
	if s.p.divYield > 0 {
		for _, i := range m.dividendDays(s, from, to) {
			day := m.tl.day(i)
			if pending && splitDay.Before(day) {
				addSplit()
				pending = false
			}
			amount := math.Round(s.path.get(i-1).close()*-math.Expm1(-s.p.divYield/4)*100) / 100
			if amount <= 0 {
				continue
			}
			out = append(out, market.CorporateAction{Symbol: s.name, ExDate: day, Action: market.ActionDividend,
				Amount: amount, Numerator: math.NaN(), Denominator: math.NaN()})
		}
	}
	if pending {
		addSplit()
	}
	return out
}
