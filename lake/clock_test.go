package lake_test

import (
	"context"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// TestWriterAndCompactorShareOneClock: the writer stamps CommittedAt from
// its injected clock, not the wall clock, and the compactor measures Settle
// against the same clock: files stay unmerged until that clock, not real
// time, has moved past Settle.
func TestWriterAndCompactorShareOneClock(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC) // years from the wall clock
	clk := clock.NewManual(at)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	w := laketest.Writer(st)
	w.Clock = clk
	for i, sym := range []string{"AAPL", "MSFT"} {
		msgs := laketest.Messages(t, market.IntradayBars, 0, int64(i), 1, laketest.IntradayBars([]string{sym}, day, at))
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	commits, err := (&lake.Catalog{Store: st}).Commits(ctx, market.IntradayBars.Name)
	if err != nil || len(commits) != 2 {
		t.Fatalf("commits %d, %v; want 2", len(commits), err)
	}
	for i, cm := range commits {
		if want := at.Add(time.Duration(i) * time.Minute); !cm.CommittedAt.Equal(want) {
			t.Errorf("commit %d CommittedAt %s, want the clock's %s", i, cm.CommittedAt, want)
		}
	}
	comp := &lake.Compactor{Store: st, Clock: clk, Settle: time.Hour, Datasets: []*market.Dataset{market.IntradayBars}}
	if rep, err := comp.Run(ctx); err != nil || rep.Partitions != 0 {
		t.Fatalf("within Settle of the clock: %+v, %v; want nothing merged", rep, err)
	}
	clk.Advance(2 * time.Hour)
	if rep, err := comp.Run(ctx); err != nil || rep.Partitions != 1 {
		t.Fatalf("past Settle of the clock: %+v, %v; want one partition merged", rep, err)
	}
}
