package main

import (
	"context"
	"fmt"
	"path/filepath"
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
// compares it with the lake: the table holds each natural key as many times
// as the committed Parquet objects do (its data files are those objects),
// and as many distinct keys as the DuckDB view shows rows.
func checkTables(t *testing.T, c *tables.Catalog, store lake.Store, eng *query.Engine) {
	t.Helper()
	for _, ds := range market.Datasets() {
		got := laketest.TableKeys(t, c, ds)
		stored := laketest.StoredKeys(t, store, ds)
		rows := 0
		for k, s := range stored {
			rows += s.N()
			if got[k].N() != s.N() {
				t.Errorf("%s: key %s: %d copies in the iceberg table, %d in the lake's committed objects", ds.Name, k, got[k].N(), s.N())
			}
		}
		for k := range got {
			if _, ok := stored[k]; !ok {
				t.Errorf("%s: key %s is in the iceberg table, not in the lake", ds.Name, k)
			}
		}
		res, err := eng.Query(context.Background(), "SELECT count(*) FROM "+ds.Name, 0)
		if err != nil {
			t.Fatal(err)
		}
		if view := fmt.Sprint(res.Rows[0][0]); view != fmt.Sprint(len(got)) {
			t.Errorf("%s: %d distinct keys in the iceberg table, %s rows in the view", ds.Name, len(got), view)
		}
		t.Logf("iceberg %s.%s: %d rows, %d keys; the view shows %v rows", tables.Namespace, ds.Name, rows, len(got), res.Rows[0][0])
	}
}
