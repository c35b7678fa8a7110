package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
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

// render prints what a plan needs, one view per line, in a stable order.
func (n needs) String() string {
	var lines []string
	for ds, nds := range n {
		var reads []string
		for _, nd := range nds {
			var cols []string
			for _, c := range slices.Sorted(func(yield func(string) bool) {
				for k := range nd {
					if !yield(k) {
						return
					}
				}
			}) {
				b := nd[c]
				if b.in != nil {
					cols = append(cols, c+" in "+strings.Join(b.in, ","))
				} else {
					cols = append(cols, fmt.Sprintf("%s [%s, %s]", c, b.lo, b.hi))
				}
			}
			if len(cols) == 0 {
				cols = []string{"all"}
			}
			reads = append(reads, strings.Join(cols, " & "))
		}
		slices.Sort(reads)
		lines = append(lines, ds.Name+": "+strings.Join(reads, " | "))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// everyView is the plan that reads every view whole.
func everyView() string {
	var lines []string
	for _, ds := range market.Datasets() {
		lines = append(lines, ds.Name+": all")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func TestPlanFindsWhatEachReadNeeds(t *testing.T) {
	eng, _ := openLocal(t, Options{})
	snap := time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, sql string
		args      []any
		want      string
	}{
		{"one symbol's year", "SELECT * FROM daily_bars WHERE symbol = 'AAPL' AND date BETWEEN DATE '2025-11-20' AND '2026-11-20' ORDER BY date", nil,
			"daily_bars: date [2025-11-20, 2026-11-20] & symbol [AAPL, AAPL]"},
		{"parameters", "SELECT * FROM daily_bars WHERE symbol = ? AND date >= ?", []any{"MSFT", "2026-01-02"},
			"daily_bars: date [2026-01-02, ] & symbol [MSFT, MSFT]"},
		{"chain at an instant", "SELECT * FROM option_quotes WHERE symbol = $1 AND snapshot_ts = $2", []any{"AAPL", snap},
			"option_quotes: contract_symbol [AAPL0, AAPL9\xff] & snapshot_ts [2026-11-20T17:00:00.000000Z, 2026-11-20T17:00:00.000000Z]"},
		{"zone spelled out", "SELECT * FROM option_quotes o WHERE o.symbol = 'X' AND snapshot_ts = TIMESTAMPTZ '2026-11-20 17:00:00+00'", nil,
			"option_quotes: contract_symbol [X0, X9\xff] & snapshot_ts [2026-11-20T17:00:00.000000Z, 2026-11-20T17:00:00.000000Z]"},
		{"underlyings in a list", "SELECT * FROM option_quotes WHERE symbol IN ('BRK-B', 'AAPL')", nil, "option_quotes: contract_symbol [AAPL0, BRKB9\xff]"},
		{"zone left to the session: a day either way", "SELECT * FROM option_quotes WHERE snapshot_ts >= '2026-11-20 09:30:00'", nil,
			"option_quotes: snapshot_ts [2026-11-19T09:30:00.000000Z, ]"},
		{"constant on the left", "SELECT * FROM intraday_bars WHERE 'JPM' = symbol AND TIMESTAMPTZ '2026-11-20 00:00:00+00' < ts", nil,
			"intraday_bars: symbol [JPM, JPM] & ts [2026-11-20T00:00:00.000000Z, ]"},
		{"in list", "SELECT * FROM daily_bars WHERE symbol IN ('MSFT', 'AAPL')", nil, "daily_bars: symbol in AAPL,MSFT"},
		{"or is not used", "SELECT * FROM daily_bars WHERE symbol = 'A' OR symbol = 'B'", nil, "daily_bars: all"},
		{"not a key column", "SELECT * FROM daily_bars WHERE close > 10", nil, "daily_bars: all"},
		{"inner join, qualified", "SELECT * FROM daily_bars d JOIN intraday_bars i ON d.symbol = i.symbol AND i.symbol = 'AAPL' WHERE d.symbol = 'MSFT'", nil,
			"daily_bars: symbol [MSFT, MSFT]\nintraday_bars: symbol [AAPL, AAPL]"},
		{"outer join reads whole views", "SELECT * FROM daily_bars d LEFT JOIN intraday_bars i ON d.symbol = i.symbol WHERE d.symbol = 'MSFT'", nil,
			"daily_bars: all\nintraday_bars: all"},
		{"subquery in FROM", "SELECT * FROM (SELECT * FROM daily_bars) WHERE symbol = 'MSFT'", nil, "daily_bars: all"},
		{"each read on its own", "SELECT max(snapshot_ts) FROM option_quotes WHERE symbol = 'A' UNION ALL SELECT max(snapshot_ts) FROM option_quotes", nil,
			"option_quotes: all | contract_symbol [A0, A9\xff]"},
		{"correlated column is no constant", "SELECT * FROM option_quotes o WHERE symbol = 'A' AND snapshot_ts = (SELECT max(snapshot_ts) FROM option_quotes WHERE symbol = o.symbol)", nil,
			"option_quotes: all | contract_symbol [A0, A9\xff]"},
		{"named in a string", "SELECT count(*) FROM query_table('daily_bars')", nil, everyView()},
		{"not a select", "DESCRIBE iv_smile", nil, "iv_smile: all"},
		{"contradiction needs nothing", "SELECT * FROM daily_bars WHERE symbol IN ('A', 'B') AND symbol = 'C'", nil, "daily_bars: symbol in "},
		{"no view", "SELECT 42", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tree string
			if err := eng.raw.QueryRow("SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", tc.sql).Scan(&tree); err != nil {
				t.Fatal(err)
			}
			args := make([]driver.NamedValue, len(tc.args))
			for i, a := range tc.args {
				args[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
			}
			if got := plan(tc.sql, tree, args).String(); got != tc.want {
				t.Fatalf("plan\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// prunedLake commits, to an S3 lake, daily bars for 8 symbols over two
// years (one commit per symbol and year) and option chains for the same
// symbols at one snapshot on each of 5 days (one commit each).
func prunedLake(t testing.TB, st lake.Store) []string {
	syms := []string{"AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"}
	ing := day.Add(23 * time.Hour)
	off := int64(0)
	for _, sym := range syms {
		for _, start := range []time.Time{day.AddDate(-1, -10, 0), day.AddDate(0, -10, 0)} {
			off = laketest.Commit(t, st, market.DailyBars, 0, off, 0, laketest.DailyBars([]string{sym}, start, 150, ing))
		}
	}
	for d := 0; d < 5; d++ {
		for _, sym := range syms {
			off = laketest.Commit(t, st, market.OptionQuotes, 1, off, 0, laketest.OptionChain(sym, day.AddDate(0, 0, -d).Add(17*time.Hour), 3, 4, ing))
		}
	}
	return syms
}

// TestQueriesFetchOnlyTheFilesTheyNeed: over a lake on S3, a chain query
// and a symbol's year of daily bars fetch only their own files into the
// cache, and answer as the whole views do.
func TestQueriesFetchOnlyTheFilesTheyNeed(t *testing.T) {
	ctx := context.Background()
	st := laketest.FakeS3(t, laketest.NewClock(time.Now()), "bucket", "pruned")
	prunedLake(t, st)
	snap := day.AddDate(0, 0, -2).Add(17 * time.Hour)
	for _, tc := range []struct {
		name, where string
		args        []any
		files       int64
	}{
		{"chain", "option_quotes WHERE symbol = ? AND snapshot_ts = ? ORDER BY expiration, strike, option_type", []any{"CCC", snap}, 1},
		{"daily year", "daily_bars WHERE symbol = 'EEE' AND date > DATE '2026-02-01' AND date <= DATE '2026-11-20' ORDER BY date", nil, 1},
		{"daily across years", "daily_bars WHERE symbol = 'EEE' AND date >= DATE '2025-06-01' ORDER BY date", nil, 2},
		{"one symbol, every snapshot", "option_quotes WHERE symbol = 'HHH' ORDER BY snapshot_ts, expiration, strike, option_type", nil, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng, err := OpenWith(st, Options{CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			cache := eng.Files().(*CachedFiles).Cache
			before := cache.Stats()
			got, err := eng.Query(ctx, "SELECT * FROM "+tc.where, 0, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			after := cache.Stats()
			if n := after.Misses - before.Misses; n != tc.files {
				t.Errorf("fetched %d files, want %d", n, tc.files)
			}
			if len(got.Rows) == 0 {
				t.Fatal("no rows")
			}
			// A subquery hides the conditions from the planner: the
			// whole view is read.
			view, rest, _ := strings.Cut(tc.where, " ")
			want, err := eng.Query(ctx, "SELECT * FROM (SELECT * FROM "+view+") "+rest, 0, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if text(got) != text(want) {
				t.Errorf("pruned answer differs from the whole view's:\n%s\nwant\n%s", text(got), text(want))
			}
		})
	}
}

// TestUnplannedReadFails: the views outside a planned statement (the
// database's own, which a read the planner missed would reach) fail with
// a clear error rather than answer from some other query's files.
func TestUnplannedReadFails(t *testing.T) {
	eng, _ := openLocal(t, Options{})
	if _, err := eng.Query(context.Background(), "SELECT count(*) FROM daily_bars WHERE symbol = 'AAPL'", 0); err != nil {
		t.Fatal(err)
	}
	for _, db := range []interface {
		QueryRow(string, ...any) *sql.Row
	}{eng.raw, eng.ro.raw} {
		var n int64
		err := db.QueryRow("SELECT count(*) FROM daily_bars").Scan(&n)
		if err == nil || !strings.Contains(err.Error(), "read without a plan") {
			t.Fatalf("unplanned read: %d rows, %v", n, err)
		}
	}
}

// TestNewestFromManifests: a dataset's newest event and its rows come
// from its table's manifests with no data file fetched, and agree with a
// scan of its view; a dataset without a table is scanned.
func TestNewestFromManifests(t *testing.T) {
	ctx := context.Background()
	st := laketest.FakeS3(t, laketest.NewClock(time.Now()), "bucket", "newest")
	prunedLake(t, st)
	cat, err := tables.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	for _, ds := range []*market.Dataset{market.DailyBars, market.OptionQuotes} {
		if _, err := cat.Migrate(ctx, ds.Name); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := OpenWith(st, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cache := eng.Files().(*CachedFiles).Cache
	for _, tc := range []struct {
		ds    *market.Dataset
		table bool
	}{{market.DailyBars, true}, {market.OptionQuotes, true}, {market.IntradayBars, false}} {
		before := cache.Stats().Misses
		last, ok, rows, err := eng.Newest(ctx, tc.ds)
		if err != nil {
			t.Fatal(err)
		}
		if fetched := cache.Stats().Misses - before; tc.table && fetched != 0 {
			t.Errorf("%s: newest fetched %d files", tc.ds.Name, fetched)
		}
		var want sql.NullTime
		var wantRows int64
		q := fmt.Sprintf("SELECT max(%s)::TIMESTAMPTZ, count(*) FROM %s", tc.ds.TimeCol, tc.ds.Name)
		if err := eng.DB().QueryRowContext(ctx, q).Scan(&want, &wantRows); err != nil {
			t.Fatal(err)
		}
		if ok != want.Valid || rows != wantRows || (ok && !last.Equal(want.Time)) {
			t.Errorf("%s: newest %s %v, %d rows; the view says %s %v, %d rows", tc.ds.Name, last, ok, rows, want.Time, want.Valid, wantRows)
		}
		if tc.table && (!ok || rows == 0) {
			t.Errorf("%s: no rows in a lake that has them", tc.ds.Name)
		}
	}
}
