package query

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// TestOptionReadModels reads a real DuckDB lake through the option read
// models: the snapshot at or before an instant, its expirations, a filtered
// chain, a contract's history across snapshots, and the stored smile with
// both sides' IVs at its strikes.
func TestOptionReadModels(t *testing.T) {
	ctx := context.Background()
	store, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ing := day.Add(22 * time.Hour)
	early, late := day.Add(15*time.Hour), day.Add(20*time.Hour)
	laketest.Commit(t, store, market.OptionQuotes, 0, 0, 100, laketest.OptionChain("AAPL", early, 3, 10, ing))
	laketest.Commit(t, store, market.OptionQuotes, 0, 1000, 100, laketest.OptionChain("AAPL", late, 3, 10, ing))
	exp := day.AddDate(0, 0, 7)
	pts := []market.SmilePoint{{Strike: 80, Moneyness: 0.8, LogMoneyness: -0.22, IV: 0.31, Delta: -0.1, Type: market.Put},
		{Strike: 102.5, Moneyness: 1.025, LogMoneyness: 0.02, IV: 0.29, Delta: 0.4, Type: market.Call}}
	js, _ := json.Marshal(pts)
	laketest.Commit(t, store, market.IVSmiles, 0, 0, 1, []market.IVSmile{{SnapshotTS: late, Symbol: "AAPL", Expiration: exp,
		DaysToExpiry: 7, UnderlyingPrice: 100, Forward: 100.1, ATMIV: 0.3, Call25IV: 0.28, Put25IV: math.NaN(), Skew25: math.NaN(),
		Butterfly25: math.NaN(), Points: 2, Smile: string(js), IngestedAt: ing}})
	eng, err := Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	if snap, ok, err := eng.Snapshot(ctx, "AAPL", time.Time{}); err != nil || !ok || !snap.Equal(late) {
		t.Errorf("newest snapshot %s %v %v, want %s", snap, ok, err, late)
	}
	if snap, ok, err := eng.Snapshot(ctx, "AAPL", late.Add(-time.Hour)); err != nil || !ok || !snap.Equal(early) {
		t.Errorf("snapshot before %s: %s %v %v, want %s", late, snap, ok, err, early)
	}
	if _, ok, err := eng.Snapshot(ctx, "MSFT", time.Time{}); err != nil || ok {
		t.Errorf("MSFT has a snapshot: %v %v", ok, err)
	}
	exps, err := eng.Expirations(ctx, "AAPL", late)
	if err != nil || len(exps) != 3 || !exps[0].Expiration.Equal(exp) || exps[0].Calls != 10 || exps[0].Puts != 10 || exps[0].DaysToExpiry != 7 {
		t.Errorf("expirations %+v, %v", exps, err)
	}
	chain, err := eng.Chain(ctx, ChainQuery{Symbol: "AAPL", Snapshot: late, Expiration: exp, Type: market.Put, MinStrike: 85, MaxStrike: 90})
	if err != nil || len(chain) != 3 {
		t.Fatalf("puts 85-90: %d, %v; want 3", len(chain), err)
	}
	for _, o := range chain {
		if o.Type != market.Put || o.Strike < 85 || o.Strike > 90 || !o.Expiration.Equal(exp) || !o.SnapshotTS.Equal(late) || o.IV != 0.3 {
			t.Errorf("chain row %+v", o)
		}
	}
	hist, err := eng.ContractHistory(ctx, ContractQuery{Contract: chain[0].ContractSymbol, Limit: 10})
	if err != nil || len(hist) != 2 || !hist[0].SnapshotTS.Equal(early) || !hist[1].SnapshotTS.Equal(late) || hist[1].Strike != chain[0].Strike {
		t.Errorf("history of %s: %+v, %v; want the two snapshots, oldest first", chain[0].ContractSymbol, hist, err)
	}
	if hist, err := eng.ContractHistory(ctx, ContractQuery{Contract: chain[0].ContractSymbol, Limit: 1}); err != nil || len(hist) != 1 || !hist[0].SnapshotTS.Equal(late) {
		t.Errorf("limit 1 keeps the newest: %+v, %v", hist, err)
	}
	smiles, err := eng.Smiles(ctx, "AAPL", late, time.Time{})
	if err != nil || len(smiles) != 1 {
		t.Fatalf("smiles %d, %v; want the one stored", len(smiles), err)
	}
	sm := smiles[0]
	if sm.Row.Forward != 100.1 || sm.Row.ATMIV != 0.3 || !math.IsNaN(sm.Row.Skew25) || len(sm.Points) != 2 {
		t.Errorf("stored smile %+v", sm.Row)
	}
	for i, p := range sm.Points {
		if p.SmilePoint != pts[i] || p.CallIV != 0.3 || p.PutIV != 0.3 {
			t.Errorf("point %d: %+v, want %+v with both sides' IV 0.3", i, p, pts[i])
		}
	}
	if none, err := eng.Smiles(ctx, "AAPL", early, time.Time{}); err != nil || len(none) != 0 {
		t.Errorf("a snapshot without a stored smile: %d, %v", len(none), err)
	}
}

// TestStockReadModels reads quotes' and movers' read models from a real
// DuckDB lake of daily and 15-minute bars.
func TestStockReadModels(t *testing.T) {
	ctx := context.Background()
	eng, _ := openLocal(t, Options{})
	bars, err := eng.LatestSession(ctx, "MSFT")
	if err != nil || len(bars) != 26 || !market.DateOf(bars[0].T).Equal(day) || bars[25].Close != 51+2.5+0.1 {
		t.Fatalf("latest session: %d bars, %v", len(bars), err)
	}
	if bars, err := eng.LatestSession(ctx, "XOM"); err != nil || len(bars) != 0 {
		t.Errorf("XOM session: %d, %v", len(bars), err)
	}
	last, ok, err := eng.LastDaily(ctx, "AAPL")
	if err != nil || !ok {
		t.Fatalf("last daily: %v %v", ok, err)
	}
	prev, ok, err := eng.CloseBefore(ctx, "AAPL", last.T)
	if err != nil || !ok || prev <= 0 {
		t.Errorf("close before %s: %g %v %v", last.T, prev, ok, err)
	}
	if _, ok, err := eng.LastDaily(ctx, "XOM"); err != nil || ok {
		t.Errorf("XOM has a daily bar: %v", err)
	}
	movers, err := eng.Movers(ctx, 5)
	if err != nil || len(movers) != 3 {
		t.Fatalf("movers: %d, %v; want the 3 stocks", len(movers), err)
	}
	for _, m := range movers {
		if !m.Date.Equal(last.T) || m.BaseClose <= 0 || m.Volume <= 0 {
			t.Errorf("mover %+v", m)
		}
	}
	if err := eng.Ping(ctx); err != nil {
		t.Error(err)
	}
	if newest, ok, rows, err := eng.Newest(ctx, market.DailyBars); err != nil || !ok || rows != 120 || !newest.Equal(last.T) {
		t.Errorf("newest daily bar %s %v, %d rows, %v", newest, ok, rows, err)
	}
}
