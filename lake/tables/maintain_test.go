package tables_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// TestJanitorIsIcebergMaintenance commits re-collections (rewritten data
// files), compacts, then runs the janitor with the tables: it expires old
// snapshots and removes what no live snapshot holds (replaced objects,
// rewritten files, old metadata, a stray file), keeps
// everything the current snapshot reads, and a replay of a range whose
// snapshot expired adds nothing.
func TestJanitorIsIcebergMaintenance(t *testing.T) {
	ctx := context.Background()
	root, st, c := dirLake(t)
	ds := market.DailyBars
	w := laketest.Writer(st)
	w.Tables = c
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	first := laketest.Messages(t, ds, 0, 0, 5, laketest.DailyBars([]string{"AAPL", "MSFT"}, day, 10, ing))
	if err := w.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	offset := int64(len(first))
	for i := range 12 { // each re-collects the last days: a rewrite each
		rows := laketest.DailyBars([]string{"AAPL", "MSFT"}, day.AddDate(0, 0, 5+i), 3, ing.Add(time.Duration(i+1)*time.Hour))
		msgs := laketest.Messages(t, ds, 0, offset, 5, rows)
		offset += int64(len(msgs))
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	rewrites := objects(t, root, ds, ".cow-")
	if len(rewrites) == 0 {
		t.Fatal("no data file was rewritten")
	}
	comp := &lake.Compactor{Store: st, Tables: c, Grace: time.Nanosecond}
	if _, err := comp.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := comp.Run(ctx); err != nil || rep.Partitions != 0 || rep.ObjectsDeleted != 0 { // past its grace
		t.Fatalf("compaction again: %+v, %v; want nothing merged or deleted", rep, err)
	}
	// The compactor deletes nothing with tables (and live snapshots still
	// hold the replaced objects): they stay, for the janitor.
	if len(writerObjects(t, root, ds, "year=2026")) == 0 {
		t.Errorf("compaction removed the replaced objects")
	}
	// More commits elsewhere: the snapshots before the compaction are then
	// older than the newest few, which always stay.
	for i := range tables.KeepSnapshots {
		rows := laketest.DailyBars([]string{"NVDA"}, time.Date(2025, 3, 2+i, 0, 0, 0, 0, time.UTC), 1, ing)
		msgs := laketest.Messages(t, ds, 1, int64(i), 1, rows)
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	before := laketest.TableRows(t, c, ds)
	stray := filepath.Join(root, ds.Name, "year=2026", "stray.parquet")
	strayMeta := filepath.Join(root, ds.Name, lake.MetadataDir, "stray.avro")
	for _, p := range []string{stray, strayMeta} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	metaBefore := len(objects(t, root, ds, ".metadata.json"))
	time.Sleep(time.Millisecond) // the files must be older than the grace
	jan := &lake.Janitor{Store: st, Tables: c, SnapshotKeep: time.Nanosecond, Grace: time.Nanosecond, Datasets: []*market.Dataset{ds}}
	rep, err := jan.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tbl.Metadata().Snapshots()); rep.SnapshotsExpired == 0 || n != tables.KeepSnapshots {
		t.Errorf("expired %d snapshots, %d left; want some expired and %d left", rep.SnapshotsExpired, n, tables.KeepSnapshots)
	}
	if after := laketest.TableRows(t, c, ds); !slices.Equal(before, after) {
		t.Errorf("the table reads %d rows after the janitor, %d before", len(after), len(before))
	}
	for _, p := range []string{stray, strayMeta} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: %v; want it removed", p, err)
		}
	}
	if left := writerObjects(t, root, ds, "year=2026"); len(left) != 0 {
		t.Errorf("replaced objects no snapshot holds are left: %v", left)
	}
	if metaAfter := len(objects(t, root, ds, ".metadata.json")); metaAfter >= metaBefore {
		t.Errorf("%d metadata files after the janitor, %d before", metaAfter, metaBefore)
	}
	unref, err := c.Unreferenced(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	for k := range unref {
		if !strings.HasSuffix(k, lake.VersionHint) && !strings.HasSuffix(k, ".csv") { // tables know only the Parquet objects
			t.Errorf("%s is still there and nothing references it", k)
		}
	}

	// The first range's snapshot has expired; its replay adds nothing.
	if err := w.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	if again := laketest.TableRows(t, c, ds); !slices.Equal(before, again) {
		t.Errorf("a replay after expiry: %d rows, want %d", len(again), len(before))
	}
}

// objects lists the files under a dataset's folder whose names contain s.
func objects(t *testing.T, root string, ds *market.Dataset, s string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, ds.Name), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(filepath.Base(p), s) {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writerObjects lists the Parquet objects the writer made (not merged or
// rewritten ones) in one partition of a dataset.
func writerObjects(t *testing.T, root string, ds *market.Dataset, partition string) []string {
	var out []string
	for _, p := range objects(t, root, ds, laketest.Topic(ds)) {
		if strings.HasSuffix(p, ".parquet") && !strings.Contains(p, ".cow-") && strings.Contains(p, "/"+partition+"/") {
			out = append(out, p)
		}
	}
	return out
}
