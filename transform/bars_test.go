package transform

import (
	"slices"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// TestSlotsAfter steps through six weeks of the calendar, across weekends,
// Thanksgiving and its early close, Christmas Eve and Christmas, and expects
// exactly the calendar's own trading days and 15-minute bars.
func TestSlotsAfter(t *testing.T) {
	cal := market.NYSE()
	from, to := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	var wantBars []time.Time
	for _, d := range cal.TradingDays(from, to) {
		wantBars = append(wantBars, cal.Bars15(d)...)
	}
	cases := []struct {
		name     string
		intraday bool
		want     []time.Time
	}{
		{"daily", false, cal.TradingDays(from, to)},
		{"15min", true, wantBars},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &slots{cal: cal, intraday: tc.intraday}
			got := []time.Time{tc.want[0]}
			for x := s.after(tc.want[0]); !x.After(tc.want[len(tc.want)-1]); x = s.after(x) {
				got = append(got, x)
			}
			if !slices.EqualFunc(got, tc.want, time.Time.Equal) {
				t.Fatalf("%d bar times, want %d; first difference at %v", len(got), len(tc.want), firstDiff(got, tc.want))
			}
		})
	}
	t.Run("has", func(t *testing.T) {
		s := &slots{cal: cal, intraday: true}
		for _, b := range wantBars {
			for _, x := range []time.Time{b, b.Add(-16 * time.Minute), b.Add(14 * time.Minute), b.Add(4 * time.Hour)} {
				if got, want := s.has(x), cal.InSession(x); got != want {
					t.Fatalf("has(%s) = %v, InSession %v", x, got, want)
				}
			}
		}
	})
	t.Run("off the grid", func(t *testing.T) {
		s := &slots{cal: cal, intraday: true}
		at := func(h, m int) time.Time { return time.Date(2026, 11, 27, h, m, 0, 0, market.NewYork) }
		for _, c := range []struct{ from, want time.Time }{
			{at(10, 7), at(10, 15)}, // a misaligned bar: the next aligned one
			{at(12, 50), time.Date(2026, 11, 30, 9, 30, 0, 0, market.NewYork)}, // after the 13:00 close
			{at(8, 0), at(9, 30)}, // before the open
		} {
			if got := s.after(c.from.UTC()); !got.Equal(c.want) {
				t.Errorf("after(%s) = %s, want %s", c.from, got.In(market.NewYork), c.want)
			}
		}
	})
}

func firstDiff(a, b []time.Time) int {
	for i := range min(len(a), len(b)) {
		if !a[i].Equal(b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestInsertGapsIntraday checks gap handling's shortcut for consecutive bars against the
// calendar: every 15-minute bar strictly between the first and the last listed one that is
// not listed is inserted, including around a bar off the quarter-hour grid.
func TestInsertGapsIntraday(t *testing.T) {
	cal := market.NYSE()
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, market.NewYork).UTC() }
	listed := []time.Time{at(20, 9, 30), at(20, 9, 45), at(20, 10, 15), at(20, 10, 22), at(20, 10, 52),
		at(20, 11, 0), at(20, 15, 45), at(23, 9, 30), at(23, 9, 45), at(23, 10, 30)}
	c := &Cleaner{Calendar: cal}
	var rows []row
	for i, x := range listed {
		rows = append(rows, row{t: instantOf(x), pos: i, good: true, inCal: cal.InSession(x)})
	}
	var want []time.Time
	for _, d := range []int{20, 23} {
		for _, b := range cal.Bars15(time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)) {
			if b.After(listed[0]) && b.Before(listed[len(listed)-1]) && !slices.ContainsFunc(listed, b.Equal) {
				want = append(want, b)
			}
		}
	}
	var got []time.Time
	out := c.insertGaps(rows, "15min")
	for i, r := range out {
		if i > 0 && !r.t.after(out[i-1].t) {
			t.Fatalf("rows out of order at %d: %s then %s", i, out[i-1].t.time(), r.t.time())
		}
		if r.pos < 0 {
			got = append(got, r.t.time())
		}
	}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("inserted %d gap bars %v, want %d %v", len(got), got, len(want), want)
	}
	if len(out) != len(listed)+len(want) {
		t.Fatalf("%d rows out, want %d", len(out), len(listed)+len(want))
	}
}
