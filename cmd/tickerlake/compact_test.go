package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// TestRunCompact runs `tickerlake run compact` over a local lake of small
// files: each partition ends as one file, the rows stay, and running it
// again changes nothing.
func TestRunCompact(t *testing.T) {
	ctx := context.Background()
	g := &Globals{DataDir: t.TempDir()}
	store, err := lake.NewDir(filepath.Join(g.DataDir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	bars := laketest.IntradayBars([]string{"AAPL", "MSFT", "JPM", "XOM"}, day, day.Add(22*time.Hour))
	for i := 0; i < len(bars); i += 13 {
		laketest.Commit(t, store, market.IntradayBars, 0, int64(i), 0, bars[i:i+13])
	}
	count := func() (files int, rows int64) {
		eng, err := openEngine(g, store, 0, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		res, err := eng.Query(ctx, "SELECT count(*) FROM intraday_bars", 0)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := (&lake.Catalog{Store: store}).Files(ctx, "intraday_bars", "parquet")
		if err != nil {
			t.Fatal(err)
		}
		return len(keys), res.Rows[0][0].(int64)
	}
	files, rows := count()
	cmd := &RunCmd{Job: "compact", CompactFlags: CompactFlags{Grace: 10 * time.Minute, JanitorGrace: 6 * time.Hour}}
	for run := 0; run < 2; run++ {
		if err := cmd.Run(g, ctx, testLogger(t)); err != nil {
			t.Fatal(err)
		}
		f, r := count()
		if f != 1 || r != rows {
			t.Fatalf("run %d: %d files, %d rows; want 1 file (from %d) and %d rows", run+1, f, r, files, rows)
		}
	}
}
