package synthetic

import (
	"math"
	"sync"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// subSteps is the number of Brownian-bridge steps inside each 15-minute bar.
const subSteps = 5

// bar is one clean 15-minute bar before it gets a symbol and a timestamp.
type bar struct {
	open, high, low, close float64
	volume                 int64
}

// shape is the intraday profile of every session with the same number of bars.
type shape struct {
	stepSD   []float64 // square root of each sub-step's share of the session variance
	cumShare []float64 // share of the session variance done at each sub-step boundary
	barShare []float64 // each bar's share of the day's volume
}

var shapes sync.Map // bar count -> *shape

// shapeOf returns the profile of an n-bar session: sub-step variance weights
// 1 + 1.2x^2 and bar volume weights 1 + 2.5x^2 (x from -1 at the open to 1 at
// the close), the first bar's volume x1.3 and the closing auction's x1.6.
func shapeOf(n int) *shape {
	if sh, ok := shapes.Load(n); ok {
		return sh.(*shape)
	}
	steps := n * subSteps
	sh := &shape{stepSD: make([]float64, steps), cumShare: make([]float64, steps+1), barShare: make([]float64, n)}
	var total float64
	for j := range steps {
		x := (float64(j)+0.5)/float64(steps)*2 - 1
		sh.stepSD[j] = 1 + 1.2*x*x
		total += sh.stepSD[j]
	}
	for j, w := range sh.stepSD {
		sh.cumShare[j+1] = sh.cumShare[j] + w/total
		sh.stepSD[j] = math.Sqrt(w / total)
	}
	total = 0
	for k := range n {
		x := (float64(k)+0.5)/float64(n)*2 - 1
		w := 1 + 2.5*x*x
		switch k {
		case 0:
			w *= 1.3
		case n - 1:
			w *= 1.6
		}
		sh.barShare[k] = w
		total += w
	}
	for k := range sh.barShare {
		sh.barShare[k] /= total
	}
	actual, _ := shapes.LoadOrStore(n, sh)
	return actual.(*shape)
}

// sessionBars builds the n clean bars of one session of symbol s: a Brownian
// bridge in log price from the day's open to its close with a U-shaped
// variance profile, each sub-step's high and low drawn from the exact
// distribution of a Brownian bridge's maximum and minimum.
func sessionBars(s *symbol, date time.Time, d dayState, n int) []bar {
	if n == 0 {
		return nil
	}
	r := newStream(mix(mix(s.key, tagIntraday), uint64(date.Unix()/86400)))
	sh := shapeOf(n)
	steps := n * subSteps
	sessionVar := (1 - gapShare) * d.h
	sd := math.Sqrt(sessionVar)

	// A free Brownian motion, then pinned: x = open + W - share*(W_end - move).
	x := make([]float64, steps+1)
	for j := range steps {
		x[j+1] = x[j] + sd*sh.stepSD[j]*r.norm()
	}
	miss := x[steps] - (d.logClose - d.logOpen)
	for j := range x {
		x[j] = d.logOpen + x[j] - sh.cumShare[j]*miss
	}
	x[0], x[steps] = d.logOpen, d.logClose // exact ends, so bars agree with Spot and the daily path

	// The day's volume scales with the conditional volatility.
	dayVolume := s.p.baseVolume * math.Sqrt(d.h/s.p.hbar) * math.Exp(0.3*r.norm()-0.045) * float64(n) / 26 / d.shares

	bars := make([]bar, n)
	for k := range bars {
		first, last := k*subSteps, (k+1)*subSteps
		hi, lo := math.Max(x[first], x[last]), math.Min(x[first], x[last])
		for j := first; j < last; j++ {
			a, b := x[j], x[j+1]
			v2 := 2 * sessionVar * sh.stepSD[j] * sh.stepSD[j]
			hi = math.Max(hi, (a+b+math.Sqrt((b-a)*(b-a)-v2*math.Log(r.open())))/2)
			lo = math.Min(lo, (a+b-math.Sqrt((b-a)*(b-a)-v2*math.Log(r.open())))/2)
		}
		o, c := cents(math.Exp(x[first])), cents(math.Exp(x[last]))
		bars[k] = bar{
			open:   o,
			close:  c,
			high:   math.Max(cents(math.Exp(hi)), math.Max(o, c)),
			low:    math.Min(cents(math.Exp(lo)), math.Min(o, c)),
			volume: max(int64(math.Round(dayVolume*sh.barShare[k]*math.Exp(0.25*r.norm()-0.03125))), 100),
		}
	}
	return bars
}

// barCount is the number of 15-minute bars in date's session.
func (m *Market) barCount(date time.Time) int {
	open, close, ok := m.cal.Session(date)
	if !ok {
		return 0
	}
	return int(close.Sub(open) / (15 * time.Minute))
}

// cleanSession returns the clean bars and bar starts of one trading day, or
// nothing when the market is closed or the day precedes the simulation.
func (m *Market) cleanSession(s *symbol, date time.Time) ([]bar, []time.Time) {
	if date.Before(anchor) {
		return nil, nil
	}
	i, day := m.tl.search(date)
	if !day.Equal(date) {
		return nil, nil
	}
	starts := m.cal.Bars15(date)
	return sessionBars(s, date, s.path.get(i), len(starts)), starts
}

// Intraday returns the 15-minute bars of one session, TS being each bar's
// start; empty on closed days, before 2010-01-04 and for unknown symbols.
// Like every date here, date is read by its year, month and day only (see
// market.DateOf), and symbols may be in any provider spelling. With a
// DefectRate some bars are dropped, duplicated or corrupted.
func (m *Market) Intraday(symbol string, date time.Time) []market.IntradayBar {
	s := m.lookup(symbol)
	if s == nil {
		return nil
	}
	bars, starts := m.cleanSession(s, civil(date))
	out := make([]market.IntradayBar, 0, len(bars)+1)
	defectKey := mix(s.key, tagBarDefect)
	for k, b := range bars {
		row := market.IntradayBar{
			Symbol: s.name, TS: starts[k],
			Open: b.open, High: b.high, Low: b.low, Close: b.close, Volume: b.volume,
		}
		switch d := m.barDefect(mix(defectKey, uint64(row.TS.Unix()))); d {
		case defectNone:
		case defectGap:
			continue
		case defectDuplicate:
			out = append(out, row)
		default:
			corruptBar(d, &row.Open, &row.High, &row.Low, &row.Close)
		}
		out = append(out, row)
	}
	return out
}

// Daily returns the daily bars of every trading day in [from, to] (dates).
// Each bar is the exact aggregate of that day's clean intraday bars: open of
// the first, close of the last, highest high, lowest low, summed volume.
// With a DefectRate some days are dropped, duplicated or corrupted.
func (m *Market) Daily(symbol string, from, to time.Time) []market.DailyBar {
	s, from, to := m.span(symbol, from, to)
	if s == nil {
		return nil
	}
	i, day := m.tl.search(from)
	var out []market.DailyBar
	defectKey := mix(s.key, tagDailyDefect)
	for ; !day.After(to); i, day = i+1, m.tl.day(i+1) {
		bars := sessionBars(s, day, s.path.get(i), m.barCount(day))
		row := market.DailyBar{Symbol: s.name, Date: day}
		aggregate(&row, bars)
		switch d := m.barDefect(mix(defectKey, uint64(day.Unix()/86400))); d {
		case defectNone:
		case defectGap:
			continue
		case defectDuplicate:
			out = append(out, row)
		default:
			corruptBar(d, &row.Open, &row.High, &row.Low, &row.Close)
		}
		out = append(out, row)
	}
	return out
}

// span resolves a symbol and a range of dates [from, to], cut to the
// simulated history; s is nil when the symbol is unknown or nothing is left.
func (m *Market) span(symbol string, from, to time.Time) (s *symbol, _, _ time.Time) {
	s = m.lookup(symbol)
	from, to = civil(from), civil(to)
	if from.Before(anchor) {
		from = anchor
	}
	if to.Before(from) {
		return nil, from, to
	}
	return s, from, to
}

func aggregate(row *market.DailyBar, bars []bar) {
	row.Open, row.Close = bars[0].open, bars[len(bars)-1].close
	row.High, row.Low = bars[0].high, bars[0].low
	for _, b := range bars {
		row.High = math.Max(row.High, b.high)
		row.Low = math.Min(row.Low, b.low)
		row.Volume += b.volume
	}
}

// Spot is the price at instant t: during a session the close of the last
// 15-minute bar that ended at or before t (the open before the first bar
// ends), outside sessions the last close. It is 0 for unknown symbols and
// before the first simulated session.
func (m *Market) Spot(symbol string, t time.Time) float64 {
	s := m.lookup(symbol)
	if s == nil {
		return 0
	}
	price, _ := m.spot(s, t)
	return price
}

// spot also returns the timeline index of the latest session that opened at
// or before t, or -1 when there is none.
func (m *Market) spot(s *symbol, t time.Time) (float64, int) {
	date := market.DateOf(t)
	if date.Before(anchor) {
		return 0, -1
	}
	i, day := m.tl.search(date)
	if day.Equal(date) {
		open, close, _ := m.cal.Session(date)
		switch {
		case t.Before(open):
			// Before today's open: fall through to the previous session.
		case t.Before(close):
			bars := sessionBars(s, date, s.path.get(i), m.barCount(date))
			k := int(t.Sub(open) / (15 * time.Minute))
			if k == 0 {
				return bars[0].open, i
			}
			return bars[k-1].close, i
		default:
			return s.path.get(i).close(), i
		}
	}
	if i == 0 {
		return 0, -1
	}
	return s.path.get(i - 1).close(), i - 1
}

// civil keeps only a date's own year, month and day.
func civil(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}
