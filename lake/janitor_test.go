package lake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	tlclock "github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// TestJanitorRemovesOrphansAfterGrace crashes a writer between its data
// objects and its commit record; the janitor leaves the orphans alone
// within the grace period and removes them after it, and nothing
// committed.
func TestJanitorRemovesOrphansAfterGrace(t *testing.T) {
	ctx := context.Background()
	clock := laketest.NewClock(time.Now())
	for name, st := range stores(t, clock) {
		t.Run(name, func(t *testing.T) {
			ing := clock.Now()
			laketest.Commit(t, st, market.DailyBars, 0, 0, 50, laketest.DailyBars([]string{"AAPL"}, day1.AddDate(0, -1, 0), 20, ing))
			w := laketest.Writer(st)
			crash := errors.New("crash")
			w.BeforeCommit = func(lake.Commit) error { return crash }
			msgs := laketest.Messages(t, market.IntradayBars, 0, 0, 10, laketest.IntradayBars([]string{"AAPL", "MSFT"}, day2, ing))
			if err := w.WriteBatch(ctx, msgs); !errors.Is(err, crash) {
				t.Fatalf("write stopped with %v", err)
			}
			orphans := objectCount(t, st, "intraday_bars/")
			if orphans == 0 {
				t.Fatal("the crash left no objects")
			}
			jclock := clock.Manual
			if name == "dir" || name == "versitygw" {
				// Their object times are the real clock's.
				jclock = tlclock.NewManual(time.Now())
			}
			j := &lake.Janitor{Store: st, Clock: jclock, Grace: time.Hour}
			rep, err := j.Run(ctx)
			if err != nil || rep.Orphans != 0 {
				t.Fatalf("within grace: %+v, %v; want nothing removed", rep, err)
			}
			clock.Advance(2 * time.Hour)
			if jclock != clock.Manual {
				jclock.Advance(2 * time.Hour)
			}
			rep, err = j.Run(ctx)
			if err != nil || rep.Orphans != orphans || rep.Bytes == 0 {
				t.Fatalf("after grace: %+v, %v; want %d orphans removed", rep, err, orphans)
			}
			if n := objectCount(t, st, "intraday_bars/"); n != 0 {
				t.Fatalf("%d intraday objects left", n)
			}
			if n := objectCount(t, st, "daily_bars/"); n != 2 {
				t.Fatalf("%d committed daily objects left, want 2", n)
			}
		})
	}
}

// TestRetentionDropsWholePartitions keeps intraday bars for two days:
// the older session disappears from the views at once, its objects after
// the grace period, the newer one stays.
func TestRetentionDropsWholePartitions(t *testing.T) {
	ctx := context.Background()
	clock := laketest.NewClock(day2.AddDate(0, 0, 2).Add(12 * time.Hour)) // 11-22 12:00
	st := laketest.FakeS3(t, clock, "lake", "retention")
	fillLake(t, st, clock.Now().Add(-48*time.Hour))
	eng, err := query.OpenWith(st, query.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	eng.RefreshEvery = 0
	keep, err := lake.ParseRetention("intraday_bars=2d, daily_bars=0")
	if err != nil {
		t.Fatal(err)
	}
	r := &lake.Retention{Store: st, Clock: clock, Keep: keep}
	rep, err := r.Run(ctx)
	if err != nil || rep.Partitions != 1 {
		t.Fatalf("retention: %+v, %v; want one partition expired", rep, err)
	}
	res, err := eng.Query(ctx, "SELECT ts::DATE AS d, count(*) FROM intraday_bars GROUP BY 1 ORDER BY 1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][1].(int64) != 78 {
		t.Fatalf("intraday after retention: %v; want only 2026-11-20's 78 bars", res.Rows)
	}
	if rep, err := r.Run(ctx); err != nil || rep.Partitions != 0 {
		t.Fatalf("second retention run: %+v, %v; want nothing new", rep, err)
	}
	before := objectCount(t, st, "intraday_bars/date=2026-11-19/")
	clock.Advance(11 * time.Minute)
	if _, err := (&lake.Compactor{Store: st, Clock: clock, Grace: 10 * time.Minute, Datasets: []*market.Dataset{market.IntradayBars}, Partitions: []string{"date=2026-11-19"}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := objectCount(t, st, "intraday_bars/date=2026-11-19/"); before == 0 || n != 0 {
		t.Fatalf("expired objects: %d before collection, %d after; want some, then none", before, n)
	}
	res, err = eng.Query(ctx, "SELECT count(*) FROM intraday_bars", 0)
	if err != nil || res.Rows[0][0].(int64) != 78 {
		t.Fatalf("intraday after collection: %v, %v", res.Rows, err)
	}
	assertOnlyCommitted(t, st)
	for _, bad := range []string{"intraday_bars", "nope=1d", "daily_bars=-1d", "daily_bars=soon"} {
		if _, err := lake.ParseRetention(bad); err == nil {
			t.Errorf("ParseRetention(%q) accepted", bad)
		}
	}
}
