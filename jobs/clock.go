package jobs

import (
	"sync"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
)

// DemoClock runs market time faster than real time until it catches up with
// the real clock, then follows it. Time outside sessions is skipped: at a
// close it jumps to the next open, so every real second shows trading.
type DemoClock struct {
	cal   *market.Calendar
	speed float64
	real  clock.Clock

	mu       sync.Mutex
	demo     time.Time
	lastReal time.Time
}

// NewDemoClock starts at start and runs speed times faster than real.
func NewDemoClock(cal *market.Calendar, start time.Time, speed float64, real clock.Clock) *DemoClock {
	if speed < 1 {
		speed = 1
	}
	return &DemoClock{cal: cal, speed: speed, real: real, demo: start, lastReal: real.Now()}
}

// Now advances and returns the demo time.
func (c *DemoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.real.Now()
	dt := r.Sub(c.lastReal)
	c.lastReal = r
	if !c.demo.Before(r) {
		c.demo = r
		return r
	}
	d := c.demo.Add(time.Duration(float64(dt) * c.speed))
	if !c.cal.InSession(d) {
		d = c.nextOpen(d)
	}
	if d.After(r) {
		d = r
	}
	c.demo = d
	return d
}

// CaughtUp reports whether the clock now follows real time.
func (c *DemoClock) CaughtUp() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.demo.Before(c.lastReal)
}

// nextOpen is the first session open at or after t.
func (c *DemoClock) nextOpen(t time.Time) time.Time {
	d := market.DateOf(t)
	for i := 0; i < 10; i++ {
		if open, _, ok := c.cal.Session(d); ok && !open.Before(t) {
			return open
		}
		d = c.cal.NextTradingDay(d)
	}
	return t
}
