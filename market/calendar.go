package market

import (
	"sync"
	"sync/atomic"
	"time"

	// The New York zone must load on machines without a zoneinfo database (scratch images, Windows).
	_ "time/tzdata"
)

// NewYork is the exchange's time zone; sessions and calendar dates are New York time.
var NewYork = loadNewYork()

func loadNewYork() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		// Unreachable with time/tzdata linked in; a fixed EST zone keeps the package usable regardless.
		return time.FixedZone("EST", -5*60*60)
	}
	return loc
}

// Session hours in New York time.
const (
	openHour, openMinute = 9, 30
	closeHour            = 16
	earlyCloseHour       = 13
	barLength            = 15 * time.Minute
)

// Calendar is the NYSE trading calendar. Holidays and early closes are
// derived by rule for each year on first use (the rules hold for 1990-2100),
// plus the few unscheduled closures since 1990. A Calendar is safe for
// concurrent use.
//
// Dates are time.Time values whose year, month and day are the New York
// calendar date; by convention they sit at 00:00 UTC (see DateOf), and only
// their Y-M-D fields are read. Instants are returned in UTC.
type Calendar struct {
	mu    sync.Mutex
	years map[int]*yearDays
	last  atomic.Pointer[yearDays] // the year asked for last: most lookups stay in one year
}

// yearDays holds one year's exceptions, keyed by dayKey.
type yearDays struct {
	year     int
	holidays map[int]string // closed weekdays and their names
	early    map[int]bool   // 13:00 closes
}

var nyse = sync.OnceValue(func() *Calendar { return &Calendar{years: map[int]*yearDays{}} })

// NYSE returns the New York Stock Exchange calendar (one shared instance).
func NYSE() *Calendar { return nyse() }

// DateOf returns the New York calendar date of instant t, as 00:00 UTC.
func DateOf(t time.Time) time.Time {
	return civil(t.In(NewYork))
}

// civil drops everything but t's own year, month and day.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dayKey(y int, m time.Month, d int) int { return y*10000 + int(m)*100 + d }

// IsTradingDay reports whether the exchange holds a session on date.
func (c *Calendar) IsTradingDay(date time.Time) bool {
	switch date.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	y, m, d := date.Date()
	_, closed := c.year(y).holidays[dayKey(y, m, d)]
	return !closed
}

// Holiday returns the name of the holiday or closure that shuts the exchange
// on a weekday date. Weekends are not holidays.
func (c *Calendar) Holiday(date time.Time) (name string, ok bool) {
	y, m, d := date.Date()
	name, ok = c.year(y).holidays[dayKey(y, m, d)]
	return name, ok
}

// IsEarlyClose reports whether date is a trading day that closes at 13:00 New York time.
func (c *Calendar) IsEarlyClose(date time.Time) bool {
	y, m, d := date.Date()
	return c.IsTradingDay(date) && c.year(y).early[dayKey(y, m, d)]
}

// Session returns the opening and closing instants (UTC) of date's regular
// session; ok is false when the exchange is closed.
func (c *Calendar) Session(date time.Time) (open, close time.Time, ok bool) {
	if !c.IsTradingDay(date) {
		return time.Time{}, time.Time{}, false
	}
	y, m, d := date.Date()
	ch := closeHour
	if c.year(y).early[dayKey(y, m, d)] {
		ch = earlyCloseHour
	}
	open = time.Date(y, m, d, openHour, openMinute, 0, 0, NewYork).UTC()
	close = time.Date(y, m, d, ch, 0, 0, 0, NewYork).UTC()
	return open, close, true
}

// TradingDays returns the trading days from from to to, both inclusive.
func (c *Calendar) TradingDays(from, to time.Time) []time.Time {
	from, to = civil(from), civil(to)
	var days []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if c.IsTradingDay(d) {
			days = append(days, d)
		}
	}
	return days
}

// NextTradingDay returns the first trading day strictly after date.
func (c *Calendar) NextTradingDay(date time.Time) time.Time {
	d := civil(date).AddDate(0, 0, 1)
	for !c.IsTradingDay(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// PrevTradingDay returns the last trading day strictly before date.
func (c *Calendar) PrevTradingDay(date time.Time) time.Time {
	d := civil(date).AddDate(0, 0, -1)
	for !c.IsTradingDay(d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// InSession reports whether instant t falls in a regular session: open <= t < close.
func (c *Calendar) InSession(t time.Time) bool {
	open, close, ok := c.Session(DateOf(t))
	return ok && !t.Before(open) && t.Before(close)
}

// Bars15 returns the start instants (UTC) of the 15-minute bars of date's
// session: 26 on a full day, 14 on an early close, none when closed.
func (c *Calendar) Bars15(date time.Time) []time.Time {
	open, close, ok := c.Session(date)
	if !ok {
		return nil
	}
	bars := make([]time.Time, 0, close.Sub(open)/barLength)
	for t := open; t.Before(close); t = t.Add(barLength) {
		bars = append(bars, t)
	}
	return bars
}

func (c *Calendar) year(y int) *yearDays {
	if yd := c.last.Load(); yd != nil && yd.year == y {
		return yd
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.years == nil {
		c.years = map[int]*yearDays{}
	}
	yd, ok := c.years[y]
	if !ok {
		yd = nyseYear(y)
		c.years[y] = yd
	}
	c.last.Store(yd)
	return yd
}

// unscheduled lists the days since 1990 the NYSE closed outside its holiday
// rules. No rule can derive these, so they are the one hard-coded part.
var unscheduled = map[int]string{
	dayKey(1994, time.April, 27):     "National Day of Mourning for President Nixon",
	dayKey(2001, time.September, 11): "September 11 attacks",
	dayKey(2001, time.September, 12): "September 11 attacks",
	dayKey(2001, time.September, 13): "September 11 attacks",
	dayKey(2001, time.September, 14): "September 11 attacks",
	dayKey(2004, time.June, 11):      "National Day of Mourning for President Reagan",
	dayKey(2007, time.January, 2):    "National Day of Mourning for President Ford",
	dayKey(2012, time.October, 29):   "Hurricane Sandy",
	dayKey(2012, time.October, 30):   "Hurricane Sandy",
	dayKey(2018, time.December, 5):   "National Day of Mourning for President George H. W. Bush",
	dayKey(2025, time.January, 9):    "National Day of Mourning for President Carter",
}

// nyseYear applies NYSE Rule 7.2's holidays and the customary early closes to year y.
func nyseYear(y int) *yearDays {
	yd := &yearDays{year: y, holidays: map[int]string{}, early: map[int]bool{}}
	add := func(d time.Time, name string) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			yd.holidays[dayKey(d.Date())] = name
		}
	}
	date := func(m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

	// New Year's Day on a Sunday moves to Monday; on a Saturday it is not observed
	// at all, because the exchange keeps December 31 open to close the year.
	nyd := date(time.January, 1)
	if nyd.Weekday() == time.Sunday {
		nyd = nyd.AddDate(0, 0, 1)
	}
	add(nyd, "New Year's Day")
	if y >= 1998 { // the exchange first closed for Martin Luther King Jr. Day in 1998
		add(nthWeekday(y, time.January, time.Monday, 3), "Martin Luther King Jr. Day")
	}
	add(nthWeekday(y, time.February, time.Monday, 3), "Washington's Birthday")
	add(easter(y).AddDate(0, 0, -2), "Good Friday")
	add(lastWeekday(y, time.May, time.Monday), "Memorial Day")
	if y >= 2022 {
		add(observed(date(time.June, 19)), "Juneteenth National Independence Day")
	}
	add(observed(date(time.July, 4)), "Independence Day")
	add(nthWeekday(y, time.September, time.Monday, 1), "Labor Day")
	thanksgiving := nthWeekday(y, time.November, time.Thursday, 4)
	add(thanksgiving, "Thanksgiving Day")
	add(observed(date(time.December, 25)), "Christmas Day")
	for k, name := range unscheduled {
		if k/10000 == y {
			yd.holidays[k] = name
		}
	}

	early := func(d time.Time) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			return
		}
		if _, closed := yd.holidays[dayKey(d.Date())]; !closed {
			yd.early[dayKey(d.Date())] = true
		}
	}
	early(thanksgiving.AddDate(0, 0, 1))
	early(date(time.December, 24))
	if wd := date(time.July, 4).Weekday(); wd != time.Saturday && wd != time.Sunday {
		early(date(time.July, 3))
	}
	return yd
}

// observed moves a fixed-date holiday off the weekend: Saturday to Friday, Sunday to Monday.
func observed(d time.Time) time.Time {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDate(0, 0, -1)
	case time.Sunday:
		return d.AddDate(0, 0, 1)
	}
	return d
}

// nthWeekday returns the n-th (1-based) given weekday of the month.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) time.Time {
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	offset := (int(wd) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, offset+7*(n-1))
}

// lastWeekday returns the last given weekday of the month.
func lastWeekday(y int, m time.Month, wd time.Weekday) time.Time {
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
	offset := (int(last.Weekday()) - int(wd) + 7) % 7
	return last.AddDate(0, 0, -offset)
}

// easter returns Western Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func easter(y int) time.Time {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}
