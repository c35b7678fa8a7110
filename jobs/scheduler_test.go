package jobs

import (
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/market"
)

func ny(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, market.NewYork).UTC()
}

func TestDemoClock(t *testing.T) {
	cal := market.NYSE()
	real := clock.NewManual(ny(2026, 11, 28, 15, 0)) // a Saturday
	start := ny(2026, 11, 25, 9, 30)
	c := NewDemoClock(cal, start, 60, real)

	real.Advance(time.Minute)
	if got, want := c.Now(), ny(2026, 11, 25, 10, 30); !got.Equal(want) {
		t.Fatalf("after 1 real minute at 60x: %s, want %s", got, want)
	}
	// 6 more real minutes run past the 16:00 close: the clock jumps over the
	// night and Thanksgiving to the next open.
	real.Advance(6 * time.Minute)
	if got, want := c.Now(), ny(2026, 11, 27, 9, 30); !got.Equal(want) {
		t.Fatalf("after the close: %s, want the next open %s", got, want)
	}
	if c.CaughtUp() {
		t.Fatal("caught up while still in the past")
	}
	// Past the early close of Nov 27 the next open is Monday, after real
	// time: the clock stops at real time and follows it.
	real.Advance(10 * time.Minute)
	if got := c.Now(); !got.Equal(real.Now()) {
		t.Fatalf("after catching up: %s, want real time %s", got, real.Now())
	}
	if !c.CaughtUp() {
		t.Fatal("not caught up at real time")
	}
	real.Advance(time.Minute)
	if got := c.Now(); !got.Equal(real.Now()) {
		t.Fatalf("a caught-up clock runs at 1x: %s, want %s", got, real.Now())
	}
}

func kinds(tasks []ingest.Task) map[ingest.Kind][]ingest.Task {
	m := map[ingest.Kind][]ingest.Task{}
	for _, t := range tasks {
		m[t.Kind] = append(m[t.Kind], t)
	}
	return m
}

func TestDue(t *testing.T) {
	s := &Scheduler{Calendar: market.NYSE()}
	tests := []struct {
		name        string
		from, to    time.Time
		bars        int // 15-minute bars covered by the intraday task
		snapshots   []time.Time
		daily       int
		actions     int // the week's first session closes
		firstBarEnd time.Time
	}{
		{
			name: "full session", from: ny(2026, 11, 25, 9, 0), to: ny(2026, 11, 25, 17, 0), bars: 26,
			snapshots: []time.Time{ny(2026, 11, 25, 10, 0), ny(2026, 11, 25, 11, 0), ny(2026, 11, 25, 12, 0),
				ny(2026, 11, 25, 13, 0), ny(2026, 11, 25, 14, 0), ny(2026, 11, 25, 15, 0), ny(2026, 11, 25, 16, 0)},
			daily: 1,
		},
		{
			name: "early close", from: ny(2026, 11, 27, 9, 0), to: ny(2026, 11, 27, 17, 0), bars: 14,
			snapshots: []time.Time{ny(2026, 11, 27, 10, 0), ny(2026, 11, 27, 11, 0), ny(2026, 11, 27, 12, 0), ny(2026, 11, 27, 13, 0)},
			daily:     1,
		},
		{name: "holiday", from: ny(2026, 11, 26, 0, 0), to: ny(2026, 11, 26, 23, 0)},
		{name: "monday", from: ny(2026, 11, 30, 15, 59), to: ny(2026, 11, 30, 16, 0), bars: 1, daily: 1, actions: 1,
			snapshots: []time.Time{ny(2026, 11, 30, 16, 0)}},
		// Monday Jan 19 2026 is a holiday: the week starts on Tuesday.
		{name: "tuesday after a holiday", from: ny(2026, 1, 20, 15, 59), to: ny(2026, 1, 20, 16, 0), bars: 1, daily: 1, actions: 1,
			snapshots: []time.Time{ny(2026, 1, 20, 16, 0)}},
		{name: "weekend", from: ny(2026, 11, 28, 0, 0), to: ny(2026, 11, 29, 23, 0)},
		{
			name: "one bar", from: ny(2026, 11, 25, 9, 44), to: ny(2026, 11, 25, 9, 45), bars: 1,
		},
		{
			name: "half-open window excludes its start", from: ny(2026, 11, 25, 9, 45), to: ny(2026, 11, 25, 9, 59),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kinds(s.Due(tt.from, tt.to))
			bars := 0
			for _, task := range got[ingest.Intraday] {
				bars += int(task.To.Sub(task.From) / (15 * time.Minute))
			}
			if bars != tt.bars || len(got[ingest.Intraday]) > 1 {
				t.Errorf("intraday: %d tasks covering %d bars, want one covering %d", len(got[ingest.Intraday]), bars, tt.bars)
			}
			if len(got[ingest.Options]) != len(tt.snapshots) {
				t.Fatalf("options: %d snapshots, want %d", len(got[ingest.Options]), len(tt.snapshots))
			}
			for i, task := range got[ingest.Options] {
				if !task.To.Equal(tt.snapshots[i]) {
					t.Errorf("snapshot %d at %s, want %s", i, task.To, tt.snapshots[i])
				}
			}
			if len(got[ingest.Daily]) != tt.daily {
				t.Errorf("daily: %d tasks, want %d", len(got[ingest.Daily]), tt.daily)
			}
			if len(got[ingest.Actions]) != tt.actions {
				t.Errorf("actions: %d tasks, want %d", len(got[ingest.Actions]), tt.actions)
			}
		})
	}
}

func TestBackfill(t *testing.T) {
	s := &Scheduler{Calendar: market.NYSE()}
	start := ny(2026, 11, 25, 9, 30)
	got := kinds(s.Backfill(start))
	if d := got[ingest.Daily]; len(d) != 1 || !d[0].To.Equal(market.DateOf(start)) || d[0].From.After(market.DateOf(start).AddDate(-1, 0, 0)) {
		t.Fatalf("daily backfill %+v, want a year up to %s", d, market.DateOf(start))
	}
	// The three sessions before Nov 25 2026: Nov 20, 23, 24, closing at 16:00.
	want := []time.Time{ny(2026, 11, 24, 16, 0), ny(2026, 11, 23, 16, 0), ny(2026, 11, 20, 16, 0)}
	if len(got[ingest.Options]) != len(want) {
		t.Fatalf("option snapshots %d, want %d", len(got[ingest.Options]), len(want))
	}
	for i, task := range got[ingest.Options] {
		if !task.To.Equal(want[i]) {
			t.Errorf("snapshot %d at %s, want %s", i, task.To, want[i])
		}
	}
	in := got[ingest.Intraday]
	if len(in) != 1 || !in[0].From.Equal(ny(2026, 11, 20, 9, 30)) || !in[0].To.Equal(start) {
		t.Fatalf("intraday backfill %+v, want from the Nov 20 open to %s", in, start)
	}
	if a := got[ingest.Actions]; len(a) != 1 || !a[0].To.Equal(market.DateOf(start)) || a[0].To.Sub(a[0].From) != 10*365*24*time.Hour {
		t.Fatalf("actions backfill %+v, want ten years up to %s", a, market.DateOf(start))
	}
}

func TestTaskIDsAreDeterministic(t *testing.T) {
	s := &Scheduler{Calendar: market.NYSE()}
	a := s.Due(ny(2026, 11, 25, 9, 0), ny(2026, 11, 25, 17, 0))
	b := s.Due(ny(2026, 11, 25, 9, 0), ny(2026, 11, 25, 17, 0))
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Fatalf("task %d: %s then %s", i, a[i].ID, b[i].ID)
		}
		if seen[a[i].ID] {
			t.Fatalf("two tasks share id %s", a[i].ID)
		}
		seen[a[i].ID] = true
	}
}
