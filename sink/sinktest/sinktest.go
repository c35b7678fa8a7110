// Package sinktest runs sinks against a real Kafka-protocol broker in tests:
// it starts the embedded broker, publishes processed batches exactly as the
// processor does, and reads back the dead-letter topic.
package sinktest

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// Broker starts an embedded broker with every topic, stopped at test end.
func Broker(t testing.TB) []string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	b, err := stream.StartBroker(addr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return []string{b.Addr()}
}

// Env returns the value of an integration test's environment variable. When
// it is unset the test skips, unless CI=true, where it fails: CI runs every
// integration test.
func Env(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI: %s must run", name, what)
		}
		t.Skipf("%s is not set: skipping %s (scripts/test.sh starts the server and sets it)", name, what)
	}
	return v
}

// Fixture is a deterministic set of processed rows, one message per symbol
// and dataset.
type Fixture struct {
	Daily    []market.DailyBar
	Intraday []market.IntradayBar
	Options  []market.OptionQuote
}

// Symbols of the fixture.
var Symbols = []string{"AAPL", "MSFT", "BRK.B", "JPM", "XOM", "NVDA"}

// NewFixture builds days sessions of daily bars, one session of 15-minute
// bars and two option snapshots for each symbol, ingested at ingested.
func NewFixture(days int, ingested time.Time) Fixture {
	cal := market.NYSE()
	var f Fixture
	last := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	sessions := cal.TradingDays(last.AddDate(0, 0, -2*days), last)
	sessions = sessions[max(0, len(sessions)-days):]
	for si, sym := range Symbols {
		base := 50 + 37*float64(si)
		for i, d := range sessions {
			p := base * (1 + 0.01*math.Sin(float64(i)))
			f.Daily = append(f.Daily, market.DailyBar{Symbol: sym, Date: d, Open: p, High: p * 1.02, Low: p * 0.98,
				Close: p * 1.01, Volume: int64(1e6 + 1000*i), IngestedAt: ingested})
		}
		for i, ts := range cal.Bars15(last) {
			p := base * (1 + 0.001*float64(i))
			f.Intraday = append(f.Intraday, market.IntradayBar{Symbol: sym, TS: ts, Open: p, High: p + 0.5, Low: p - 0.5,
				Close: p + 0.1, Volume: int64(10000 + i), IngestedAt: ingested})
		}
		if si >= 3 {
			continue
		}
		open, closeT, _ := cal.Session(last)
		for _, snap := range []time.Time{open.Add(time.Hour), closeT} {
			for k := 0; k < 10; k++ {
				strike := base - 5 + float64(k)
				for _, typ := range []market.OptionType{market.Call, market.Put} {
					exp := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
					f.Options = append(f.Options, market.OptionQuote{
						SnapshotTS: snap, Symbol: sym, ContractSymbol: ContractSymbol(sym, exp, typ, strike), Type: typ,
						Expiration: exp, Strike: strike, LastPrice: 2.5, Bid: 2.4, Ask: 2.6, Change: math.NaN(),
						PercentChange: math.NaN(), Volume: int64(100 + k), OpenInterest: int64(1000 + k), SourceIV: 0.3,
						InTheMoney: (typ == market.Call) == (strike < base), ContractSize: "REGULAR", Currency: "USD",
						LastTradeTS: snap.Add(-time.Minute), UnderlyingPrice: base, Mid: 2.5, IV: 0.29, Delta: 0.5,
						Gamma: 0.05, Theta: -0.02, Vega: 0.1, Rho: 0.03, Moneyness: strike / base, DaysToExpiry: 28,
						IngestedAt: ingested,
					})
				}
			}
		}
	}
	return f
}

// ContractSymbol spells an OCC contract symbol.
func ContractSymbol(sym string, exp time.Time, typ market.OptionType, strike float64) string {
	cp := "C"
	if typ == market.Put {
		cp = "P"
	}
	return fmt.Sprintf("%s%s%s%08d", market.OCCRoot(sym), exp.Format("060102"), cp, int64(math.Round(strike*1000)))
}

// Messages encodes the fixture as the processor publishes it: one Arrow
// batch per symbol and dataset, keyed by symbol.
func (f Fixture) Messages(t testing.TB) []kafka.Message {
	t.Helper()
	var out []kafka.Message
	for _, sym := range Symbols {
		out = append(out, message(t, stream.ProcessedDailyData, market.DailyBars, sym, pick(f.Daily, func(r market.DailyBar) bool { return r.Symbol == sym }))...)
		out = append(out, message(t, stream.ProcessedIntradayData, market.IntradayBars, sym, pick(f.Intraday, func(r market.IntradayBar) bool { return r.Symbol == sym }))...)
		out = append(out, message(t, stream.ProcessedOptionData, market.OptionQuotes, sym, pick(f.Options, func(r market.OptionQuote) bool { return r.Symbol == sym }))...)
	}
	return out
}

func pick[T any](rows []T, keep func(T) bool) []T {
	var out []T
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func message[T any](t testing.TB, topic string, ds *market.Dataset, key string, rows []T) []kafka.Message {
	if len(rows) == 0 {
		return nil
	}
	return []kafka.Message{Message(t, topic, ds, key, rows)}
}

// Message encodes rows of a dataset as one processed message.
func Message(t testing.TB, topic string, ds *market.Dataset, key string, rows any) kafka.Message {
	t.Helper()
	value, err := stream.EncodeBatch(ds, rows)
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Topic: topic, Key: []byte(key), Value: value, Headers: stream.Headers(
		stream.HeaderEncoding, stream.EncodingArrow,
		stream.HeaderSchema, ds.Name,
		stream.HeaderSchemaVersion, strconv.Itoa(market.SchemaVersion),
	)}
}

// Publish produces messages, waiting for the broker's acknowledgement.
func Publish(t testing.TB, brokers []string, msgs []kafka.Message) {
	t.Helper()
	w := stream.NewWriter(stream.Cluster{Brokers: brokers}, "")
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// DeadLetters reads the dead-letter topic from the start until want
// messages arrived or the deadline passed.
func DeadLetters(t testing.TB, brokers []string, want int, deadline time.Duration) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	r := stream.NewReader(stream.ReaderConfig{Kafka: stream.Cluster{Brokers: brokers}, Group: fmt.Sprintf("dlq-reader-%d", time.Now().UnixNano()), Topics: []string{stream.DeadLetter}})
	defer r.Close()
	var out []kafka.Message
	for len(out) < want {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			break
		}
		out = append(out, m)
	}
	return out
}

// Eventually polls cond until it holds or the deadline passes.
func Eventually(t testing.TB, deadline time.Duration, cond func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(deadline)
	var last string
	for time.Now().Before(end) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("condition not met within %s: %s", deadline, last)
}

// Run runs f in the background until the test ends, then waits for it and
// fails the test if it returned an error.
func Run(t testing.TB, f func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// Logger logs to the test's output when TICKERLAKE_TEST_LOG is set.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("TICKERLAKE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
