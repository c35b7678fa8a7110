package market

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestHolidays(t *testing.T) {
	cal := NYSE()
	tests := []struct {
		date    string
		holiday string // "" means a trading day
	}{
		// The official 2026 schedule.
		{"2026-01-01", "New Year's Day"},
		{"2026-01-19", "Martin Luther King Jr. Day"},
		{"2026-02-16", "Washington's Birthday"},
		{"2026-04-03", "Good Friday"},
		{"2026-05-25", "Memorial Day"},
		{"2026-06-19", "Juneteenth National Independence Day"},
		{"2026-07-03", "Independence Day"}, // July 4 is a Saturday
		{"2026-09-07", "Labor Day"},
		{"2026-11-26", "Thanksgiving Day"},
		{"2026-12-25", "Christmas Day"},
		{"2026-01-02", ""},
		{"2026-04-02", ""},
		{"2026-11-27", ""},
		{"2026-12-24", ""},
		{"2026-12-31", ""},
		// 2027: Juneteenth and Independence Day on Saturday/Sunday, Christmas on Saturday.
		{"2027-01-01", "New Year's Day"},
		{"2027-01-18", "Martin Luther King Jr. Day"},
		{"2027-02-15", "Washington's Birthday"},
		{"2027-03-26", "Good Friday"},
		{"2027-05-31", "Memorial Day"},
		{"2027-06-18", "Juneteenth National Independence Day"},
		{"2027-07-05", "Independence Day"},
		{"2027-09-06", "Labor Day"},
		{"2027-11-25", "Thanksgiving Day"},
		{"2027-12-24", "Christmas Day"},
		// 2022: the first Juneteenth, observed on Monday; New Year's Day on Saturday not observed.
		{"2022-06-20", "Juneteenth National Independence Day"},
		{"2021-12-31", ""},
		{"2022-01-03", ""},
		{"2022-04-15", "Good Friday"},
		{"2022-12-26", "Christmas Day"},
		{"2021-06-18", ""}, // before Juneteenth became a market holiday
		{"2023-01-02", "New Year's Day"},
		// Older years and unscheduled closures.
		{"1997-01-20", ""}, // MLK day, before the exchange observed it
		{"1998-01-19", "Martin Luther King Jr. Day"},
		{"2012-10-29", "Hurricane Sandy"},
		{"2025-01-09", "National Day of Mourning for President Carter"},
		{"2100-03-26", "Good Friday"},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			d := day(tt.date)
			name, ok := cal.Holiday(d)
			if name != tt.holiday || ok != (tt.holiday != "") {
				t.Errorf("Holiday = %q, %v; want %q", name, ok, tt.holiday)
			}
			if got := cal.IsTradingDay(d); got != (tt.holiday == "") {
				t.Errorf("IsTradingDay = %v", got)
			}
		})
	}
}

func TestEaster(t *testing.T) {
	for date := range map[string]bool{
		"1990-04-15": true, "2000-04-23": true, "2008-03-23": true, "2011-04-24": true,
		"2019-04-21": true, "2024-03-31": true, "2025-04-20": true, "2026-04-05": true,
		"2038-04-25": true, "2100-03-28": true,
	} {
		d := day(date)
		if got := easter(d.Year()); !got.Equal(d) {
			t.Errorf("easter(%d) = %s, want %s", d.Year(), got.Format(time.DateOnly), date)
		}
	}
}

func TestSessions(t *testing.T) {
	cal := NYSE()
	tests := []struct {
		date        string
		open, close string // UTC; empty when closed
		bars        int
	}{
		{"2026-01-02", "14:30", "21:00", 26}, // winter, EST
		{"2026-03-06", "14:30", "21:00", 26}, // last Friday before DST
		{"2026-03-09", "13:30", "20:00", 26}, // first Monday of DST
		{"2026-07-02", "13:30", "20:00", 26}, // July 3 is the holiday, so no early close
		{"2026-10-30", "13:30", "20:00", 26},
		{"2026-11-02", "14:30", "21:00", 26}, // back to EST
		{"2026-11-27", "14:30", "18:00", 14}, // day after Thanksgiving
		{"2026-12-24", "14:30", "18:00", 14}, // Christmas Eve
		{"2025-07-03", "13:30", "17:00", 14}, // July 3 before a Friday July 4
		{"2023-07-03", "13:30", "17:00", 14},
		{"2024-12-24", "14:30", "18:00", 14},
		{"2026-12-31", "14:30", "21:00", 26},
		{"2026-12-25", "", "", 0},
		{"2026-01-03", "", "", 0}, // Saturday
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			d := day(tt.date)
			open, close, ok := cal.Session(d)
			if ok != (tt.open != "") {
				t.Fatalf("Session ok = %v", ok)
			}
			if ok {
				if got := open.Format("15:04"); got != tt.open || open.Location() != time.UTC {
					t.Errorf("open = %s (%s), want %s UTC", got, open.Location(), tt.open)
				}
				if got := close.Format("15:04"); got != tt.close {
					t.Errorf("close = %s, want %s", got, tt.close)
				}
				if !DateOf(open).Equal(d) || !DateOf(close).Equal(d) {
					t.Errorf("DateOf(open) = %s", DateOf(open))
				}
			}
			bars := cal.Bars15(d)
			if len(bars) != tt.bars {
				t.Fatalf("Bars15 = %d bars, want %d", len(bars), tt.bars)
			}
			for i, b := range bars {
				if !cal.InSession(b) || !cal.InSession(b.Add(barLength-time.Nanosecond)) {
					t.Errorf("bar %d at %s is not inside the session", i, b)
				}
			}
			if ok && (cal.InSession(close) || !cal.InSession(open) || cal.InSession(open.Add(-time.Nanosecond))) {
				t.Error("InSession must be open <= t < close")
			}
			if ok != cal.IsTradingDay(d) || (ok && cal.IsEarlyClose(d) != (tt.bars == 14)) {
				t.Error("IsTradingDay or IsEarlyClose disagrees with Session")
			}
		})
	}
}

func TestTradingDayCounts(t *testing.T) {
	cal := NYSE()
	tests := []struct {
		year int
		want int
	}{
		{2021, 252},
		{2022, 251},
		{2023, 250},
		{2024, 252},
		{2025, 250}, // includes the unscheduled closure of January 9
		{2026, 251},
	}
	for _, tt := range tests {
		days := cal.TradingDays(time.Date(tt.year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(tt.year, 12, 31, 0, 0, 0, 0, time.UTC))
		if len(days) != tt.want {
			t.Errorf("%d: %d trading days, want %d", tt.year, len(days), tt.want)
		}
	}
}

func TestNextPrev(t *testing.T) {
	cal := NYSE()
	tests := []struct{ date, next, prev string }{
		{"2026-04-02", "2026-04-06", "2026-04-01"}, // Good Friday ahead
		{"2026-04-03", "2026-04-06", "2026-04-02"}, // a holiday itself
		{"2026-12-31", "2027-01-04", "2026-12-30"},
		{"2026-01-05", "2026-01-06", "2026-01-02"},
		{"2026-07-06", "2026-07-07", "2026-07-02"},
	}
	for _, tt := range tests {
		if got := cal.NextTradingDay(day(tt.date)); !got.Equal(day(tt.next)) {
			t.Errorf("NextTradingDay(%s) = %s, want %s", tt.date, got.Format(time.DateOnly), tt.next)
		}
		if got := cal.PrevTradingDay(day(tt.date)); !got.Equal(day(tt.prev)) {
			t.Errorf("PrevTradingDay(%s) = %s, want %s", tt.date, got.Format(time.DateOnly), tt.prev)
		}
	}
}

func TestDateOf(t *testing.T) {
	tests := []struct {
		instant string
		want    string
	}{
		{"2026-01-02T04:59:59Z", "2026-01-01"}, // still New Year's Day in New York
		{"2026-01-02T05:00:00Z", "2026-01-02"},
		{"2026-07-02T03:59:00Z", "2026-07-01"},
		{"2026-07-02T04:00:00Z", "2026-07-02"},
	}
	for _, tt := range tests {
		ts, err := time.Parse(time.RFC3339, tt.instant)
		if err != nil {
			t.Fatal(err)
		}
		got := DateOf(ts)
		if !got.Equal(day(tt.want)) || got.Location() != time.UTC || got.Hour() != 0 {
			t.Errorf("DateOf(%s) = %s, want %s 00:00 UTC", tt.instant, got, tt.want)
		}
	}
	// A date in another zone is read by its own fields.
	if !NYSE().IsTradingDay(time.Date(2026, 1, 2, 23, 0, 0, 0, NewYork)) {
		t.Error("2026-01-02 in New York time should be a trading day")
	}
}

func TestRulesAllYears(t *testing.T) {
	cal := NYSE()
	for y := 1990; y <= 2100; y++ {
		days := cal.TradingDays(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC))
		if len(days) < 245 || len(days) > 254 {
			t.Errorf("%d: %d trading days", y, len(days))
		}
		gf := easter(y).AddDate(0, 0, -2)
		if gf.Weekday() != time.Friday || cal.IsTradingDay(gf) {
			t.Errorf("%d: Good Friday %s", y, gf.Format(time.DateOnly))
		}
	}
}

// TestCalendarConcurrent has goroutines walk the years in different orders
// on one fresh Calendar, so each year is derived under contention and the
// one-year fast path keeps switching, and compares what each saw with the
// same questions asked in order of a Calendar of its own. Under -race it
// also checks the locking.
func TestCalendarConcurrent(t *testing.T) {
	const workers = 8
	years := make([]int, 0, 41)
	for y := 2000; y <= 2040; y++ {
		years = append(years, y)
	}
	// ask answers, for one year, every question the Calendar takes: the
	// trading days with their sessions, and the holidays by name.
	ask := func(cal *Calendar, y int) string {
		var b strings.Builder
		from, to := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)
		for _, d := range cal.TradingDays(from, to) {
			open, close, _ := cal.Session(d)
			fmt.Fprintf(&b, "%s %s-%s %t %d\n", d.Format(time.DateOnly), open.Format("15:04"), close.Format("15:04"), cal.IsEarlyClose(d), len(cal.Bars15(d)))
		}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			if name, ok := cal.Holiday(d); ok {
				fmt.Fprintf(&b, "%s %s\n", d.Format(time.DateOnly), name)
			}
		}
		return b.String()
	}
	want := map[int]string{}
	sequential := &Calendar{}
	for _, y := range years {
		want[y] = ask(sequential, y)
	}

	shared := &Calendar{}
	got := make([]map[int]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		got[w] = map[int]string{}
		wg.Go(func() {
			// Worker w starts at its own year and strides through them all:
			// len(years) is prime, so every stride visits each year once.
			for k := range years {
				y := years[(w*5+k*(2*w+1))%len(years)]
				got[w][y] = ask(shared, y)
			}
		})
	}
	wg.Wait()
	for w := range workers {
		for _, y := range years {
			if got[w][y] != want[y] {
				t.Errorf("worker %d, %d: %s", w, y, firstDiff(got[w][y], want[y]))
			}
		}
	}
}

// firstDiff names the first line where got and want part.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d is %q, want %q", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}
