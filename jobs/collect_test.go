package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/market"
)

func nyTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, market.NewYork)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func day(s string) time.Time {
	t, _ := time.Parse("2006-01-02", s)
	return t
}

func TestCollectTask(t *testing.T) {
	tests := []struct {
		name     string
		kind     ingest.Kind
		now      string // New York
		date     string
		from, to time.Time
		closed   bool
	}{
		{"daily after the close", ingest.Daily, "2026-11-20 18:00", "", day("2026-11-20"), day("2026-11-21"), false},
		{"daily before the open is yesterday's", ingest.Daily, "2026-11-20 08:00", "", day("2026-11-19"), day("2026-11-20"), false},
		{"daily on Saturday is Friday's", ingest.Daily, "2026-11-21 12:00", "", day("2026-11-20"), day("2026-11-21"), false},
		{"daily on Thanksgiving is Wednesday's", ingest.Daily, "2026-11-26 18:00", "", day("2026-11-25"), day("2026-11-26"), false},
		{"daily after the early close", ingest.Daily, "2026-11-27 13:05", "", day("2026-11-27"), day("2026-11-28"), false},
		{"daily for a chosen date", ingest.Daily, "2026-11-27 13:05", "2026-11-02", day("2026-11-02"), day("2026-11-03"), false},
		{"daily for a holiday", ingest.Daily, "2026-11-27 13:05", "2026-11-26", time.Time{}, time.Time{}, true},
		{"15min during the session", ingest.Intraday, "2026-11-20 11:20", "", nyTime("2026-11-20 09:30"), nyTime("2026-11-20 11:15"), false},
		{"15min in the first bar is yesterday's", ingest.Intraday, "2026-11-20 09:40", "", nyTime("2026-11-19 09:30"), nyTime("2026-11-19 16:00"), false},
		{"15min after the early close", ingest.Intraday, "2026-11-27 15:00", "", nyTime("2026-11-27 09:30"), nyTime("2026-11-27 13:00"), false},
		{"15min on a holiday", ingest.Intraday, "2026-11-26 12:00", "", nyTime("2026-11-25 09:30"), nyTime("2026-11-25 16:00"), false},
		{"historical ten years", ingest.Historical, "2026-11-23 18:00", "", day("2016-11-24"), day("2026-11-24"), false},
		{"actions of the registry's window", ingest.Actions, "2026-11-23 18:00", "", day("2016-11-26"), day("2026-11-24"), false},
		{"options in session", ingest.Options, "2026-11-20 14:07", "", nyTime("2026-11-20 14:07"), nyTime("2026-11-20 14:07"), false},
		{"options after the close", ingest.Options, "2026-11-27 17:00", "", nyTime("2026-11-27 13:00"), nyTime("2026-11-27 13:00"), false},
		{"options before the open", ingest.Options, "2026-11-20 08:00", "", time.Time{}, time.Time{}, true},
		{"options on a holiday", ingest.Options, "2026-11-26 12:00", "", time.Time{}, time.Time{}, true},
		{"options on Sunday", ingest.Options, "2026-11-22 12:00", "", time.Time{}, time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Collect{Symbols: []string{"brk-b"}}
			if tc.date != "" {
				c.Date = day(tc.date)
			}
			task, err := c.Task(tc.kind, nyTime(tc.now))
			if tc.closed {
				if !errors.Is(err, ErrMarketClosed) {
					t.Fatalf("err %v, want ErrMarketClosed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !task.From.Equal(tc.from) || !task.To.Equal(tc.to) {
				t.Errorf("window [%v, %v), want [%v, %v)", task.From, task.To, tc.from, tc.to)
			}
			if task.Kind != tc.kind || len(task.Symbols) != 1 || task.Symbols[0] != "BRK.B" {
				t.Errorf("task %+v", task)
			}
			again, _ := c.Task(tc.kind, nyTime(tc.now).Add(20*time.Second))
			if again.ID != task.ID {
				t.Errorf("task id changed within the minute: %s then %s", task.ID, again.ID)
			}
		})
	}
}

func TestJobKind(t *testing.T) {
	for job, want := range map[string]ingest.Kind{"collect-daily": ingest.Daily, "collect-15min": ingest.Intraday,
		"collect-historical": ingest.Historical, "collect-options": ingest.Options, "collect-actions": ingest.Actions} {
		if k, err := JobKind(job); err != nil || k != want {
			t.Errorf("JobKind(%q) = %q, %v", job, k, err)
		}
	}
	for _, bad := range []string{"daily", "collect-weekly", ""} {
		if _, err := JobKind(bad); err == nil {
			t.Errorf("JobKind(%q) accepted", bad)
		}
	}
}
