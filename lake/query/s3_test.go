package query

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// TestEngineOverS3 queries the same small lake on the local filesystem and
// on S3 (in-process, and versitygw when it runs) and expects the same
// answers; s3:// names of the lake's objects work in ad-hoc SQL.
func TestEngineOverS3(t *testing.T) {
	ctx := context.Background()
	local, _ := openLocal(t, Options{})
	clock := laketest.NewClock(time.Now())
	remotes := map[string]*lake.S3{"gofakes3": laketest.FakeS3(t, clock, "bucket", "lake/v1")}
	if real, ok := laketest.S3FromEnv(t); ok {
		remotes["versitygw"] = real
	}
	queries := []string{
		"SELECT symbol, count(*), round(sum(close), 4) FROM daily_bars GROUP BY 1 ORDER BY 1",
		"SELECT count(*), min(ts), max(ts) FROM intraday_bars",
		"SELECT option_type, count(*), round(avg(strike), 4) FROM option_quotes GROUP BY 1 ORDER BY 1",
	}
	for name, st := range remotes {
		t.Run(name, func(t *testing.T) {
			smallLake(t, st)
			cache := t.TempDir()
			eng, err := OpenWith(st, Options{CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			for _, q := range queries {
				want, err := local.Query(ctx, q, 0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := eng.Query(ctx, q, 0)
				if err != nil {
					t.Fatal(err)
				}
				if text(got) != text(want) {
					t.Errorf("%s:\non S3 %s\nlocal %s", q, text(got), text(want))
				}
			}
			url := st.URL("")
			for _, tc := range []struct {
				name, sql string
				want      int64
			}{
				{"glob", "SELECT count(*) FROM read_parquet('" + url + "/daily_bars/*/*.parquet')", 120},
				{"recursive glob", "SELECT count(*) FROM read_parquet('" + url + "/**/*.parquet')", 120 + 78 + 60},
				{"csv", "SELECT count(*) FROM read_csv('" + url + "/intraday_bars/date=2026-11-20/*.csv')", 78},
				{"hive partitions", "SELECT count(DISTINCT date) FROM read_parquet('" + url + "/intraday_bars/*/*.parquet', hive_partitioning = true)", 1},
				{"table name", "SELECT count(*) FROM '" + url + "/option_quotes/date=2026-11-20/*.parquet'", 60},
			} {
				t.Run(tc.name, func(t *testing.T) {
					for _, run := range []func(context.Context, string, int) (*Result, error){
						func(ctx context.Context, q string, limit int) (*Result, error) { return eng.Query(ctx, q, limit) },
						eng.ReadOnlyQuery,
					} {
						res, err := run(ctx, tc.sql, 0)
						if err != nil {
							t.Fatal(err)
						}
						if n := res.Rows[0][0].(int64); n != tc.want {
							t.Fatalf("%d rows, want %d", n, tc.want)
						}
					}
				})
			}
			// The cache holds the lake's objects under their keys.
			files, _ := filepath.Glob(filepath.Join(cache, "daily_bars", "*", "*.parquet"))
			if len(files) != 1 {
				t.Fatalf("cache holds %v", files)
			}
		})
	}
}

func text(r *Result) string {
	var b strings.Builder
	for _, row := range r.Rows {
		for _, v := range row {
			b.WriteString(Text(v) + " ")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// etagLiar serves objects whose ETag does not match their bytes, as a
// corrupted transfer would.
type etagLiar struct{ *lake.S3 }

func (l etagLiar) GetObject(ctx context.Context, key string) ([]byte, lake.ObjectInfo, error) {
	b, info, err := l.S3.GetObject(ctx, key)
	if len(b) > 0 {
		b = append([]byte{}, b...)
		b[len(b)/2] ^= 0xff
	}
	return b, info, err
}

func TestCacheSync(t *testing.T) {
	ctx := context.Background()
	clock := laketest.NewClock(time.Now())
	st := laketest.FakeS3(t, clock, "bucket", "cache")
	smallLake(t, st)
	keys, err := (&lake.Catalog{Store: st}).Files(ctx, "option_quotes", "parquet")
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	keys2, _ := (&lake.Catalog{Store: st}).Files(ctx, "daily_bars", "parquet")
	keys = append(keys, keys2...)
	dir := t.TempDir()
	c, err := lake.NewCache(st, dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Clock = clock
	c.EvictAfter = time.Minute

	t.Run("downloads once", func(t *testing.T) {
		rep, err := c.Sync(ctx, keys)
		if err != nil || rep.Downloaded != len(keys) || rep.Bytes == 0 {
			t.Fatalf("first sync %+v, %v", rep, err)
		}
		rep, err = c.Sync(ctx, keys)
		if err != nil || rep.Downloaded != 0 || rep.Fresh != len(keys) {
			t.Fatalf("second sync %+v, %v; want everything fresh", rep, err)
		}
		// A new process over the same directory trusts the manifest.
		c2, err := lake.NewCache(st, dir)
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := c2.Sync(ctx, keys); err != nil || rep.Downloaded != 0 {
			t.Fatalf("reopened cache sync %+v, %v", rep, err)
		}
	})
	t.Run("refetches a damaged file", func(t *testing.T) {
		if err := os.WriteFile(c.Path(keys[0]), []byte("truncated"), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := c.Sync(ctx, keys)
		if err != nil || rep.Downloaded != 1 {
			t.Fatalf("sync %+v, %v; want the damaged file fetched again", rep, err)
		}
	})
	t.Run("refuses a body that does not match its etag", func(t *testing.T) {
		bad, err := lake.NewCache(etagLiar{st}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.Sync(ctx, keys[:1])
		if err == nil || !strings.Contains(err.Error(), "does not match etag") {
			t.Fatalf("error %v, want an etag mismatch", err)
		}
		if _, serr := os.Stat(bad.Path(keys[0])); !errors.Is(serr, os.ErrNotExist) {
			t.Fatal("the corrupt body was written to the cache")
		}
	})
	t.Run("evicts what is no longer wanted, later", func(t *testing.T) {
		want := map[string]bool{keys[0]: true}
		if n, err := c.Evict(want); err != nil || n != 0 {
			t.Fatalf("first evict removed %d, %v; want none yet", n, err)
		}
		clock.Advance(2 * time.Minute)
		n, err := c.Evict(want)
		if err != nil || n != len(keys)-1 {
			t.Fatalf("evicted %d, %v; want %d", n, err, len(keys)-1)
		}
		if _, err := os.Stat(c.Path(keys[0])); err != nil {
			t.Fatal("a wanted file was evicted")
		}
		if _, err := os.Stat(c.Path(keys[1])); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("an unwanted file stayed")
		}
	})
}

func TestRewriteNames(t *testing.T) {
	clock := laketest.NewClock(time.Now())
	st := laketest.FakeS3(t, clock, "bkt", "p")
	if _, err := st.PutIfAbsent(context.Background(), "d/x.parquet", []byte("x")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c, err := lake.NewCache(st, dir)
	if err != nil {
		t.Fatal(err)
	}
	files := &CachedFiles{Cache: c, URL: "s3://bkt/p"}
	for _, tc := range []struct{ name, in, out, err string }{
		{name: "plain", in: "SELECT 1", out: "SELECT 1"},
		{name: "lake object", in: "SELECT * FROM 's3://bkt/p/d/x.parquet'", out: "SELECT * FROM '" + dir + "/d/x.parquet'"},
		{name: "glob keeps its pattern", in: "FROM read_parquet('s3://bkt/p/d/*.parquet')", out: "FROM read_parquet('" + dir + "/d/*.parquet')"},
		{name: "comment untouched", in: "SELECT 1 -- 's3://bkt/p/d/x.parquet'\n", out: "SELECT 1 -- 's3://bkt/p/d/x.parquet'\n"},
		{name: "block comment untouched", in: "SELECT /* 's3://x/y' */ 1", out: "SELECT /* 's3://x/y' */ 1"},
		{name: "identifier untouched", in: `SELECT 1 AS "s3://x/y"`, out: `SELECT 1 AS "s3://x/y"`},
		{name: "escaped quote", in: "SELECT 'it''s', 's3://bkt/p/d/x.parquet'", out: "SELECT 'it''s', '" + dir + "/d/x.parquet'"},
		{name: "other bucket", in: "SELECT * FROM 's3://other/x'", err: "outside the lake"},
		{name: "prefix look-alike", in: "SELECT * FROM 's3://bkt/pp/x'", err: "outside the lake"},
		{name: "climbing out", in: "SELECT * FROM 's3://bkt/p/../q/x'", err: "'..'"},
		{name: "unterminated", in: "SELECT 'abc", out: "SELECT 'abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rewriteNames(context.Background(), tc.in, files)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.out {
				t.Fatalf("got %q, %v; want %q", got, err, tc.out)
			}
		})
	}
}

func TestGlobRegexp(t *testing.T) {
	for _, tc := range []struct {
		glob, key string
		match     bool
	}{
		{"d/*.parquet", "d/x.parquet", true},
		{"d/*.parquet", "d/e/x.parquet", false},
		{"d/**/*.parquet", "d/e/f/x.parquet", true},
		{"d/?.csv", "d/a.csv", true},
		{"d/[ab].csv", "d/c.csv", false},
		{"d/{x,y}.csv", "d/y.csv", true},
		{"d/x.parquet", "d/xxparquet", false},
	} {
		t.Run(tc.glob+" "+tc.key, func(t *testing.T) {
			re, err := globRegexp(tc.glob)
			if err != nil {
				t.Fatal(err)
			}
			if re.MatchString(tc.key) != tc.match {
				t.Fatalf("match %v, want %v", !tc.match, tc.match)
			}
		})
	}
}

// TestViewsCollapseOnlyWhereKeysRepeat replays one session's bars under
// another offset range: that partition is collapsed by key, the other is
// read as it is, and a later replay into the clean one is caught too.
func TestViewsCollapseOnlyWhereKeysRepeat(t *testing.T) {
	syms := []string{"AAPL", "MSFT"}
	d1, d2 := day.AddDate(0, 0, -1), day
	ing := day.Add(23 * time.Hour)
	store, eng := replayLake(t, func(store lake.Store) {
		laketest.Commit(t, store, market.IntradayBars, 0, 0, 0, laketest.IntradayBars(syms, d1, ing))
		laketest.Commit(t, store, market.IntradayBars, 1, 0, 0, laketest.IntradayBars(syms, d1, ing.Add(time.Hour))) // replay
		laketest.Commit(t, store, market.IntradayBars, 0, 1, 0, laketest.IntradayBars(syms, d2, ing))
	})
	check := func(want int64) {
		t.Helper()
		checkRowsOncePerKey(t, eng, "intraday_bars", "symbol, ts", want)
	}
	check(2 * 52)
	if def := viewDefinition(t, eng, "intraday_bars"); !strings.Contains(def, "UNION ALL") || !strings.Contains(def, "row_number()") {
		t.Fatalf("the view does not read the unique partition as it is and collapse the other:\n%s", def)
	}
	laketest.Commit(t, store, market.IntradayBars, 1, 1, 0, laketest.IntradayBars(syms, d2, ing.Add(time.Hour)))
	check(2 * 52)
}

// TestViewMatchesColumnsByNameAcrossSchemaVersions: files of one schema
// version are read by position, a mix by name.
func TestViewMatchesColumnsByNameAcrossSchemaVersions(t *testing.T) {
	eng, _ := openLocal(t, Options{})
	for _, tc := range []struct {
		name     string
		versions []int
		byName   bool
	}{
		{"one version", []int{1, 0}, false}, // 0: a record from before the field, version 1
		{"two versions", []int{1, 2}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := &lake.Snapshot{Dataset: "daily_bars"}
			var keys []string
			for i, v := range tc.versions {
				k := fmt.Sprintf("daily_bars/year=%d/compact-x.parquet", 2020+i)
				keys = append(keys, k)
				snap.Commits = append(snap.Commits, lake.Commit{Kind: lake.KindCompaction, SchemaVersion: v,
					Files: []lake.File{{Key: k, Format: "parquet"}}})
			}
			q, err := eng.viewSQL(context.Background(), newLayout(market.DailyBars, snap), newLayout(market.DailyBars, snap).files, keys)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(q, "union_by_name") != tc.byName || strings.Contains(q, "row_number") {
				t.Fatalf("view:\n%s", q)
			}
		})
	}
}

// TestViewsCheckOnlyFilesWhoseKeysOverlap: within one partition, a replay
// is collapsed with the file it repeats while a file whose key ranges are
// disjoint from theirs is read as it is, and a later commit of a new
// snapshot costs a check of its own file only.
func TestViewsCheckOnlyFilesWhoseKeysOverlap(t *testing.T) {
	ing := day.Add(23 * time.Hour)
	snap := day.Add(15 * time.Hour)
	store, eng := replayLake(t, func(store lake.Store) {
		laketest.Commit(t, store, market.OptionQuotes, 0, 0, 0, laketest.OptionChain("AAA", snap, 2, 5, ing))
		laketest.Commit(t, store, market.OptionQuotes, 1, 0, 0, laketest.OptionChain("BBB", snap, 2, 5, ing))
		laketest.Commit(t, store, market.OptionQuotes, 2, 0, 0, laketest.OptionChain("AAA", snap, 2, 5, ing.Add(time.Hour))) // replay
	})
	check := func(want int64) {
		t.Helper()
		checkRowsOncePerKey(t, eng, "option_quotes", "snapshot_ts, contract_symbol", want)
	}
	check(2 * 20)
	if eng.checked != 3 {
		t.Fatalf("%d files read to check keys, want 3", eng.checked)
	}
	def := viewDefinition(t, eng, "option_quotes")
	plain, collapsed, ok := strings.Cut(def, "UNION ALL")
	if !ok || !strings.Contains(plain, "-1-") || strings.Contains(plain, "-0-") || strings.Contains(plain, "-2-") ||
		!strings.Contains(collapsed, "-0-") || !strings.Contains(collapsed, "-2-") || strings.Contains(collapsed, "-1-") {
		t.Fatalf("the view does not read BBB's file as it is and collapse AAA's two:\n%s", def)
	}
	laketest.Commit(t, store, market.OptionQuotes, 0, 1, 0, laketest.OptionChain("AAA", snap.Add(time.Hour), 2, 5, ing))
	check(3 * 20)
	if eng.checked != 4 {
		t.Fatalf("%d files read to check keys after a new snapshot, want 4", eng.checked)
	}
}

// checkRowsOncePerKey expects want rows in view, each key once.
func checkRowsOncePerKey(t *testing.T, eng *Engine, view, key string, want int64) {
	t.Helper()
	res, err := eng.Query(context.Background(), fmt.Sprintf("SELECT count(*), count(DISTINCT (%s)) FROM %s", key, view), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, d := res.Rows[0][0].(int64), res.Rows[0][1].(int64); n != want || d != want {
		t.Fatalf("%s: %d rows, %d keys; want %d of each", view, n, d, want)
	}
}

// viewDefinition is the SQL behind a view read whole.
func viewDefinition(t *testing.T, eng *Engine, view string) string {
	t.Helper()
	ds, ok := market.DatasetByName(view)
	if !ok {
		t.Fatalf("no dataset %s", view)
	}
	v, err := eng.view(context.Background(), ds, []need{{}})
	if err != nil {
		t.Fatal(err)
	}
	v.release()
	return v.sql
}

// replayLake is a local lake written by commit and an engine over it
// that re-reads the commit records on every query.
func replayLake(t *testing.T, commit func(lake.Store)) (*lake.Dir, *Engine) {
	t.Helper()
	store, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commit(store)
	eng, err := OpenWith(store, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	eng.RefreshEvery = 0
	return store, eng
}
