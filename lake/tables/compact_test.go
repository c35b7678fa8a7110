package tables_test

import (
	"context"
	"errors"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// TestCompactionCrashWithTables stops a compactor after its merged objects
// are written and before its table commit: the table is as it was and the
// merged objects are orphans; the next run commits the same merge under the
// same names, once. A late replay into the compacted partition then adds
// no key twice, and the next compaction merges it in. No step writes a
// commit record.
func TestCompactionCrashWithTables(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.DailyBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	w := laketest.Writer(st)
	w.Tables = c
	rows := laketest.DailyBars([]string{"AAPL", "MSFT", "NVDA"}, day, 6, ing)
	first := laketest.Messages(t, ds, 0, 0, 3, rows)
	for i := 0; i < len(first); i += 2 { // several small files in one partition
		if err := w.WriteBatch(ctx, first[i:min(i+2, len(first))]); err != nil {
			t.Fatal(err)
		}
	}
	want := len(rows)
	check := func(when string) {
		t.Helper()
		keys := laketest.TableKeys(t, c, ds)
		for k, s := range keys {
			if s.N() != 1 {
				t.Errorf("%s: key %s %d times in the table", when, k, s.N())
			}
		}
		if len(keys) != want {
			t.Errorf("%s: %d keys in the table, want %d", when, len(keys), want)
		}
	}
	check("before compaction")
	_, before := tableFiles(t, c, ds)
	if len(before) < 2 {
		t.Fatalf("%d data files before compaction, want several", len(before))
	}

	crash := errors.New("crash before the table commit")
	_, err := (&lake.Compactor{Store: st, Tables: c, BeforeCommit: func(lake.Commit) error { return crash }}).Run(ctx)
	if !errors.Is(err, crash) {
		t.Fatalf("compaction stopped with %v, want the crash", err)
	}
	_, after := tableFiles(t, c, ds)
	if len(after) != len(before) {
		t.Fatalf("after the crash the table has %d data files, want the %d it had", len(after), len(before))
	}
	merged := compacted(t, st, ds)
	if len(merged) != 2 {
		t.Fatalf("after the crash: merged objects %v, want one Parquet and one CSV", merged)
	}
	unref, err := c.Unreferenced(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range merged {
		if !unref[k] {
			t.Errorf("the crashed merge's %s is referenced by the table", k)
		}
	}
	check("after the crash")

	rep, err := (&lake.Compactor{Store: st, Tables: c}).Run(ctx)
	if err != nil || rep.Partitions != 1 || rep.ObjectsDeleted != 0 {
		t.Fatalf("rerun: %+v, %v; want one partition merged, nothing deleted", rep, err)
	}
	tbl, files := tableFiles(t, c, ds)
	if len(files) != 1 {
		t.Fatalf("%d data files after the rerun, want 1: %v", len(files), files)
	}
	if again := compacted(t, st, ds); len(again) != 2 || again[0] != merged[0] {
		t.Errorf("the rerun made merged objects %v, want those of the crashed run %v", again, merged)
	}
	for f := range files {
		if !strings.HasSuffix(f, merged[1]) { // compact-….parquet
			t.Errorf("data file %s is not the crashed run's merged object %s", f, merged[1])
		}
	}
	snapshots := len(tbl.Metadata().Snapshots())
	if rep, err := (&lake.Compactor{Store: st, Tables: c}).Run(ctx); err != nil || rep.Partitions != 0 {
		t.Fatalf("a third run: %+v, %v; want nothing to do", rep, err)
	}
	if tbl, _ = tableFiles(t, c, ds); len(tbl.Metadata().Snapshots()) != snapshots {
		t.Errorf("a third run made %d snapshots, want none", len(tbl.Metadata().Snapshots())-snapshots)
	}
	check("after the compaction")

	// A late replay into the compacted partition, under another range and
	// collected again: it replaces the merged rows of its keys.
	late := laketest.DailyBars([]string{"MSFT"}, day, 6, ing.Add(time.Hour))
	if err := w.WriteBatch(ctx, laketest.Messages(t, ds, 1, 0, 3, late)); err != nil {
		t.Fatal(err)
	}
	check("after a late replay")
	if rep, err := (&lake.Compactor{Store: st, Tables: c}).Run(ctx); err != nil || rep.Partitions != 1 {
		t.Fatalf("compaction after the late replay: %+v, %v", rep, err)
	}
	check("after compacting the late replay")
	lateAt := "|" + ing.Add(time.Hour).Format(time.RFC3339Nano)
	n := 0
	for _, r := range laketest.TableRows(t, c, ds) {
		if strings.HasPrefix(r, "MSFT|") {
			n++
			if !strings.HasSuffix(r, lateAt) {
				t.Errorf("row %s: want the late one, ingested at %s", r, lateAt[1:])
			}
		}
	}
	if n != len(late) {
		t.Errorf("%d MSFT rows in the table, want %d", n, len(late))
	}
	if records, err := st.List(ctx, lake.CommitPrefix+"/"); err != nil || len(records) != 0 {
		t.Errorf("commit records %v (%v) in a lake with tables, want none", records, err)
	}
}

// compacted lists the merged objects of a dataset, sorted (CSV first).
func compacted(t *testing.T, st lake.Store, ds *market.Dataset) []string {
	t.Helper()
	keys, err := st.List(context.Background(), ds.Name+"/")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(path.Base(k), "compact-") {
			out = append(out, k)
		}
	}
	return out
}
