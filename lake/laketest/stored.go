package laketest

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// Stored is what the lake holds of one natural key.
type Stored struct {
	// In is, for each stored copy, the commit record naming its object; in
	// a lake with a table, a commit naming only the data file.
	In []lake.Commit
	// Imputed counts the copies whose imputed column is true (bars the
	// processor filled in or inserted).
	Imputed int
}

// N is how many copies are stored.
func (s Stored) N() int { return len(s.In) }

// StoredKeys reads the Parquet objects that the lake makes visible of ds
// (the data files of the current snapshot of its table, found through the
// version hint; in a lake without one, the objects its commit records make
// visible) and counts each natural key across them as it is stored, before
// a view collapses replays: a key committed twice counts twice. A key is
// its columns' values joined by "|", dates as 2006-01-02 and instants in
// RFC 3339, UTC.
func StoredKeys(t testing.TB, st lake.Store, ds *market.Dataset) map[string]Stored {
	t.Helper()
	ctx := context.Background()
	out := map[string]Stored{}
	_, files, ok, err := tables.NewReader(st).Visible(ctx, ds.Name, "")
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		for _, f := range files {
			countObject(t, st, ds, lake.Commit{Dataset: ds.Name, Files: []lake.File{{Key: f.Key, Format: "parquet", Rows: f.Rows}}}, f.Key, out)
		}
		return out
	}
	snap, err := (&lake.Catalog{Store: st}).Snapshot(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range snap.Committed("parquet") {
		countObject(t, st, ds, f.Commit, f.Key, out)
	}
	return out
}

// countObject counts the keys of one Parquet object, as held by cm.
func countObject(t testing.TB, st lake.Store, ds *market.Dataset, cm lake.Commit, key string, out map[string]Stored) {
	t.Helper()
	recs, _, err := lake.ReadParquet(context.Background(), st, ds, []string{key})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		err := countKeys(ds, rec, cm, out)
		rec.Release()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
}

func countKeys(ds *market.Dataset, rec arrow.RecordBatch, cm lake.Commit, out map[string]Stored) error {
	var cols []arrow.Array
	for _, name := range ds.Key() {
		cols = append(cols, rec.Column(rec.Schema().FieldIndices(name)[0]))
	}
	var imputed *array.Boolean
	if idx := rec.Schema().FieldIndices("imputed"); len(idx) == 1 {
		imputed, _ = rec.Column(idx[0]).(*array.Boolean)
	}
	parts := make([]string, len(cols))
	for i := 0; i < int(rec.NumRows()); i++ {
		for j, c := range cols {
			switch a := c.(type) {
			case *array.String:
				parts[j] = a.Value(i)
			case *array.LargeString: // as iceberg-go scans strings
				parts[j] = a.Value(i)
			case *array.Timestamp:
				parts[j] = a.Value(i).ToTime(a.DataType().(*arrow.TimestampType).Unit).UTC().Format(time.RFC3339Nano)
			case *array.Date32:
				parts[j] = a.Value(i).ToTime().Format("2006-01-02")
			default:
				return fmt.Errorf("key column %s of type %s has no rendering", ds.Key()[j], c.DataType())
			}
		}
		k := strings.Join(parts, "|")
		s := out[k]
		s.In = append(s.In, cm)
		if imputed != nil && imputed.Value(i) {
			s.Imputed++
		}
		out[k] = s
	}
	return nil
}

// TableKeys reads the current snapshot of ds's Iceberg table with
// iceberg-go, an independent reader of the table format, and counts each
// natural key as StoredKeys does (the copies name no commit record).
func TableKeys(t testing.TB, c *tables.Catalog, ds *market.Dataset) map[string]Stored {
	t.Helper()
	out := map[string]Stored{}
	scanTable(t, c, ds, func(rec arrow.RecordBatch) error { return countKeys(ds, rec, lake.Commit{}, out) })
	return out
}

// TableRows reads the current snapshot of ds's Iceberg table with
// iceberg-go and renders each row as its natural key and its ingested_at,
// as ViewRows renders a view's: a key stored twice appears twice.
func TableRows(t testing.TB, c *tables.Catalog, ds *market.Dataset) []string {
	t.Helper()
	names := append(ds.Key(), "ingested_at")
	var out []string
	scanTable(t, c, ds, func(rec arrow.RecordBatch) error {
		for i := 0; i < int(rec.NumRows()); i++ {
			vals := make([]string, len(names))
			for j, name := range names {
				col := rec.Column(rec.Schema().FieldIndices(name)[0])
				vals[j] = col.ValueStr(i)
				switch a := col.(type) {
				case *array.Timestamp:
					vals[j] = a.Value(i).ToTime(a.DataType().(*arrow.TimestampType).Unit).UTC().Format(time.RFC3339Nano)
				case *array.Date32:
					vals[j] = a.Value(i).ToTime().Format("2006-01-02")
				}
			}
			out = append(out, strings.Join(vals, "|"))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// scanTable hands each record batch of a scan of ds's table to fn.
func scanTable(t testing.TB, c *tables.Catalog, ds *market.Dataset, fn func(arrow.RecordBatch) error) {
	t.Helper()
	ctx := context.Background()
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.Read(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Release()
	rd := array.NewTableReader(rows, 0)
	defer rd.Release()
	for rd.Next() {
		if err := fn(rd.RecordBatch()); err != nil {
			t.Fatalf("table %s: %v", ds.Name, err)
		}
	}
}

// ViewRows renders the rows of ds's view in db (tickerlake's DuckDB) as
// TableRows renders a table's.
func ViewRows(t testing.TB, db *sql.DB, ds *market.Dataset) []string {
	t.Helper()
	names := append(ds.Key(), "ingested_at")
	return SelectRows(t, db, ds, names, func(i int, v any) string {
		if x, ok := v.(time.Time); ok {
			if c, _ := ds.Column(names[i]); c.Type == market.Date {
				return x.Format("2006-01-02")
			}
			return x.UTC().Format(time.RFC3339Nano)
		}
		return fmt.Sprint(v)
	})
}

// SelectRows selects the columns names of ds's view in db and renders
// each row as its values, each rendered by render (given its index in
// names), joined by "|"; sorted.
func SelectRows(t testing.TB, db *sql.DB, ds *market.Dataset, names []string, render func(i int, v any) string) []string {
	t.Helper()
	rows, err := db.Query("SELECT " + strings.Join(names, ", ") + " FROM " + ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		text := make([]string, len(names))
		for i, v := range vals {
			text[i] = render(i, v)
		}
		out = append(out, strings.Join(text, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// UTCDays returns the UTC days ("2026-01-06") of the time column over a
// stored Parquet object, sorted, and its rows.
func UTCDays(t testing.TB, st lake.Store, ds *market.Dataset, key string) ([]string, int64) {
	t.Helper()
	recs, rows, err := lake.ReadParquet(context.Background(), st, ds, []string{key})
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]bool{}
	for _, r := range recs {
		times, err := ds.TimesOf(r)
		r.Release()
		if err != nil {
			t.Fatal(err)
		}
		for _, ts := range times {
			days[ts.UTC().Format("2006-01-02")] = true
		}
	}
	out := make([]string, 0, len(days))
	for d := range days {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, rows
}
