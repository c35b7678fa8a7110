package serve

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
)

// TestFreshnessFromTheTable: in a lake written through its Iceberg tables,
// which holds no commit record, freshness reports each dataset's newest
// event and commit from the table, and readiness lists the lake.
func TestFreshnessFromTheTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := lake.NewDir(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := tables.Open(ctx, filepath.Join(dir, "catalog.db"), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	w := laketest.Writer(st)
	w.Tables = cat
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ds := market.DailyBars
	msgs := laketest.Messages(t, ds, 0, 0, 4, laketest.DailyBars([]string{"AAPL", "MSFT"}, day, 5, day.AddDate(0, 0, 6)))
	if err := w.WriteBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if records, err := st.List(ctx, lake.CommitPrefix+"/"); err != nil || len(records) != 0 {
		t.Fatalf("commit records %v, %v; want none", records, err)
	}
	eng, err := query.OpenWith(st, query.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s := New(eng, st, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.New())
	fs, err := s.freshness(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Dataset != ds.Name {
			continue
		}
		if want := day.AddDate(0, 0, 4); f.LastEvent == nil || !f.LastEvent.Equal(want) || f.Rows != 10 || f.LastCommitAt == nil {
			t.Errorf("freshness of %s: last event %v, %d rows, last commit %v; want %s, 10 rows and the table's commit", ds.Name, f.LastEvent, f.Rows, f.LastCommitAt, want)
		}
	}
	if rep := s.Readiness().Check(ctx); !rep.Ready() {
		t.Errorf("readiness over a lake with tables: %+v", rep)
	}
}
