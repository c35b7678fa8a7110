package tables_test

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink/sinktest"
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

// countVisible is a lake.Tables that counts the calls of Visible, each of
// which reads the manifests of a table's current snapshot.
type countVisible struct {
	lake.Tables
	n int
}

func (c *countVisible) Visible(ctx context.Context, dataset, since string) (string, []lake.TableFile, bool, error) {
	c.n++
	return c.Tables.Visible(ctx, dataset, since)
}

// TestTableExistsReadsNoManifest: the writer and the janitor of a new
// process learn that a dataset has a table, or none, from the catalog's
// entry alone, not from the table's files.
func TestTableExistsReadsNoManifest(t *testing.T) {
	ctx := context.Background()
	_, st, open := reopenableLake(t)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	w := laketest.Writer(st)
	w.Tables = open()
	off := int64(0)
	for _, sym := range []string{"AAPL", "MSFT", "NVDA"} {
		msgs := laketest.Messages(t, market.OptionQuotes, 0, off, 0, laketest.OptionChain(sym, day.Add(17*time.Hour), 2, 3, ing))
		off += int64(len(msgs))
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}

	c := open() // a new process
	reads := tables.CountReads(c)
	for ds, want := range map[string]bool{market.OptionQuotes.Name: true, market.DailyBars.Name: false} {
		if ok, err := c.Exists(ctx, ds); err != nil || ok != want {
			t.Fatalf("Exists(%s) = %v, %v; want %v", ds, ok, err, want)
		}
	}
	if n := reads.Manifests.Load(); n != 0 {
		t.Fatalf("Exists read %d manifests, want none", n)
	}
	tbls := &countVisible{Tables: c}
	w = laketest.Writer(st)
	w.Tables = tbls
	msgs := laketest.Messages(t, market.OptionQuotes, 0, off, 0, laketest.OptionChain("AMZN", day.Add(17*time.Hour), 2, 3, ing))
	if err := w.WriteBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteBatch(ctx, laketest.Messages(t, market.DailyBars, 0, 0, 0, laketest.DailyBars([]string{"AAPL"}, day, 4, ing))); err != nil {
		t.Fatal(err)
	}
	t.Logf("the new writer's two commits read %d manifests and manifest lists", reads.Manifests.Load())
	m0 := reads.Manifests.Load()
	j := &lake.Janitor{Store: st, Tables: tbls, Grace: time.Hour, Datasets: []*market.Dataset{market.OptionQuotes, market.DailyBars}}
	if _, err := j.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("the new janitor read %d manifests and manifest lists", reads.Manifests.Load()-m0)
	if tbls.n != 0 {
		t.Errorf("the writer and the janitor read a table's files %d times to learn whether it exists, want none", tbls.n)
	}
}

// TestTableExistsInPostgres: the cluster's PostgreSQL catalog answers
// Exists as the embedded SQLite one does, for a table and for none, in a
// process that has loaded neither.
func TestTableExistsInPostgres(t *testing.T) {
	dsn := sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the PostgreSQL catalog tests")
	uri := sinktest.PostgresDB(t, dsn)
	ctx := context.Background()
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	open := func() *tables.Catalog { return openCatalog(t, uri, st) }
	exists := func(c *tables.Catalog, want map[string]bool) {
		t.Helper()
		for ds, want := range want {
			if ok, err := c.Exists(ctx, ds); err != nil || ok != want {
				t.Errorf("Exists(%s) = %v, %v; want %v", ds, ok, err, want)
			}
		}
	}
	exists(open(), map[string]bool{market.OptionQuotes.Name: false, market.DailyBars.Name: false})
	w := laketest.Writer(st)
	w.Tables = open()
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	if err := w.WriteBatch(ctx, laketest.Messages(t, market.OptionQuotes, 0, 0, 0, laketest.OptionChain("AAPL", day.Add(17*time.Hour), 2, 3, ing))); err != nil {
		t.Fatal(err)
	}
	c := open() // a new process
	reads := tables.CountReads(c)
	exists(c, map[string]bool{market.OptionQuotes.Name: true, market.DailyBars.Name: false})
	if n := reads.Manifests.Load(); n != 0 {
		t.Errorf("Exists read %d manifests, want none", n)
	}
}
