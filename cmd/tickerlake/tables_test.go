package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// openTables opens the Iceberg catalog a test's writers share, as
// --catalog <dir>/catalog.db does; each call is another client of it.
func openTables(t testing.TB, dir string, store lake.Store) *tables.Catalog {
	t.Helper()
	c, err := tables.Open(context.Background(), filepath.Join(dir, "catalog.db"), store, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// checkTables reads every dataset's Iceberg table with iceberg-go and
// compares it with the lake: the table holds each natural key the lake's
// committed objects hold, once, and the same rows (key and ingested_at) as
// the DuckDB view shows.
func checkTables(t *testing.T, c *tables.Catalog, store lake.Store, eng *query.Engine) {
	t.Helper()
	if err := eng.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ds := range market.Datasets() {
		got := laketest.TableKeys(t, c, ds)
		stored := laketest.StoredKeys(t, store, ds)
		rows := 0
		for k := range stored {
			rows += got[k].N()
			if got[k].N() != 1 {
				t.Errorf("%s: key %s: %d copies in the iceberg table, want 1", ds.Name, k, got[k].N())
			}
		}
		for k := range got {
			if _, ok := stored[k]; !ok {
				t.Errorf("%s: key %s is in the iceberg table, not in the lake", ds.Name, k)
			}
		}
		table, view := laketest.TableRows(t, c, ds), laketest.ViewRows(t, eng.DB(), ds)
		if !slices.Equal(table, view) {
			t.Errorf("%s: iceberg-go reads %d rows, the view shows %d other ones", ds.Name, len(table), len(view))
		}
		t.Logf("iceberg %s.%s: %d rows, %d keys; the view shows %d rows", tables.Namespace, ds.Name, rows, len(got), len(view))
	}
}

// TestCatalogNoneIsRefused: every command that commits to the lake fails
// on --catalog none with an error saying a lake needs a catalog, before
// writing anything.
func TestCatalogNoneIsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"writer", "--kafka-brokers", "127.0.0.1:1"},
		{"compact"},
		{"migrate"},
	} {
		dir := t.TempDir()
		cli := parseCLI(t, append(args, "--data-dir", dir, "--catalog", "none")...)
		g, ctx, log := &cli.Globals, context.Background(), testLogger(t)
		var err error
		switch args[0] {
		case "writer":
			err = cli.Writer.Run(g, ctx, log)
		case "compact":
			err = cli.Compact.Run(g, ctx, log)
		case "migrate":
			err = cli.Migrate.Run(g, ctx, log)
		}
		if err == nil || !strings.Contains(err.Error(), "a lake needs a catalog: name a SQLite file or postgres://") {
			t.Errorf("%s --catalog none: %v, want the lake-needs-a-catalog error", args[0], err)
		}
		if _, serr := os.Stat(filepath.Join(dir, "catalog.db")); serr == nil {
			t.Errorf("%s --catalog none made a catalog", args[0])
		}
	}
}
