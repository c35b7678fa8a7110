package synthetic

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

var (
	// anchor is the first simulated session; the market has no history before it.
	anchor = time.Date(2010, time.January, 4, 0, 0, 0, 0, time.UTC)
	// refDate is the session whose close is each symbol's reference price, so
	// present-day prices land in a realistic range whatever the path did since 2010.
	refDate = time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC)
)

// The overnight gap carries this share of a day's diffusion variance (and all
// of its jumps); the session carries the rest.
const gapShare = 0.2

// timeline is the list of trading days from anchor, extended a year at a time.
type timeline struct {
	cal  *market.Calendar
	mu   sync.Mutex
	days []time.Time
	end  time.Time // days holds every trading day in [anchor, end]
}

func newTimeline(cal *market.Calendar) *timeline {
	return &timeline{cal: cal, end: anchor.AddDate(0, 0, -1)}
}

func (tl *timeline) extendLocked(through time.Time) {
	for tl.end.Before(through) {
		next := tl.end.AddDate(1, 0, 0)
		tl.days = append(tl.days, tl.cal.TradingDays(tl.end.AddDate(0, 0, 1), next)...)
		tl.end = next
	}
}

// search returns the index of the first trading day on or after date (a date
// at or after anchor) and that day.
func (tl *timeline) search(date time.Time) (int, time.Time) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.extendLocked(date.AddDate(0, 0, 14))
	i := sort.Search(len(tl.days), func(i int) bool { return !tl.days[i].Before(date) })
	return i, tl.days[i]
}

// day returns the i-th trading day.
func (tl *timeline) day(i int) time.Time {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for len(tl.days) <= i {
		tl.extendLocked(tl.end.AddDate(1, 0, 0))
	}
	return tl.days[i]
}

// dayState is one simulated session of one symbol: log prices at the open
// and the close, and the conditional variance of the day's diffusion return.
type dayState struct {
	logOpen, logClose float64
	h                 float64
	shares            float64 // shares now per share of the day: a split's ratio before it, else 1
}

func (d dayState) open() float64  { return cents(math.Exp(d.logOpen)) }
func (d dayState) close() float64 { return cents(math.Exp(d.logClose)) }

// path is a symbol's daily path, simulated forward from anchor on first need
// and kept. Days are addressed by their index in the timeline.
type path struct {
	p   *params
	key uint64

	mu    sync.Mutex
	days  []dayState // log prices before the reference shift
	hNext float64    // conditional variance of the next day to simulate
	shift float64    // added to every log price so the refDate close is refPrice
	ready bool       // shift is known
	refAt int        // timeline index of refDate
	split split      // raw prices before split.at are split.ratio times the path's
}

// get returns the state of day i.
func (ph *path) get(i int) dayState {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	ph.ensureLocked(i)
	d := ph.days[i]
	d.logOpen += ph.shift
	d.logClose += ph.shift
	d.shares = 1
	if i < ph.split.at && ph.split.ratio > 1 {
		d.shares = ph.split.ratio
		d.logOpen += math.Log(ph.split.ratio)
		d.logClose += math.Log(ph.split.ratio)
	}
	return d
}

func (ph *path) ensureLocked(i int) {
	if !ph.ready {
		ph.simulateLocked(ph.refAt)
		ph.shift = math.Log(ph.p.refPrice) - ph.days[ph.refAt].logClose
		ph.ready = true
	}
	ph.simulateLocked(i)
}

// simulateLocked extends the path through day i. Day t draws from its own
// stream, so the path does not depend on how it was extended.
func (ph *path) simulateLocked(i int) {
	p := ph.p
	lambda := p.jumpRate / tradingDaysPerYear
	comp := lambda * p.jumpCompensator()
	dayKey := mix(ph.key, tagDay)
	for t := len(ph.days); t <= i; t++ {
		h := p.hbar
		prevClose := 0.0
		if t > 0 {
			h = ph.hNext
			prevClose = ph.days[t-1].logClose
		}
		r := newStream(mix(dayKey, uint64(t)))
		z1, z2 := r.norm(), r.norm()
		jump := 0.0
		for range r.poisson(lambda) {
			jump += p.jumpMean + p.jumpSD*r.norm()
		}
		drift := p.drift/tradingDaysPerYear - 0.5*h - comp
		gapShock := math.Sqrt(gapShare*h) * z1
		sessionShock := math.Sqrt((1-gapShare)*h) * z2
		logOpen := prevClose + gapShare*drift + gapShock + jump
		ph.days = append(ph.days, dayState{
			logOpen:  logOpen,
			logClose: logOpen + (1-gapShare)*drift + sessionShock,
			h:        h,
		})
		eps := gapShock + sessionShock
		ph.hNext = p.omega + p.alpha*eps*eps + p.beta*h
	}
}

// cents rounds a price to whole cents, never below one cent.
func cents(x float64) float64 {
	return math.Max(math.Round(x*100)/100, 0.01)
}
