package predict

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/transform"
)

// The test lake holds two years of the synthetic market for a few
// symbols: daily bars, every session's 15-minute bars, and chain
// snapshots (through the real processor, which builds the IV smiles) on
// the last sessions.
var (
	testDay     = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	testNow     = time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)
	testSymbols = []string{"AAPL", "MSFT", "JPM", "XOM", "NVDA", "GOOGL"}
	testOptions = testSymbols[:2]
	optionDays  = 15
)

func writeTestLake(ctx context.Context, t testing.TB, store lake.Store) error {
	cal := market.NYSE()
	mkt := synthetic.New(synthetic.Config{Seed: 3})
	from := testDay.AddDate(-2, 0, 0)
	off := map[*market.Dataset]int64{}
	for _, sym := range testSymbols {
		daily := mkt.Daily(sym, from, testDay)
		off[market.DailyBars] = laketest.Commit(t, store, market.DailyBars, 0, off[market.DailyBars], 0, daily)
		var bars []market.IntradayBar
		for _, d := range cal.TradingDays(from, testDay) {
			bars = append(bars, mkt.Intraday(sym, d)...)
		}
		off[market.IntradayBars] = laketest.Commit(t, store, market.IntradayBars, 0, off[market.IntradayBars], 0, bars)
	}
	// Chains go through the processor: it solves the implied volatilities
	// and builds the smiles the features read.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	src := ingest.NewSynthetic(mkt)
	proc := &transform.Processor{Cleaner: &transform.Cleaner{Calendar: cal, Clock: clock.NewManual(testNow)}, Log: log, Metrics: metrics.New()}
	w := laketest.Writer(store)
	offsets := map[string]int64{}
	days := cal.TradingDays(testDay.AddDate(0, 0, -2*optionDays), testDay)
	days = days[len(days)-optionDays:]
	for _, d := range days {
		_, closeT, _ := cal.Session(d)
		at := closeT.Add(-30 * time.Minute)
		var batch []kafka.Message
		err := src.Fetch(ctx, ingest.NewTask(ingest.Options, at, at, testOptions...), func(r ingest.Raw) error {
			out, err := proc.Process(kafka.Message{Topic: r.Topic, Key: []byte(r.Symbol), Value: r.Value, Headers: r.Headers})
			if err != nil {
				return err
			}
			for _, m := range out {
				if m.Topic == "dead-letter" {
					continue
				}
				m.Offset = offsets[m.Topic]
				offsets[m.Topic]++
				batch = append(batch, m)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("options %s: %w", d.Format(time.DateOnly), err)
		}
		if err := w.WriteBatch(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

var (
	lakeOnce  sync.Once
	testEng   *query.Engine
	testStore *lake.Dir
	testDir   string
	lakeErr   error
)

// sharedLake builds the test lake once per test binary; tests only read it.
func sharedLake(t testing.TB) *query.Engine {
	t.Helper()
	lakeOnce.Do(func() {
		if testDir, lakeErr = os.MkdirTemp("", "tickerlake-predict-test-"); lakeErr != nil {
			return
		}
		if testStore, lakeErr = lake.NewDir(testDir); lakeErr != nil {
			return
		}
		if lakeErr = writeTestLake(context.Background(), t, testStore); lakeErr != nil {
			return
		}
		testEng, lakeErr = query.Open(testStore)
	})
	if lakeErr != nil {
		t.Fatalf("test lake: %v", lakeErr)
	}
	return testEng
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testEng != nil {
		_ = testEng.Close()
	}
	if testDir != "" {
		_ = os.RemoveAll(testDir)
	}
	os.Exit(code)
}
