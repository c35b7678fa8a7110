package query

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

var benchSymbols = func() []string {
	var s []string
	for i := 0; i < 40; i++ {
		s = append(s, fmt.Sprintf("S%03d", i))
	}
	return s
}()

// benchLake commits a year of daily bars for 40 symbols in monthly-ish
// batches and option chains (8 expirations x 40 strikes, calls and puts)
// for 10 symbols at 4 snapshots, one commit each.
func benchLake(b *testing.B, st lake.Store) {
	b.Helper()
	ing := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	start := time.Date(2025, 11, 21, 0, 0, 0, 0, time.UTC)
	for i, sym := range benchSymbols {
		laketest.Commit(b, st, market.DailyBars, i%5, int64(i*10), 0, laketest.DailyBars([]string{sym}, start, 252, ing))
	}
	for i, sym := range benchSymbols[:10] {
		for s := 0; s < 4; s++ {
			snap := day.Add(time.Duration(15+s) * time.Hour)
			laketest.Commit(b, st, market.OptionQuotes, i%5, int64(1000+i*10+s), 0, laketest.OptionChain(sym, snap, 8, 40, ing))
		}
	}
}

// bareDuckDB is DuckDB alone over the same Parquet files.
func bareDuckDB(b *testing.B) *sql.DB {
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(c)
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		b.Fatal(err)
	}
	return db
}

func fileList(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = quoteString(p)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func drain(b *testing.B, db *sql.DB, q string) int {
	rows, err := db.Query(q)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkQuery compares the engine (views with replay de-duplication,
// commit-record refresh, on a local lake and on S3 through the cache)
// with bare DuckDB reading the same files, for one symbol's year of daily
// bars and for one full option chain.
func BenchmarkQuery(b *testing.B) {
	ctx := context.Background()
	local, err := lake.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	benchLake(b, local)
	remote := laketest.FakeS3(b, laketest.NewClock(time.Now()), "bench", "lake")
	benchLake(b, remote)
	queries := []struct{ name, view, where string }{
		{"daily-year", "daily_bars", "symbol = 'S007' ORDER BY date"},
		{"option-chain", "option_quotes", "symbol = 'S003' AND snapshot_ts = TIMESTAMPTZ '2026-11-20 17:00:00+00' ORDER BY expiration, strike, option_type"},
	}
	for _, lk := range []struct {
		name  string
		store lake.Store
	}{{"local", local}, {"s3", remote}} {
		eng, err := OpenWith(lk.store, Options{CacheDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { eng.Close() })
		bare := bareDuckDB(b)
		for _, state := range []string{"fresh", "compacted"} {
			if state == "compacted" {
				if _, err := (&lake.Compactor{Store: lk.store}).Run(ctx); err != nil {
					b.Fatal(err)
				}
			}
			eng.RefreshEvery = 0
			if err := eng.Refresh(ctx); err != nil {
				b.Fatal(err)
			}
			eng.RefreshEvery = 500 * time.Millisecond
			for _, q := range queries {
				keys, err := (&lake.Catalog{Store: lk.store}).Files(ctx, q.view, "parquet")
				if err != nil {
					b.Fatal(err)
				}
				paths, err := eng.Files().Paths(ctx, keys)
				if err != nil {
					b.Fatal(err)
				}
				engineSQL := "SELECT * FROM " + q.view + " WHERE " + q.where
				bareSQL := "SELECT * FROM read_parquet(" + fileList(paths) + ") WHERE " + q.where
				// Both sides run the query once before they are timed.
				want := drain(b, bare, bareSQL)
				if want == 0 {
					b.Fatalf("%s matches nothing", q.name)
				}
				if res, err := eng.Query(ctx, engineSQL, 0); err != nil || len(res.Rows) != want {
					b.Fatalf("%s: %v", q.name, err)
				}
				name := lk.name + "/" + state + "/" + q.name
				b.Run(name+"/engine", func(b *testing.B) {
					for b.Loop() {
						res, err := eng.Query(ctx, engineSQL, 0)
						if err != nil {
							b.Fatal(err)
						}
						if len(res.Rows) != want {
							b.Fatalf("%d rows, bare DuckDB %d", len(res.Rows), want)
						}
					}
				})
				b.Run(name+"/duckdb", func(b *testing.B) {
					for b.Loop() {
						drain(b, bare, bareSQL)
					}
				})
			}
		}
	}
}

// BenchmarkCacheSync times mirroring a day of partitions (a session of
// 15-minute bars and the option snapshots of 10 symbols, each in its own
// objects) from S3 into an empty cache, beside the bare SDK fetching the
// same objects one by one into files.
func BenchmarkCacheSync(b *testing.B) {
	stores := map[string]*lake.S3{"gofakes3": laketest.FakeS3(b, laketest.NewClock(time.Now()), "bench", "sync")}
	if real, ok := laketest.S3FromEnv(b); ok {
		stores["versitygw"] = real
	}
	for name, st := range stores {
		b.Run(name, func(b *testing.B) { benchCacheSync(b, st) })
	}
}

func benchCacheSync(b *testing.B, st *lake.S3) {
	ctx := context.Background()
	benchLake(b, st)
	for i, sym := range benchSymbols {
		laketest.Commit(b, st, market.IntradayBars, i%5, int64(5000+i), 0, laketest.IntradayBars([]string{sym}, day, day))
	}
	var keys []string
	for _, ds := range []string{"intraday_bars", "option_quotes"} {
		k, err := (&lake.Catalog{Store: st}).Files(ctx, ds, "parquet")
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k...)
	}
	b.Logf("%d objects", len(keys))
	b.Run("cache", func(b *testing.B) {
		for b.Loop() {
			c, err := lake.NewCache(st, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			rep, err := c.Sync(ctx, keys)
			if err != nil || rep.Downloaded != len(keys) {
				b.Fatalf("%+v, %v", rep, err)
			}
		}
		b.ReportMetric(float64(len(keys)), "objects/op")
	})
	b.Run("sdk-serial", func(b *testing.B) {
		for b.Loop() {
			dir := b.TempDir()
			for _, k := range keys {
				out, err := st.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(st.Bucket()), Key: aws.String(st.Prefix() + k)})
				if err != nil {
					b.Fatal(err)
				}
				p := filepath.Join(dir, filepath.FromSlash(k))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					b.Fatal(err)
				}
				f, err := os.Create(p)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.ReadFrom(out.Body); err != nil {
					b.Fatal(err)
				}
				out.Body.Close()
				f.Close()
			}
		}
	})
	b.Run("resync-fresh", func(b *testing.B) {
		c, err := lake.NewCache(st, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Sync(ctx, keys); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if rep, err := c.Sync(ctx, keys); err != nil || rep.Downloaded != 0 {
				b.Fatalf("%+v, %v", rep, err)
			}
		}
	})
}
