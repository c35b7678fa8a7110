package tables_test

import (
	"context"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// TestEngineShowsTheTable checks that the query engine shows what the
// table's current snapshot holds, whatever the commit records say: a writer
// with tables writes none, rows a record alone names stay hidden,
// and the same holds read through the catalog or through the version hint.
// A broken version hint is an error naming the file.
func TestEngineShowsTheTable(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.DailyBars
	ing := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	w := laketest.Writer(st)
	w.Tables = c
	rows := laketest.DailyBars([]string{"AAPL", "MSFT"}, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 10, ing)
	if err := w.WriteBatch(ctx, laketest.Messages(t, ds, 0, 0, 5, rows)); err != nil {
		t.Fatal(err)
	}
	count := func(opts query.Options) int64 {
		t.Helper()
		opts.CacheDir = t.TempDir()
		eng, err := query.OpenWith(st, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		res, err := eng.Query(ctx, "SELECT count(*) FROM daily_bars WHERE symbol IN ('AAPL', 'MSFT', 'NVDA')", 0)
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(int64)
	}
	want := int64(len(rows))
	if n := count(query.Options{}); n != want {
		t.Fatalf("engine over the version hint shows %d rows, want %d", n, want)
	}

	// The writer wrote no commit record: the table alone holds the rows.
	records, err := st.List(ctx, lake.CommitPrefix+"/")
	if err != nil || len(records) != 0 {
		t.Fatalf("a writer with tables left commit records %v (%v), want none", records, err)
	}
	// A record alone (written without the table) names more rows.
	more := laketest.DailyBars([]string{"NVDA"}, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 10, ing)
	laketest.Commit(t, st, ds, 0, 100, 0, more)
	for name, opts := range map[string]query.Options{"version hint": {}, "catalog": {Tables: c}} {
		if n := count(opts); n != want {
			t.Errorf("engine through the %s shows %d rows with the records changed, want the table's %d", name, n, want)
		}
	}

	// A hint naming a metadata file that is not there.
	hint := path.Join(ds.Name, lake.MetadataDir, lake.VersionHint)
	if err := os.WriteFile(st.Path(hint), []byte("00099-missing"), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := query.OpenWith(st, query.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	_, err = eng.Query(ctx, "SELECT count(*) FROM daily_bars", 0)
	if err == nil || !strings.Contains(err.Error(), "00099-missing.metadata.json") || !strings.Contains(err.Error(), lake.VersionHint) {
		t.Fatalf("engine over a broken hint: %v, want an error naming the metadata file and the hint", err)
	}
}
