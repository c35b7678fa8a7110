package lake_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// TestHousekeepingOnTicks runs the housekeeping `tickerlake up` schedules over a lake
// of small files: a tick merges them, and the loop stops cleanly when its
// context ends.
func TestHousekeepingOnTicks(t *testing.T) {
	store, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	bars := laketest.IntradayBars([]string{"AAPL", "MSFT"}, day, day.Add(22*time.Hour))
	for i := 0; i+10 <= len(bars); i += 10 {
		laketest.Commit(t, store, market.IntradayBars, 0, int64(i), 0, bars[i:i+10])
	}
	files := func() int {
		keys, err := (&lake.Catalog{Store: store}).Files(context.Background(), "intraday_bars", "parquet")
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	if n := files(); n < 2 {
		t.Fatalf("%d files to start with", n)
	}
	h := &lake.Housekeeping{Store: store, Log: slog.New(slog.DiscardHandler), Grace: time.Minute, JanitorGrace: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time)
	done := make(chan error, 1)
	go func() { done <- h.On(ctx, ticks) }()
	// The second tick is taken only once the first run has finished.
	ticks <- day
	ticks <- day
	if n := files(); n != 1 {
		t.Fatalf("%d files after a run of the housekeeping, want 1", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("housekeeping ended with %v", err)
	}
}
