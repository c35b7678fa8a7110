package query

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

var day = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// smallLake commits a few symbols' daily bars, a session of 15-minute bars
// and an option chain to a lake in dir.
func smallLake(t testing.TB, store lake.Store) {
	t.Helper()
	ing := day.Add(22 * time.Hour)
	syms := []string{"AAPL", "MSFT", "JPM"}
	laketest.Commit(t, store, market.DailyBars, 0, 0, 50, laketest.DailyBars(syms, day.AddDate(0, -2, 0), 40, ing))
	laketest.Commit(t, store, market.IntradayBars, 1, 0, 20, laketest.IntradayBars(syms, day, ing))
	laketest.Commit(t, store, market.OptionQuotes, 2, 0, 100, laketest.OptionChain("AAPL", day.Add(15*time.Hour), 3, 10, ing))
}

func openLocal(t testing.TB, opts Options) (*Engine, *lake.Dir) {
	t.Helper()
	store, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	smallLake(t, store)
	eng, err := OpenWith(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng, store
}

func TestReadOnlyQueryAnswersSelects(t *testing.T) {
	eng, store := openLocal(t, Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, sql string
		rows      int
	}{
		{"view", "SELECT symbol, count(*) AS n FROM daily_bars GROUP BY symbol ORDER BY symbol", 3},
		{"from first", "FROM intraday_bars WHERE symbol = 'MSFT'", 26},
		{"cte and join", "WITH d AS (SELECT symbol, max(close) AS c FROM daily_bars GROUP BY 1) SELECT * FROM d JOIN (SELECT DISTINCT symbol FROM intraday_bars) USING (symbol)", 3},
		{"lake file in place", "SELECT count(*) FROM read_parquet('" + store.Root + "/daily_bars/*/*.parquet')", 1},
		{"trailing semicolon", "SELECT 1;", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := eng.ReadOnlyQuery(ctx, tc.sql, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(res.Rows), tc.rows)
			}
		})
	}
}

func TestReadOnlyQueryRefuses(t *testing.T) {
	eng, store := openLocal(t, Options{})
	ctx := context.Background()
	outside := filepath.Join(t.TempDir(), "secret.csv")
	if err := os.WriteFile(outside, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(store.Root, "daily_bars", "evil.parquet")
	for _, tc := range []struct{ name, sql string }{
		{"passwd as table", "SELECT * FROM '/etc/passwd'"},
		{"read_csv passwd", "SELECT * FROM read_csv('/etc/passwd')"},
		{"read_text passwd", "SELECT * FROM read_text('/etc/passwd')"},
		{"glob outside", "SELECT * FROM glob('/etc/*')"},
		{"file outside the lake", "SELECT * FROM read_csv('" + outside + "')"},
		{"dot-dot out of the lake", "SELECT * FROM read_csv('" + store.Root + "/../" + filepath.Base(filepath.Dir(outside)) + "/secret.csv')"},
		{"copy to", "COPY (SELECT 1) TO '" + target + "'"},
		{"copy from", "COPY daily_bars FROM '/etc/passwd'"},
		{"export", "EXPORT DATABASE '" + t.TempDir() + "'"},
		{"attach", "ATTACH '" + filepath.Join(t.TempDir(), "x.db") + "' AS x"},
		{"attach memory", "ATTACH ':memory:' AS m"},
		{"install", "INSTALL httpfs"},
		{"load", "LOAD httpfs"},
		{"set", "SET enable_external_access = true"},
		{"set memory", "SET memory_limit = '100GB'"},
		{"reset", "RESET lock_configuration"},
		{"pragma", "PRAGMA enable_profiling"},
		{"call", "CALL enable_logging()"},
		{"create table", "CREATE TABLE t AS SELECT 1"},
		{"create view", "CREATE OR REPLACE VIEW daily_bars AS SELECT 1"},
		{"insert", "INSERT INTO daily_bars VALUES (1)"},
		{"delete", "DELETE FROM daily_bars"},
		{"update", "UPDATE daily_bars SET close = 0"},
		{"drop", "DROP VIEW daily_bars"},
		{"second statement", "SELECT 1; DROP VIEW daily_bars"},
		{"two selects", "SELECT 1; SELECT 2"},
		{"set after select", "SELECT 1; SET enable_external_access = true"},
		{"query function", "SELECT * FROM query('CREATE TABLE t AS SELECT 1')"},
		{"s3 outside the lake", "SELECT * FROM read_parquet('s3://elsewhere/x.parquet')"},
		{"write through a table function", "SELECT * FROM read_csv('/proc/self/environ')"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := eng.ReadOnlyQuery(ctx, tc.sql, 0)
			if err == nil {
				t.Fatalf("ran, returning %d rows", len(res.Rows))
			}
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("error %v does not say it was refused", err)
			}
			t.Logf("%v", err)
		})
	}
	if _, err := os.Stat(target); err == nil {
		t.Fatal("COPY wrote into the lake")
	}
	// The views are intact after all that.
	res, err := eng.ReadOnlyQuery(ctx, "SELECT count(*) FROM daily_bars", 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0][0].(int64) != 120 {
		t.Fatalf("daily_bars has %v rows, want 120", res.Rows[0][0])
	}
}

func TestReadOnlyQueryLimits(t *testing.T) {
	eng, _ := openLocal(t, Options{ReadOnly: Limits{Timeout: 300 * time.Millisecond, MaxRows: 50, MemoryLimit: "64MB"}})
	ctx := context.Background()
	t.Run("row limit", func(t *testing.T) {
		res, err := eng.ReadOnlyQuery(ctx, "SELECT * FROM range(1000)", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != 50 || !res.Truncated {
			t.Fatalf("%d rows, truncated %v; want 50, true", len(res.Rows), res.Truncated)
		}
		res, err = eng.ReadOnlyQuery(ctx, "SELECT * FROM range(1000)", 7)
		if err != nil || len(res.Rows) != 7 {
			t.Fatalf("caller's limit 7: %v rows, %v", len(res.Rows), err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		_, err := eng.ReadOnlyQuery(ctx, "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1", 0)
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("error %v, want a statement timeout", err)
		}
	})
	t.Run("memory limit", func(t *testing.T) {
		eng, _ := openLocal(t, Options{ReadOnly: Limits{MemoryLimit: "64MB"}})
		_, err := eng.ReadOnlyQuery(ctx, "SELECT list(range) FROM range(20000000)", 0)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "memory") {
			t.Fatalf("error %v, want out of memory", err)
		}
	})
	t.Run("syntax error is not a refusal", func(t *testing.T) {
		_, err := eng.ReadOnlyQuery(ctx, "SELEC 1", 0)
		if err == nil || errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "syntax") {
			t.Fatalf("error %v, want a syntax error", err)
		}
	})
}
