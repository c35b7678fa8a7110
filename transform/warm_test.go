package transform

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// testBroker starts a broker with the project's topics for the test, and
// returns it with a context that bounds the test to two minutes.
func testBroker(t *testing.T) (context.Context, stream.Cluster) {
	t.Helper()
	b, err := stream.StartBroker("127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	k := stream.Cluster{Brokers: []string{b.Addr()}}
	if _, err := stream.EnsureTopics(ctx, k, 1); err != nil {
		t.Fatal(err)
	}
	return ctx, k
}

// TestTrailingYieldAfterRestart runs a processor on a real broker over
// AAPL's chart events, stops it, and starts a new one with an empty
// Cleaner: the new processor prices with the trailing yield of the
// dividends the first one published, not 0.
func TestTrailingYieldAfterRestart(t *testing.T) {
	ctx, k := testBroker(t)
	feed, err := market.FeedOf(market.CorporateActions)
	if err != nil {
		t.Fatal(err)
	}
	w := stream.NewWriter(k, feed.Raw)
	if err := stream.WriteMessages(ctx, w, kafka.Message{Key: []byte("AAPL"), Value: chartFile(t, "aapl_chart_events.json")}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	at := time.Date(2025, 2, 10, 21, 0, 0, 0, time.UTC)
	want := math.Log1p(1.00 / 227.65)

	// run starts a processor with a fresh Cleaner and waits until it has a
	// trailing yield for AAPL; the test's deadline bounds the wait.
	run := func(name string) float64 {
		c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
		pctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- (&Processor{Cleaner: c, Kafka: k, Log: log, Metrics: metrics.New()}).Run(pctx)
		}()
		defer func() {
			stop()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v", name, err)
			}
		}()
		for {
			if q, ok := c.TrailingYield("AAPL", 227.65, at); ok {
				return q
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: no trailing yield for AAPL: %v", name, ctx.Err())
			case err := <-done:
				t.Fatalf("%s stopped: %v", name, err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	if q := run("first processor"); math.Abs(q-want) > 1e-12 {
		t.Errorf("first processor: trailing yield %v, want %v", q, want)
	}
	// The raw message is committed: the restarted processor does not clean
	// it again and has only the processed topic to learn the dividends from.
	if q := run("restarted processor"); math.Abs(q-want) > 1e-12 {
		t.Errorf("restarted processor: trailing yield %v, want %v", q, want)
	}
}
