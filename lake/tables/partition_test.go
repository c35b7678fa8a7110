package tables_test

import (
	"context"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// TestPartitionSpec checks that a new daily_bars table is partitioned by
// year(date), that each data file's partition value is the year of its
// lake folder, and that a scan filtered on a date plans files of that
// year only; intraday_bars, dated in New York, stays unpartitioned.
func TestPartitionSpec(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tables.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	w := laketest.Writer(st)
	w.Tables = c
	now := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	// Across New Year: a file per year.
	bars := laketest.DailyBars([]string{"AAPL", "MSFT"}, time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC), 20, now)
	if err := w.WriteBatch(ctx, laketest.Messages(t, market.DailyBars, 0, 0, 0, bars)); err != nil {
		t.Fatal(err)
	}
	// A re-collection of some days rewrites files of both years.
	again := laketest.DailyBars([]string{"AAPL"}, time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC), 5, now.Add(time.Hour))
	if err := w.WriteBatch(ctx, laketest.Messages(t, market.DailyBars, 0, 1, 0, again)); err != nil {
		t.Fatal(err)
	}
	intraday := laketest.IntradayBars([]string{"AAPL"}, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), now)
	if err := w.WriteBatch(ctx, laketest.Messages(t, market.IntradayBars, 0, 0, 0, intraday)); err != nil {
		t.Fatal(err)
	}

	tbl, err := c.Reload(ctx, market.DailyBars.Name)
	if err != nil {
		t.Fatal(err)
	}
	spec := tbl.Spec()
	if spec.NumFields() != 1 {
		t.Fatalf("daily_bars spec %s, want year(date)", spec)
	}
	f := spec.Field(0)
	if _, ok := f.Transform.(iceberg.YearTransform); !ok {
		t.Fatalf("daily_bars partition field %s, want year(date)", f.String())
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	manifests, err := tbl.CurrentSnapshot().Manifests(fs)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range manifests {
		if len(m.Partitions()) != 1 {
			t.Errorf("manifest %s has %d partition summaries in the manifest list, want 1", m.FilePath(), len(m.Partitions()))
		}
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	years := map[int]int{}
	for _, task := range tasks {
		dir := path.Base(path.Dir(task.File.FilePath()))
		y, err := strconv.Atoi(strings.TrimPrefix(dir, "year="))
		if err != nil {
			t.Fatalf("data file %s is not in a year= folder", task.File.FilePath())
		}
		v, ok := task.File.Partition()[f.FieldID]
		if !ok || v == nil {
			t.Fatalf("data file %s has no partition value", task.File.FilePath())
		}
		if got := int(v.(int32)); got != y-1970 {
			t.Errorf("data file %s: partition value %d, want %d (year %d)", task.File.FilePath(), got, y-1970, y)
		}
		years[y]++
	}
	if years[2025] == 0 || years[2026] == 0 {
		t.Fatalf("data files by year %v, want some of 2025 and of 2026", years)
	}
	pruned, err := tbl.Scan(table.WithRowFilter(iceberg.EqualTo(iceberg.Reference("date"), iceberg.Date(20460)))).PlanFiles(ctx) // 2026-01-07
	if err != nil {
		t.Fatal(err)
	}
	if len(pruned) == 0 {
		t.Error("a scan of 2026-01-07 plans no file")
	}
	for _, task := range pruned {
		if !strings.Contains(task.File.FilePath(), "/year=2026/") {
			t.Errorf("a scan of 2026-01-07 plans %s", task.File.FilePath())
		}
	}
	keys, _ := scanKeys(t, c, market.DailyBars)
	if len(keys) != len(bars) {
		t.Errorf("daily_bars holds %d keys, want %d", len(keys), len(bars))
	}

	itbl, err := c.Reload(ctx, market.IntradayBars.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !itbl.Spec().IsUnpartitioned() {
		t.Errorf("intraday_bars spec %s, want unpartitioned (New York dates are no Iceberg transform)", itbl.Spec())
	}
}
