package lake_test

import (
	"context"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// TestCommitRecordsBoundKeys: the writer's commit records bound each
// natural-key column of every object, and ranges overlap exactly when no
// key column keeps them apart.
func TestCommitRecordsBoundKeys(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ing := day2.Add(23 * time.Hour)
	laketest.Commit(t, st, market.OptionQuotes, 0, 0, 7, laketest.OptionChain("AAPL", day2.Add(15*time.Hour), 2, 4, ing))
	laketest.Commit(t, st, market.DailyBars, 0, 0, 0, laketest.DailyBars([]string{"MSFT", "AAPL"}, day2, 3, ing))
	want := map[string]lake.KeyRanges{
		"option_quotes": {
			"snapshot_ts":     {"2026-11-20T15:00:00.000000Z", "2026-11-20T15:00:00.000000Z"},
			"contract_symbol": {"AAPL261127C00080000", "AAPL261204P00087500"},
		},
		"daily_bars": {"symbol": {"AAPL", "MSFT"}, "date": {"2026-11-20", "2026-11-24"}},
	}
	for ds, keys := range want {
		cms, err := (&lake.Catalog{Store: st}).Commits(ctx, ds)
		if err != nil || len(cms) != 1 {
			t.Fatalf("%s: %d commits, %v", ds, len(cms), err)
		}
		for _, f := range cms[0].Files {
			if len(f.Keys) != len(keys) {
				t.Fatalf("%s: %s bounds %v, want %v", ds, f.Key, f.Keys, keys)
			}
			for c, r := range keys {
				if f.Keys[c] != r {
					t.Errorf("%s: %s bounds %s by %v, want %v", ds, f.Key, c, f.Keys[c], r)
				}
			}
		}
	}

	ds := market.OptionQuotes
	at := func(ts, lo, hi string) lake.KeyRanges {
		return lake.KeyRanges{"snapshot_ts": {ts, ts}, "contract_symbol": {lo, hi}}
	}
	a := at("2026-11-20T15:00:00.000000Z", "AAPL1", "AAPL9")
	for _, tc := range []struct {
		name string
		b    lake.KeyRanges
		want bool
	}{
		{"same", a, true},
		{"contracts inside", at("2026-11-20T15:00:00.000000Z", "AAPL3", "AAPL4"), true},
		{"contracts touching", at("2026-11-20T15:00:00.000000Z", "AAPL9", "MSFT"), true},
		{"other contracts", at("2026-11-20T15:00:00.000000Z", "MSFT1", "MSFT9"), false},
		{"other snapshot", at("2026-11-20T16:00:00.000000Z", "AAPL1", "AAPL9"), false},
		{"unbounded", nil, true},
		{"a column unbounded", lake.KeyRanges{"contract_symbol": {"AAPL1", "AAPL9"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.Overlap(tc.b, ds); got != tc.want {
				t.Fatalf("overlap %v, want %v", got, tc.want)
			}
			if got := tc.b.Overlap(a, ds); got != tc.want {
				t.Fatalf("overlap the other way %v, want %v", got, tc.want)
			}
		})
	}
}
