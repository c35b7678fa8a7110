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
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink/sinktest"
	"github.com/tickerlake/tickerlake/stream"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// lakeFiller commits processed messages with the lake's own writer, as if
// they had come from consecutive offsets of one partition.
type lakeFiller struct {
	store lake.Store
	next  int64
}

func (f *lakeFiller) fill(t *testing.T, msgs []kafka.Message) {
	t.Helper()
	for i := range msgs {
		msgs[i].Offset = f.next
		f.next++
	}
	w := &lake.Writer{Store: f.store, Log: sinktest.Logger(t), Metrics: metrics.New()}
	if err := w.WriteBatch(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
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

// TestExport runs over both kinds of store the lake lives in.
func TestExport(t *testing.T) {
	t.Run("dir", func(t *testing.T) {
		store, err := lake.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		testExport(t, store)
	})
	t.Run("s3", func(t *testing.T) {
		clock := laketest.NewClock(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
		testExport(t, laketest.FakeS3(t, clock, "lake", "prod"))
	})
}

func testExport(t *testing.T, store lake.Store) {
	ctx := context.Background()
	eng, err := query.OpenWith(store, query.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	eng.RefreshEvery = 0
	ingested := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	fx := sinktest.NewFixture(30, ingested)
	lf := &lakeFiller{store: store}
	lf.fill(t, fx.Messages(t))

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
	lf.fill(t, []kafka.Message{sinktest.Message(t, stream.ProcessedDailyData, market.DailyBars, fixed.Symbol, []market.DailyBar{fixed})})
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
