package transform

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/market"
)

// TestSlotCount checks the allocation-free count of calendar bars against
// the listed ones, over spans that start and end inside, before and after
// sessions, across weekends, holidays and early closes.
func TestSlotCount(t *testing.T) {
	c := &Cleaner{Calendar: market.NYSE(), Now: time.Now}
	rng := rand.New(rand.NewPCG(7, 9))
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, interval := range []string{ingest.Interval1Day, ingest.Interval15Min} {
		t.Run(interval, func(t *testing.T) {
			for range 500 {
				first := base.Add(time.Duration(rng.IntN(20*24*4)) * 15 * time.Minute).Add(time.Duration(rng.IntN(3)) * 5 * time.Minute)
				last := first.Add(time.Duration(rng.IntN(10*24*4)) * 15 * time.Minute)
				if interval == ingest.Interval1Day {
					first, last = market.DateOf(first), market.DateOf(last)
				}
				if got, want := c.slotCount(first, last, interval), len(c.slotsBetween(first, last, interval, 0)); got != want {
					t.Fatalf("slotCount(%s, %s) = %d, want %d", first, last, got, want)
				}
			}
		})
	}
}
