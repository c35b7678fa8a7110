package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// TestRunCompact runs `tickerlake run compact` over a local lake of small
// files: refused (ErrNotMigrated, nothing changed) while the lake holds
// commit records and no table; once `tickerlake migrate` has run, each
// partition ends as one data file of the table, the rows stay, and running
// it again changes nothing.
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
		_, keys, ok, err := tables.NewReader(store).Visible(ctx, "intraday_bars", "")
		if err != nil {
			t.Fatal(err)
		}
		if !ok { // not migrated yet
			recorded, err := (&lake.Catalog{Store: store}).Files(ctx, "intraday_bars", "parquet")
			if err != nil {
				t.Fatal(err)
			}
			return len(recorded), res.Rows[0][0].(int64)
		}
		return len(keys), res.Rows[0][0].(int64)
	}
	files, rows := count()
	cmd := &RunCmd{Job: "compact", CompactFlags: CompactFlags{Grace: 10 * time.Minute, JanitorGrace: 6 * time.Hour}}
	if err := cmd.Run(g, ctx, testLogger(t)); !errors.Is(err, lake.ErrNotMigrated) {
		t.Fatalf("compact over a lake not migrated: %v, want ErrNotMigrated", err)
	}
	if f, r := count(); f != files || r != rows {
		t.Fatalf("the refused compaction left %d files, %d rows; want %d, %d", f, r, files, rows)
	}
	if err := (&MigrateCmd{}).Run(g, ctx, testLogger(t)); err != nil {
		t.Fatal(err)
	}
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

// TestWriterRefusesALakeNotMigrated: `tickerlake writer` over a lake an
// older tickerlake wrote (commit records, no table) stops at its first
// commit with ErrNotMigrated, saying to run migrate, not retrying, and
// creates no table.
func TestWriterRefusesALakeNotMigrated(t *testing.T) {
	dir := t.TempDir()
	store, err := lake.NewDir(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	ds := market.DailyBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	laketest.Commit(t, store, ds, 0, 0, 0, laketest.DailyBars([]string{"AAPL"}, day, 3, day))
	b := startBroker(t, filepath.Join(dir, "kafka"))
	// Bounds a writer that wrongly retries; it then returns nil, and fails.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pw := stream.NewWriter(stream.Cluster{Brokers: []string{b.Addr()}}, "") // each message names its topic
	defer pw.Close()
	if err := pw.WriteMessages(ctx, laketest.Messages(t, ds, 0, 0, 0, laketest.DailyBars([]string{"MSFT"}, day, 3, day))...); err != nil {
		t.Fatal(err)
	}
	cli := parseCLI(t, "writer", "--data-dir", dir, "--kafka-brokers", b.Addr())
	err = cli.Writer.Run(&cli.Globals, ctx, testLogger(t))
	if !errors.Is(err, lake.ErrNotMigrated) || !strings.Contains(err.Error(), "daily_bars: the lake holds commit records but no table; run tickerlake migrate") {
		t.Fatalf("writer over a lake not migrated: %v, want ErrNotMigrated", err)
	}
	if _, _, ok, err := tables.NewReader(store).Visible(context.Background(), ds.Name, ""); ok || err != nil {
		t.Errorf("the refused writer left a table of %s (%v)", ds.Name, err)
	}
}
