package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink/sinktest"
	"github.com/tickerlake/tickerlake/stream"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fill publishes messages and runs the real lake writer until the lake
// holds want rows per dataset.
func fill(t *testing.T, store lake.Store, eng *query.Engine, brokers []string, msgs []kafka.Message, want map[string]int) {
	t.Helper()
	sinktest.Publish(t, brokers, msgs)
	w := &lake.Writer{Store: store, Brokers: brokers, Log: sinktest.Logger(t), Metrics: metrics.New(), BatchWindow: 200 * time.Millisecond}
	stop := sinktest.Run(t, w.Run)
	defer stop()
	sinktest.Eventually(t, 60*time.Second, func() (bool, string) {
		for ds, n := range want {
			res, err := eng.Query(context.Background(), "SELECT count(*) FROM "+ds, 0)
			if err != nil {
				return false, err.Error()
			}
			if got := res.Rows[0][0].(int64); got != int64(n) {
				return false, fmt.Sprintf("%s has %d rows, want %d", ds, got, n)
			}
		}
		return true, ""
	})
}

func readCSV(t *testing.T, store lake.Store, key string) [][]string {
	t.Helper()
	b, err := store.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return recs
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	store, err := lake.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := query.OpenWith(store, query.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	eng.RefreshEvery = 0
	ingested := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	fx := sinktest.NewFixture(30, ingested)
	brokers := sinktest.Broker(t)
	fill(t, store, eng, brokers, fx.Messages(t), map[string]int{
		"daily_bars": len(fx.Daily), "intraday_bars": len(fx.Intraday), "option_quotes": len(fx.Options)})

	e := &Exporter{Engine: eng, Store: store, Log: sinktest.Logger(t)}
	day, err := e.LatestSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC); !day.Equal(want) {
		t.Fatalf("latest session %v, want %v", day, want)
	}
	files, err := e.Export(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	perSymbol := len(fx.Options) / 3 / 2 / 2 // 3 symbols, 2 snapshots, calls and puts
	want := []File{
		{"stock_data/2026-11-20/StockData_2026-11-20.csv", 6, "created"},
		{"stock_data/2026-11-20/StockData_2025-11-20_2026-11-20.csv", len(fx.Daily), "created"},
		{"real_time_15min_data/2026-11-20/StockData15Min_2026-11-20.csv", len(fx.Intraday), "created"},
		{"options_data/2026-11-20/call_options_2026-11-20_exp_2026-12-18.csv", 3 * perSymbol, "created"},
		{"options_data/2026-11-20/put_options_2026-11-20_exp_2026-12-18.csv", 3 * perSymbol, "created"},
	}
	if fmt.Sprint(files) != fmt.Sprint(want) {
		t.Fatalf("files\n%v\nwant\n%v", files, want)
	}
	for _, f := range files {
		if recs := readCSV(t, store, f.Key); len(recs) != f.Rows+1 {
			t.Errorf("%s: %d lines, want a header and %d rows", f.Key, len(recs), f.Rows)
		}
	}
	// The day's file, exactly.
	got, _ := store.Get(ctx, want[0].Key)
	golden := filepath.Join("testdata", "StockData_2026-11-20.csv")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if w, err := os.ReadFile(golden); err != nil || !bytes.Equal(got, w) {
		t.Errorf("%s differs from %s (%v):\n%s", want[0].Key, golden, err, got)
	}
	// Options: the closing snapshot only, in the original column layout.
	calls := readCSV(t, store, want[3].Key)
	if calls[0][0] != "contractSymbol" || calls[0][15] != "StockName" || calls[0][16] != "snapshotTime" {
		t.Errorf("options header %v", calls[0])
	}
	_, closeT, _ := market.NYSE().Session(day)
	for _, r := range calls[1:] {
		if r[16] != closeT.UTC().Format(time.RFC3339) {
			t.Fatalf("call %s from snapshot %s, want the day's last (%s)", r[0], r[16], closeT.UTC().Format(time.RFC3339))
		}
	}

	// A rerun changes nothing.
	again, err := e.Export(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range again {
		if f.Status != "unchanged" {
			t.Errorf("rerun: %s %s", f.Key, f.Status)
		}
	}

	// A corrected bar arrives: the files holding it are replaced, the others stay.
	fixed := fx.Daily[len(fx.Daily)-1]
	fixed.Close, fixed.IngestedAt = 123.25, ingested.Add(time.Hour)
	fill(t, store, eng, brokers, []kafka.Message{sinktest.Message(t, stream.ProcessedDailyData, market.DailyBars, fixed.Symbol, []market.DailyBar{fixed})},
		map[string]int{"daily_bars": len(fx.Daily)})
	third, err := e.Export(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, f := range third {
		status[f.Key] = f.Status
	}
	for i, f := range want {
		wantStatus := "unchanged"
		if i < 2 {
			wantStatus = "replaced"
		}
		if status[f.Key] != wantStatus {
			t.Errorf("after a correction: %s %s, want %s", f.Key, status[f.Key], wantStatus)
		}
	}
	found := false
	for _, r := range readCSV(t, store, want[0].Key) {
		if r[0] == fixed.Symbol && r[5] == "123.25" {
			found = true
		}
	}
	if !found {
		t.Errorf("the corrected close of %s is not in %s", fixed.Symbol, want[0].Key)
	}
}
