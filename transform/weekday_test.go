package transform

import (
	"testing"
	"time"
)

// TestNextWeekday: the whole-second next weekday agrees with the calendar
// arithmetic of package time, every day from 1960 to 2040, at midnight and
// at other times of day.
func TestNextWeekday(t *testing.T) {
	for d := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2040; d = d.Add(day) {
		for _, tod := range []time.Duration{0, 13*time.Hour + 30*time.Minute + 7*time.Nanosecond} {
			at := d.Add(tod)
			want := at.Add(day)
			for want.Weekday() == time.Saturday || want.Weekday() == time.Sunday {
				want = want.Add(day)
			}
			if got := nextWeekday(instantOf(at)); got != instantOf(want) {
				t.Fatalf("nextWeekday(%s) = %s, want %s", at, got.time(), want)
			}
		}
	}
}
