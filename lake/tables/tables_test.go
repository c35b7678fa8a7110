package tables_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/iceberg-go/table"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink/sinktest"
)

// scanKeys reads a dataset's table with iceberg-go and returns its natural
// keys and its row count.
func scanKeys(t *testing.T, c *tables.Catalog, ds *market.Dataset) (map[string]laketest.Stored, int64) {
	t.Helper()
	keys := laketest.TableKeys(t, c, ds)
	var rows int64
	for _, k := range keys {
		rows += int64(k.N())
	}
	return keys, rows
}

// TestTablesFollowCommits replays commits, two writers at once, a
// compaction and a retention run into the tables, on each store and
// catalog, and reads the tables back with iceberg-go after each.
func TestTablesFollowCommits(t *testing.T) {
	dir := func(t *testing.T) lake.Store {
		st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	fakeS3 := func(t *testing.T) lake.Store {
		return laketest.FakeS3(t, laketest.NewClock(time.Now()), "lake", "tl")
	}
	sqlite := func(t *testing.T) string { return filepath.Join(t.TempDir(), "catalog.db") }
	postgres := func(t *testing.T) string {
		dsn := sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the PostgreSQL catalog tests")
		return sinktest.PostgresDB(t, dsn)
	}
	for _, tc := range []struct {
		name    string
		store   func(t *testing.T) lake.Store
		catalog func(t *testing.T) string
	}{
		{"dir+sqlite", dir, sqlite},
		{"s3+sqlite", fakeS3, sqlite},
		{"dir+postgres", dir, postgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := tc.store(t)
			uri := tc.catalog(t)
			c, err := tables.Open(ctx, uri, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := c.Close(); err != nil {
					t.Error(err)
				}
			}()
			ds := market.DailyBars
			day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
			now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			first := laketest.DailyBars([]string{"AAPL", "MSFT"}, day, 10, now)
			w := laketest.Writer(st)
			w.Tables = c
			msgs := laketest.Messages(t, ds, 0, 0, 5, first)
			for range 2 { // the second is a replay of the same range
				if err := w.WriteBatch(ctx, msgs); err != nil {
					t.Fatal(err)
				}
			}
			keys, rows := scanKeys(t, c, ds)
			if rows != int64(len(first)) || len(keys) != len(first) {
				t.Fatalf("after a replayed commit: %d rows, %d keys; want %d of each", rows, len(keys), len(first))
			}

			// A second writer, another catalog client on the same database,
			// commits other ranges side by side with the first.
			c2, err := tables.Open(ctx, uri, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := c2.Close(); err != nil {
					t.Error(err)
				}
			}()
			w2 := laketest.Writer(st)
			w2.Tables = c2
			again := laketest.DailyBars([]string{"AAPL", "MSFT"}, day, 10, now.Add(time.Hour)) // re-collected: same keys
			more := laketest.DailyBars([]string{"NVDA"}, day, 10, now)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Go(func() { errs[0] = w.WriteBatch(ctx, laketest.Messages(t, ds, 1, 0, 5, again)) })
			wg.Go(func() { errs[1] = w2.WriteBatch(ctx, laketest.Messages(t, ds, 2, 0, 5, more)) })
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			// The re-collection's rows replace the first ones in the same
			// snapshot: an outside reader never sees a key twice.
			keys, rows = scanKeys(t, c, ds)
			if want := len(first) + len(more); rows != int64(want) || len(keys) != want {
				t.Fatalf("after two writers: %d rows, %d keys; want %d of each", rows, len(keys), want)
			}

			// Compaction replaces the partition's files by one with a row per key.
			comp := &lake.Compactor{Store: st, Tables: c, Grace: time.Hour}
			if rep, err := comp.Run(ctx); err != nil || rep.ObjectsDeleted != 0 {
				t.Fatalf("compaction: %+v, %v; want no object deleted (the janitor's)", rep, err)
			}
			keys, rows = scanKeys(t, c, ds)
			if want := len(first) + len(more); rows != int64(want) || len(keys) != want {
				t.Fatalf("after compaction: %d rows, %d keys; want %d of each", rows, len(keys), want)
			}
			// The compactor plans from the table: the partition's data
			// files, rewrites among them, become the one merged file.
			tbl, files := tableFiles(t, c, ds)
			if op := tbl.CurrentSnapshot().Summary.Operation; op != table.OpReplace {
				t.Errorf("the compaction's snapshot is an Iceberg %q, want %q", op, table.OpReplace)
			}
			if len(files) != 1 {
				t.Fatalf("table has %d data files after compaction, want 1: %v", len(files), files)
			}
			for f := range files {
				if !strings.Contains(f, "/compact-") {
					t.Errorf("data file %s is not the merged one", f)
				}
			}

			// Retention drops the partition from the table too.
			ret := &lake.Retention{Store: st, Tables: c, Keep: map[string]time.Duration{ds.Name: 24 * time.Hour}, Clock: laketest.NewClock(now.AddDate(2, 0, 0))}
			if _, err := ret.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if _, rows = scanKeys(t, c, ds); rows != 0 {
				t.Fatalf("after retention: %d rows, want 0", rows)
			}
			// The table alone took the writers', the compaction's and
			// retention's commits.
			if records, err := st.List(ctx, lake.CommitPrefix+"/"); err != nil || len(records) != 0 {
				t.Errorf("commit records %v (%v) in a lake with tables, want none", records, err)
			}

			hint, err := c.VersionHint(ctx, tbl)
			if err != nil {
				t.Fatal(err)
			}
			tbl, _ = c.Reload(ctx, ds.Name)
			if want := strings.TrimSuffix(filepath.Base(tbl.MetadataLocation()), ".metadata.json"); hint != want {
				t.Errorf("version-hint.text holds %q, want %q", hint, want)
			}
		})
	}
}

func TestCatalogURI(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"postgres://tl:secret@db:5432/catalog", "postgres://tl:xxxxx@db:5432/catalog"},
		{"/data/catalog.db", "/data/catalog.db"},
	} {
		if got := tables.Redact(tc.uri); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.uri, got, tc.want)
		}
	}
	if _, err := tables.Open(context.Background(), "mysql://x", &lake.Dir{Root: t.TempDir()}, nil); err == nil {
		t.Error("mysql:// opened; want an error naming the schemes")
	}
}

// TestCatalogInAFolderNotYetMade opens a SQLite catalog under a data dir
// nothing has created yet, as a writer in a fresh pod does.
func TestCatalogInAFolderNotYetMade(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "dir")
	c, err := tables.Open(context.Background(), filepath.Join(dir, "catalog.db"), &lake.Dir{Root: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog.db")); err != nil {
		t.Fatalf("catalog file: %v", err)
	}
}

// tableFiles loads ds's table and its data files.
func tableFiles(t *testing.T, c *tables.Catalog, ds *market.Dataset) (*table.Table, map[string]bool) {
	t.Helper()
	ctx := context.Background()
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	files, err := c.DataFiles(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	return tbl, files
}
