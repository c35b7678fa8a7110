package serve

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2/humatest"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/transform"
)

// The test lake is written by the real pipeline stages without a broker:
// the synthetic source's raw messages go through the processor and the
// lake writer exactly as they would through Kafka.

// testDay is the newest session in the test lake, and testNow the clock of
// the servers under test: after that session's close.
var (
	testDay = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	testNow = time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)
)

var testSymbols = []string{"AAPL", "MSFT", "BRK.B", "JPM", "XOM", "NVDA", "GOOGL", "AMZN"}

// testTasks: a year of daily bars for the test symbols, one session
// of 15-minute bars, two option snapshots of three of them, and twelve
// years of their dividends and splits.
func testTasks() []ingest.Task {
	open, closeT, _ := market.NYSE().Session(testDay)
	return []ingest.Task{
		ingest.NewTask(ingest.Daily, testDay.AddDate(-1, 0, -7), testDay.AddDate(0, 0, 1), testSymbols...),
		ingest.NewTask(ingest.Intraday, open, closeT, testSymbols...),
		ingest.NewTask(ingest.Options, open.Add(time.Hour), open.Add(time.Hour), testSymbols[:3]...),
		ingest.NewTask(ingest.Options, closeT.Add(-15*time.Minute), closeT.Add(-15*time.Minute), testSymbols[:3]...),
		ingest.NewTask(ingest.Actions, testDay.AddDate(-12, 0, 0), testDay.AddDate(0, 0, 1), testSymbols...),
	}
}

// writeTestLake runs source -> processor -> writer into dir.
func writeTestLake(ctx context.Context, dir string) (*lake.Dir, error) {
	store, err := lake.NewDir(dir)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New()
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 3}))
	proc := &transform.Processor{Cleaner: &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(testNow)}, Log: log, Metrics: m}
	w := &lake.Writer{Store: store, Log: log, Metrics: m}
	offsets := map[string]int64{}
	for _, task := range testTasks() {
		var batch []kafka.Message
		err := src.Fetch(ctx, task, func(r ingest.Raw) error {
			raw := kafka.Message{Topic: r.Topic, Key: []byte(r.Symbol), Value: r.Value, Headers: r.Headers, Offset: offsets[r.Topic]}
			offsets[r.Topic]++
			out, err := proc.Process(raw)
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
			return nil, fmt.Errorf("fetch %s: %w", task.ID, err)
		}
		if err := w.WriteBatch(ctx, batch); err != nil {
			return nil, fmt.Errorf("write %s: %w", task.ID, err)
		}
	}
	return store, nil
}

var (
	lakeOnce  sync.Once
	testStore *lake.Dir
	testEng   *query.Engine
	lakeErr   error
	lakeDir   string
)

// sharedLake builds the test lake once per test binary; tests only read it.
func sharedLake(t testing.TB) (*lake.Dir, *query.Engine) {
	t.Helper()
	lakeOnce.Do(func() {
		lakeDir, lakeErr = os.MkdirTemp("", "tickerlake-serve-test-")
		if lakeErr != nil {
			return
		}
		if testStore, lakeErr = writeTestLake(context.Background(), lakeDir); lakeErr != nil {
			return
		}
		testEng, lakeErr = query.Open(testStore)
	})
	if lakeErr != nil {
		t.Fatalf("test lake: %v", lakeErr)
	}
	return testStore, testEng
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testEng != nil {
		_ = testEng.Close()
	}
	if lakeDir != "" {
		_ = os.RemoveAll(lakeDir)
	}
	os.Exit(code)
}

// newTestServer returns a server over the shared lake and a humatest client
// whose requests go through the full middleware stack.
func newTestServer(t testing.TB, cfg Config) (*Server, humatest.TestAPI) {
	t.Helper()
	store, eng := sharedLake(t)
	clock := clock.NewManual(testNow)
	s := &Server{Engine: eng, Lake: store, Metrics: metrics.New(), Clock: clock, Config: cfg,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if os.Getenv("TICKERLAKE_TEST_LOG") != "" {
		s.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	_, api := s.Handler()
	return s, humatest.Wrap(t, api)
}
