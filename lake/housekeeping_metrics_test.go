package lake_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
)

// TestHousekeepingMetrics: a run counts each step's outcome, stamps its
// success and counts the lake's data objects by dataset and format; a
// corrupt commit record fails compaction, which is counted as failed, and
// the janitor after it does not run.
func TestHousekeepingMetrics(t *testing.T) {
	store, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	bars := laketest.IntradayBars([]string{"AAPL", "MSFT"}, day, day.Add(22*time.Hour))
	commits := 0
	for i := 0; i+10 <= len(bars); i += 10 {
		laketest.Commit(t, store, market.IntradayBars, 0, int64(i), 0, bars[i:i+10])
		commits++
	}
	m := metrics.New()
	h := &lake.Housekeeping{Store: store, Log: slog.New(slog.DiscardHandler), Grace: time.Hour, JanitorGrace: time.Hour, Metrics: m}
	if err := h.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	runs := func(step, outcome string) float64 {
		return testutil.ToFloat64(m.HousekeepingRuns.WithLabelValues(step, outcome))
	}
	for _, step := range []string{lake.StepRetention, lake.StepCompaction, lake.StepJanitor} {
		if ok, failed := runs(step, "ok"), runs(step, "failed"); ok != 1 || failed != 0 {
			t.Errorf("%s: %v ok and %v failed runs, want 1 and 0", step, ok, failed)
		}
		if ts := testutil.ToFloat64(m.HousekeepingLastSuccess.WithLabelValues(step)); ts < float64(time.Now().Add(-time.Minute).Unix()) {
			t.Errorf("%s last succeeded at %v, want now", step, ts)
		}
	}
	// Each commit wrote one Parquet and one CSV object of the day's
	// partition; compaction added one merged pair and, within its grace,
	// kept the replaced ones.
	for _, format := range []string{"parquet", "csv"} {
		if got := testutil.ToFloat64(m.LakeObjects.WithLabelValues(market.IntradayBars.Name, format)); got != float64(commits+1) {
			t.Errorf("%s objects of intraday_bars: %v, want %d", format, got, commits+1)
		}
	}

	if _, err := store.PutIfAbsent(context.Background(), "_commits/intraday_bars/corrupt.json", []byte("{")); err != nil {
		t.Fatal(err)
	}
	if err := h.Once(context.Background()); err == nil {
		t.Fatal("housekeeping over a corrupt commit record succeeded")
	}
	if got := runs(lake.StepCompaction, "failed"); got != 1 {
		t.Errorf("%v failed compactions, want 1", got)
	}
	if got := runs(lake.StepJanitor, "ok") + runs(lake.StepJanitor, "failed"); got != 1 {
		t.Errorf("the janitor ran %v times in all, want once: not after a failed compaction", got)
	}
}

// TestHousekeepingCountsDeletionsBesideARefusal: with tables, a dataset
// still only in commit records is refused at every step, and the janitor
// run that refuses it, counted as failed, still counts the orphans it
// removed from the dataset that has a table.
func TestHousekeepingCountsDeletionsBesideARefusal(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tables.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	// An older tickerlake wrote daily bars as commit records alone.
	laketest.Commit(t, st, market.DailyBars, 0, 0, 4, laketest.DailyBars([]string{"AAPL"}, day, 8, ing))
	w := laketest.Writer(st)
	w.Tables = c
	msgs := laketest.Messages(t, market.OptionQuotes, 0, 0, 0, laketest.OptionChain("AAPL", day.Add(17*time.Hour), 2, 3, ing))
	if err := w.WriteBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	// A writer that died before its table commit leaves orphans.
	before := objectCount(t, st, market.OptionQuotes.Name+"/")
	crash := errors.New("crash")
	w.BeforeCommit = func(lake.Commit) error { return crash }
	next := laketest.Messages(t, market.OptionQuotes, 0, int64(len(msgs)), 0, laketest.OptionChain("MSFT", day.Add(17*time.Hour), 2, 3, ing))
	if err := w.WriteBatch(ctx, next); !errors.Is(err, crash) {
		t.Fatalf("write stopped with %v", err)
	}
	orphans := objectCount(t, st, market.OptionQuotes.Name+"/") - before
	if orphans == 0 {
		t.Fatal("the crash left no objects")
	}

	m := metrics.New()
	// Object times are the real clock's: the janitor's is a day ahead.
	h := &lake.Housekeeping{Store: st, Tables: c, Log: slog.New(slog.DiscardHandler), Clock: laketest.NewClock(time.Now().Add(24 * time.Hour)),
		JanitorGrace: time.Hour, Keep: map[string]time.Duration{market.DailyBars.Name: 24 * time.Hour}, Metrics: m}
	if err := h.Once(ctx); !errors.Is(err, lake.ErrNotMigrated) {
		t.Fatalf("housekeeping: %v, want ErrNotMigrated", err)
	}
	if n := objectCount(t, st, market.OptionQuotes.Name+"/"); n != before {
		t.Fatalf("%d option objects after housekeeping, want the %d before the crash", n, before)
	}
	if got := testutil.ToFloat64(m.HousekeepingRuns.WithLabelValues(lake.StepJanitor, "failed")); got != 1 {
		t.Errorf("%v failed janitor runs, want the refusal's 1", got)
	}
	if got := testutil.ToFloat64(m.HousekeepingDeleted.WithLabelValues(lake.StepJanitor)); got != float64(orphans) {
		t.Errorf("the janitor counted %v objects deleted, want the %d orphans it removed", got, orphans)
	}
}
