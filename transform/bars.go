package transform

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
)

// Fill is the method that imputed a value.
type Fill int

// Imputation methods, in the order they are tried.
const (
	FillForward    Fill = iota // the previous good bar's value
	FillBackward               // the next good bar's value
	FillSymbolMean             // the mean of the symbol's accepted bars
	FillMedian                 // volume: the median of the message's good bars
	numFills
)

func (f Fill) String() string {
	switch f {
	case FillForward:
		return "forward_fill"
	case FillBackward:
		return "backward_fill"
	case FillSymbolMean:
		return "symbol_mean"
	case FillMedian:
		return "volume_median"
	}
	return "Fill(" + strconv.Itoa(int(f)) + ")"
}

// Report counts what the rules did to one message, for metrics and tests.
type Report struct {
	Filled       [numFills]int // values imputed in accepted bars, by method
	GapBars      int           // bars inserted for sessions missing from a series
	Deduplicated int           // records dropped because a later one had the same key
	Unsolved     int           // option quotes left without implied volatility
	// UnsolvedBy splits Unsolved by why no volatility was found.
	UnsolvedBy [numUnsolved]int
}

// The four prices of a bar, in this order.
const (
	open = iota
	high
	low
	closePx
	numPrices
)

// row is one bar while it is cleaned: a listed value or an inserted gap bar.
type row struct {
	t       instant
	px      [numPrices]float64 // NaN: missing
	vol     int64
	volOK   bool // volume present (it may still be negative)
	pos     int  // position in the message's values; -1 for a gap bar
	imputed bool
	inCal   bool            // a trading day (daily) or inside a session (15-minute)
	future  bool            // after now plus the slack
	good    bool            // prices valid as listed: may donate values to gaps
	filled  [numFills]uint8 // values imputed, by method
}

// instant is a bar's time in UTC without time.Time's location pointer, so
// that rows hold no pointers: the collector need not scan them, and moving
// them (sorting, merging gap bars, compacting) needs no write barriers.
type instant struct {
	sec  int64
	nsec int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

func (a instant) time() time.Time { return time.Unix(a.sec, int64(a.nsec)).UTC() }

func (a instant) compare(b instant) int {
	if c := cmp.Compare(a.sec, b.sec); c != 0 {
		return c
	}
	return cmp.Compare(a.nsec, b.nsec)
}

func (a instant) after(b instant) bool { return a.compare(b) > 0 }

// coerce parses a listed value: a datetime in the exchange's zone becomes
// UTC; a price or volume that is missing or not a number becomes missing.
func coerce(v wire.TSValue, interval string, pos int) (row, error) {
	r := row{pos: pos}
	f, err := v.Parse(interval)
	if err != nil {
		return r, err
	}
	r.t = instantOf(f.Time)
	r.px = [numPrices]float64{f.Open, f.High, f.Low, f.Close}
	// Parse gives -1 for a volume it cannot read; only then is a second look needed.
	if f.Volume >= 0 {
		r.vol, r.volOK = f.Volume, true
	} else if x, err := strconv.ParseFloat(v.Volume, 64); err == nil && !math.IsNaN(x) {
		r.vol, r.volOK = f.Volume, true
	}
	return r, nil
}

// check is validation: it returns the reason a complete bar is refused, or "".
func (c *Cleaner) check(r *row, interval string) (reason, detail string) {
	for _, p := range r.px {
		if math.IsNaN(p) {
			return ReasonMissingValue, "a price is missing and could not be imputed"
		}
		if math.IsInf(p, 0) {
			return ReasonNotANumber, "a price is not a finite number"
		}
		if p <= 0 {
			return ReasonNonPositive, fmt.Sprintf("price %g <= 0", p)
		}
	}
	o, h, l, cl := r.px[open], r.px[high], r.px[low], r.px[closePx]
	if h < math.Max(o, cl) || l > math.Min(o, cl) || l > h {
		return ReasonOHLC, fmt.Sprintf("open %g high %g low %g close %g", o, h, l, cl)
	}
	if !r.volOK {
		return ReasonMissingValue, "volume is missing and could not be imputed"
	}
	if r.vol < 0 {
		return ReasonNegativeVolume, fmt.Sprintf("volume %d < 0", r.vol)
	}
	if r.future {
		return ReasonFuture, "timestamp is after now"
	}
	if !r.inCal {
		if interval == wire.Interval15Min {
			return ReasonOutsideSession, "outside the NYSE session"
		}
		return ReasonOutsideSession, "not a trading day"
	}
	return "", ""
}

// donor reports whether a listed bar in the calendar may lend its prices to
// gaps: every price present, positive, consistent, and not in the future.
// Its volume may be missing.
func (c *Cleaner) donor(r *row) bool {
	for _, p := range r.px {
		if !(p > 0) || math.IsInf(p, 0) {
			return false
		}
	}
	o, h, l, cl := r.px[open], r.px[high], r.px[low], r.px[closePx]
	return h >= math.Max(o, cl) && l <= math.Min(o, cl) && !r.future
}

// complete reports whether every value of the bar is present.
func (r *row) complete() bool {
	for _, p := range r.px {
		if math.IsNaN(p) {
			return false
		}
	}
	return r.volOK
}

// series is the cleaned content of one time_series message.
type series struct {
	symbol  string
	rows    []row // accepted, in time order
	rejects []Reject
	report  Report
}

// cleanSeries runs the bar rules in their documented order: coercion, gap
// handling, de-duplication, validation.
func (c *Cleaner) cleanSeries(ts wire.TimeSeries) series {
	interval := ts.Meta.Interval
	sym, err := symbolOf(ts.Meta.Symbol)
	if err != nil {
		payload, _ := json.Marshal(ts)
		return series{rejects: []Reject{{Reason: ReasonBadSymbol, Detail: err.Error(), Symbol: ts.Meta.Symbol, Payload: payload}}}
	}
	s := series{symbol: sym}
	reject := func(pos int, reason, detail string) {
		v := ts.Values[pos]
		payload, _ := json.Marshal(v)
		s.rejects = append(s.rejects, Reject{Reason: reason, Detail: fmt.Sprintf("%s %s: %s", sym, v.Datetime, detail), Symbol: sym, Payload: payload})
	}

	// 1. Type coercion.
	horizonAt := instantOf(c.horizon())
	cal := &slots{cal: c.Calendar, intraday: interval == wire.Interval15Min}
	// Room for a few inserted gap bars, so that gap handling rarely has to copy.
	rows := getRows(len(ts.Values) + len(ts.Values)/64 + 4)
	for i, v := range ts.Values {
		r, err := coerce(v, interval, i)
		if err != nil {
			reject(i, ReasonBadTimestamp, err.Error())
			continue
		}
		r.inCal = cal.has(r.t.time())
		r.future = r.t.after(horizonAt)
		r.good = r.inCal && c.donor(&r)
		rows = append(rows, r)
	}
	// Oldest first; among equal times the one listed first (the provider lists
	// newest first, so that is the latest revision) comes first, and the
	// others, about to be dropped, never donate values. Reversed, a
	// provider's list is usually in this order already.
	slices.Reverse(rows)
	byTime := func(a, b row) int {
		if c := a.t.compare(b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	}
	if !slices.IsSortedFunc(rows, byTime) {
		slices.SortFunc(rows, byTime)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].t == rows[i-1].t {
			rows[i].good = false
		}
	}

	// 2. Gap handling, inside the session calendar only.
	rows = c.insertGaps(rows, interval)
	c.impute(rows, sym, interval)

	// 3. De-duplication by natural key, keeping the latest.
	kept := rows[:0]
	for i := range rows {
		if len(kept) > 0 && kept[len(kept)-1].t == rows[i].t {
			s.report.Deduplicated++
			continue
		}
		kept = append(kept, rows[i])
	}
	rows = kept

	// 4. Validation.
	s.rows = rows[:0] // accepted rows are compacted in place
	for i := range rows {
		r := &rows[i]
		if reason, detail := c.check(r, interval); reason != "" {
			// An inserted bar copies a good bar's prices, so only a volume
			// that could not be imputed fails it; it has no original to send.
			if r.pos >= 0 {
				reject(r.pos, reason, detail)
			}
			continue
		}
		if r.pos < 0 {
			s.report.GapBars++
		}
		for f, n := range r.filled {
			s.report.Filled[f] += int(n)
		}
		s.rows = append(s.rows, *r)
	}
	c.remember(sym, interval, s.rows)
	return s
}

// rowBuffers keeps the working rows of cleaned messages for the next one: a
// message of 5000 bars needs half a megabyte of them, and allocating and
// collecting that for every message was a third of the cost of cleaning.
var rowBuffers sync.Pool

// getRows returns an empty row slice with room for n rows.
func getRows(n int) []row {
	if p, ok := rowBuffers.Get().(*[]row); ok && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]row, 0, n)
}

// putRows hands a series' rows back once its bars are out.
func putRows(rows []row) {
	rows = rows[:0]
	rowBuffers.Put(&rows)
}

// barLength is the length of an intraday bar; day steps calendar dates,
// which are kept at 00:00 UTC where every day has 24 hours.
const (
	barLength = 15 * time.Minute
	day       = 24 * time.Hour
)

// maxGaps bounds the bars gap handling inserts into one message: Twelve Data
// returns at most 5000 values, so more holes than that are not a window of
// bars with some missing, and filling them would invent most of the series.
const maxGaps = 5000

// slots steps through the calendar's bar times: trading days, or the
// 15-minute bars of each session (13:00 closes included). It keeps the
// session in hand, since looking one up is the costly part.
type slots struct {
	cal        *market.Calendar
	intraday   bool
	date       time.Time // the session in hand, 00:00 UTC
	open, shut time.Time
}

// after returns the first bar time strictly after t, which need not be one.
func (s *slots) after(t time.Time) time.Time {
	if !s.intraday {
		d := t.Add(day)
		for !s.cal.IsTradingDay(d) {
			d = d.Add(day)
		}
		return d
	}
	if s.date.IsZero() || t.Before(s.open) || !t.Before(s.shut) {
		s.session(market.DateOf(t))
	}
	if !t.Before(s.open) {
		n := s.open.Add((t.Sub(s.open)/barLength + 1) * barLength)
		if n.Before(s.shut) {
			return n
		}
	} else if s.shut.After(s.open) {
		return s.open
	}
	d := s.date.Add(day)
	for !s.cal.IsTradingDay(d) {
		d = d.Add(day)
	}
	s.session(d)
	return s.open
}

// has reports whether t is a trading day (daily) or inside a session
// (15-minute), as Calendar.IsTradingDay and Calendar.InSession do.
func (s *slots) has(t time.Time) bool {
	if !s.intraday {
		return s.cal.IsTradingDay(t)
	}
	if s.date.IsZero() || t.Before(s.open) || !t.Before(s.shut) {
		// Outside the session in hand: look up t's own (shut == open when closed).
		s.session(market.DateOf(t))
	}
	return !t.Before(s.open) && t.Before(s.shut)
}

// nextWeekday is the first Monday-to-Friday date after d (00:00 UTC),
// in whole seconds: January 1, 1970 was a Thursday.
func nextWeekday(d instant) instant {
	const daySec = int64(day / time.Second)
	d.sec += daySec
	days := d.sec / daySec
	if d.sec%daySec < 0 {
		days--
	}
	switch time.Weekday(((days+4)%7 + 7) % 7) {
	case time.Saturday:
		d.sec += 2 * daySec
	case time.Sunday:
		d.sec += daySec
	}
	return d
}

func (s *slots) session(d time.Time) {
	s.date = d
	s.open, s.shut, _ = s.cal.Session(d)
}

// insertGaps adds an empty bar for every session (daily) or 15-minute bar
// of the calendar that lies between the first and the last good bar of the
// series and that the message does not list at all. A listed bar that fails
// validation is not replaced: its original goes to the dead letters. rows is
// in time order and stays so.
func (c *Cleaner) insertGaps(rows []row, interval string) []row {
	first, last := -1, -1
	for i := range rows {
		if rows[i].good {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 || first == last {
		return rows
	}
	// Walk the listed calendar times in order; every bar time the calendar
	// has between two of them is a gap.
	cal := &slots{cal: c.Calendar, intraday: interval == wire.Interval15Min}
	var gaps []time.Time
	const barSec = int64(barLength / time.Second)
	cursor := rows[first].t
	for j := first + 1; j <= last; j++ {
		t := rows[j].t
		if !rows[j].inCal || !t.after(cursor) {
			continue
		}
		// The usual cases need no calendar lookup, nor a time.Time: the next weekday
		// listed, or the next 15-minute bar after one on the grid (sessions open at 9:30
		// New York, a whole number of quarter hours after midnight UTC), with no bar time
		// between the two.
		if cal.intraday && cursor.sec%barSec == 0 && t.sec-cursor.sec == barSec && t.nsec == cursor.nsec ||
			!cal.intraday && nextWeekday(cursor) == t {
			cursor = t
			continue
		}
		end := t.time()
		for s := cal.after(cursor.time()); s.Before(end); s = cal.after(s) {
			if len(gaps) == maxGaps {
				return rows
			}
			gaps = append(gaps, s)
		}
		cursor = t
	}
	if len(gaps) == 0 {
		return rows
	}
	// Merge from the back, in place when rows has the room (cleanSeries leaves some): no
	// listed time equals a gap, so each row goes after the gaps before it.
	n := len(rows)
	rows = slices.Grow(rows, len(gaps))[:n+len(gaps)]
	nan := math.NaN()
	i, k := n-1, len(gaps)-1
	for w := len(rows) - 1; k >= 0; w-- {
		if i >= 0 && rows[i].t.after(instantOf(gaps[k])) {
			rows[w] = rows[i]
			i--
			continue
		}
		rows[w] = row{t: instantOf(gaps[k]), px: [numPrices]float64{nan, nan, nan, nan}, pos: -1, inCal: true}
		k--
	}
	return rows
}

// impute fills every missing value: a price from the previous good bar
// (forward fill), else the next one (backward fill), else the symbol's mean;
// a volume with the median of the message's good bars, else the symbol's mean.
func (c *Cleaner) impute(rows []row, sym, interval string) {
	missing := false
	for i := range rows {
		if !rows[i].complete() {
			missing = true
			break
		}
	}
	if !missing {
		return
	}
	// next[i] is the first good bar at or after i.
	next := make([]int, len(rows)+1)
	next[len(rows)] = -1
	for i := len(rows) - 1; i >= 0; i-- {
		next[i] = next[i+1]
		if rows[i].good {
			next[i] = i
		}
	}
	var vols []int64
	for i := range rows {
		if rows[i].good && rows[i].volOK && rows[i].vol >= 0 {
			vols = append(vols, rows[i].vol)
		}
	}
	median, haveMedian := medianOf(vols)
	mean, haveMean := c.symbolMean(sym, interval)
	prev := -1
	for i := range rows {
		r := &rows[i]
		if r.good {
			prev = i // its prices are complete; its volume may still need filling
		}
		donor, how := prev, FillForward
		if donor < 0 {
			donor, how = next[i], FillBackward
		}
		for k, p := range r.px {
			if !math.IsNaN(p) {
				continue
			}
			switch {
			case donor >= 0:
				r.px[k] = rows[donor].px[k]
			case haveMean:
				r.px[k], how = mean.px[k], FillSymbolMean
			default:
				continue
			}
			r.imputed = true
			r.filled[how]++
		}
		if !r.volOK {
			switch {
			case haveMedian:
				r.vol, r.volOK = median, true
				r.filled[FillMedian]++
			case haveMean:
				r.vol, r.volOK = int64(math.Round(mean.vol)), true
				r.filled[FillSymbolMean]++
			default:
				continue
			}
			r.imputed = true
		}
	}
}

// medianOf returns the median (the lower middle of an even count, so it is
// always an observed volume).
func medianOf(v []int64) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	return v[(len(v)-1)/2], true
}

// DailyBars cleans a daily time_series message.
func (c *Cleaner) DailyBars(ts wire.TimeSeries) ([]market.DailyBar, []Reject) {
	rows, rejects, _ := c.dailyBars(ts)
	return rows, rejects
}

func (c *Cleaner) dailyBars(ts wire.TimeSeries) ([]market.DailyBar, []Reject, Report) {
	if ts.Meta.Interval != wire.Interval1Day {
		return nil, []Reject{intervalReject(ts, "daily")}, Report{}
	}
	s := c.cleanSeries(ts)
	now := c.now().UTC()
	out := make([]market.DailyBar, len(s.rows))
	for i, r := range s.rows {
		out[i] = market.DailyBar{Symbol: s.symbol, Date: r.t.time(), Open: r.px[open], High: r.px[high], Low: r.px[low],
			Close: r.px[closePx], Volume: r.vol, Imputed: r.imputed, IngestedAt: now}
	}
	putRows(s.rows)
	return out, s.rejects, s.report
}

// IntradayBars cleans a 15-minute time_series message.
func (c *Cleaner) IntradayBars(ts wire.TimeSeries) ([]market.IntradayBar, []Reject) {
	rows, rejects, _ := c.intradayBars(ts)
	return rows, rejects
}

func (c *Cleaner) intradayBars(ts wire.TimeSeries) ([]market.IntradayBar, []Reject, Report) {
	if ts.Meta.Interval != wire.Interval15Min {
		return nil, []Reject{intervalReject(ts, "15min")}, Report{}
	}
	s := c.cleanSeries(ts)
	now := c.now().UTC()
	out := make([]market.IntradayBar, len(s.rows))
	for i, r := range s.rows {
		out[i] = market.IntradayBar{Symbol: s.symbol, TS: r.t.time(), Open: r.px[open], High: r.px[high], Low: r.px[low],
			Close: r.px[closePx], Volume: r.vol, Imputed: r.imputed, IngestedAt: now}
	}
	putRows(s.rows)
	return out, s.rejects, s.report
}

func intervalReject(ts wire.TimeSeries, topic string) Reject {
	payload, _ := json.Marshal(ts)
	return Reject{Reason: ReasonDecode, Detail: fmt.Sprintf("interval %q on the %s topic", ts.Meta.Interval, topic),
		Symbol: ts.Meta.Symbol, Payload: payload}
}
