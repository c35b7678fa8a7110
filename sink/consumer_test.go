package sink_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/sinktest"
	"github.com/tickerlake/tickerlake/stream"
)

// chaosSink stores rows in memory by natural key, refuses rows of the
// symbol BAD the way a database refuses a constraint violation, and fails
// transiently on every failEvery-th call, as a flaky connection does.
type chaosSink struct {
	mu        sync.Mutex
	calls     int
	failEvery int
	fatal     error
	rows      map[string]int // natural key -> times written
}

func (c *chaosSink) Name() string                { return "chaos" }
func (c *chaosSink) Datasets() []*market.Dataset { return market.Datasets() }

func (c *chaosSink) Write(_ context.Context, ds *market.Dataset, rows []sink.Row) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.fatal != nil {
		return c.fatal
	}
	if c.failEvery > 0 && c.calls%c.failEvery == 0 {
		if c.calls%(2*c.failEvery) == 0 {
			return sink.TransientAfter(errors.New("429 too many requests"), time.Second)
		}
		return sink.Transient(errors.New("connection reset"))
	}
	for _, r := range rows {
		if sym := symbolOf(ds, r); sym == "BAD" {
			return sink.Rejected(fmt.Errorf("check constraint violated by %s", sym))
		}
	}
	for _, r := range rows {
		c.rows[keyOf(ds, r)]++
	}
	return nil
}

func symbolOf(ds *market.Dataset, r sink.Row) string {
	for i, col := range ds.Columns {
		if col.Name == "symbol" {
			return r.Values[i].(string)
		}
	}
	return ""
}

func keyOf(ds *market.Dataset, r sink.Row) string {
	k := ds.Name
	for i, col := range ds.Columns {
		if col.Key {
			k += fmt.Sprint("|", r.Values[i])
		}
	}
	return k
}

// badBars mixes rows the sink refuses into a message of good ones.
func badBars(ingested time.Time) []market.DailyBar {
	var out []market.DailyBar
	for i := 0; i < 9; i++ {
		sym := "AMD"
		if i%4 == 1 {
			sym = "BAD"
		}
		out = append(out, market.DailyBar{Symbol: sym, Date: time.Date(2026, 11, 2+i, 0, 0, 0, 0, time.UTC), Open: 1, High: 1, Low: 1, Close: 1, Volume: int64(i), IngestedAt: ingested})
	}
	return out
}

func committed(t *testing.T, brokers []string, group string) map[string]int64 {
	t.Helper()
	parts := []int{0, 1, 2, 3, 4}
	topics := map[string][]int{}
	for _, tp := range stream.ProcessedTopics() {
		topics[tp] = parts
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	resp, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for tp, ps := range resp.Topics {
		for _, p := range ps {
			if p.CommittedOffset > 0 {
				out[tp] += p.CommittedOffset
			}
		}
	}
	return out
}

func TestConsumerDeliversRetriesAndDeadLetters(t *testing.T) {
	ingested := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	fx := sinktest.NewFixture(20, ingested)
	msgs := fx.Messages(t)
	msgs = append(msgs, sinktest.Message(t, stream.ProcessedDailyData, market.DailyBars, "AMD", badBars(ingested)))
	// A replayed message: its rows must still be stored once per key.
	msgs = append(msgs, msgs[0])
	// A message from a producer speaking a newer schema.
	future := sinktest.Message(t, stream.ProcessedDailyData, market.DailyBars, "AAPL", fx.Daily[:1])
	future.Headers = stream.Headers(stream.HeaderEncoding, stream.EncodingArrow, stream.HeaderSchema, "daily_bars", stream.HeaderSchemaVersion, "99")
	msgs = append(msgs, future)
	brokers := sinktest.Broker(t)
	sinktest.Publish(t, brokers, msgs)

	perTopic := map[string]int64{}
	for _, m := range msgs {
		perTopic[m.Topic]++
	}
	store := &chaosSink{failEvery: 3, rows: map[string]int{}}
	var (
		mu     sync.Mutex
		waits  []time.Duration
		m      = metrics.New()
		wantOK = len(fx.Daily) + len(fx.Intraday) + len(fx.Options) + 7
	)
	c := &sink.Consumer{Sink: store, Kafka: stream.Cluster{Brokers: brokers}, Metrics: m, BatchWindow: 200 * time.Millisecond,
		Backoff: 100 * time.Millisecond, MaxBackoff: 250 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return ctx.Err()
		}}
	stop := sinktest.Run(t, c.Run)
	sinktest.Eventually(t, 30*time.Second, func() (bool, string) {
		got := committed(t, brokers, "sink-chaos")
		for tp, n := range perTopic {
			if got[tp] != n {
				return false, fmt.Sprintf("committed %v, want %v", got, perTopic)
			}
		}
		return true, ""
	})
	stop()

	store.mu.Lock()
	if len(store.rows) != wantOK {
		t.Errorf("%d rows stored, want %d", len(store.rows), wantOK)
	}
	store.mu.Unlock()
	if got := testutil.ToFloat64(m.DeadLettered.WithLabelValues(stream.ProcessedDailyData, "chaos_rejected")); got != 2 {
		t.Errorf("%v rows dead-lettered as rejected, want 2", got)
	}
	dead := sinktest.DeadLetters(t, brokers, 3, 20*time.Second)
	reasons := map[string]int{}
	for _, d := range dead {
		reasons[stream.Header(d, stream.HeaderReason)]++
		if stream.Header(d, stream.HeaderOrigin) == "" {
			t.Errorf("dead letter without origin: %v", d.Headers)
		}
	}
	if reasons["chaos_rejected"] != 2 || reasons[sink.ReasonUndecodable] != 1 {
		t.Errorf("dead letters by reason %v, want 2 chaos_rejected and 1 %s", reasons, sink.ReasonUndecodable)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) == 0 {
		t.Fatal("no transient failure was retried")
	}
	asked := 0
	for _, w := range waits {
		switch w {
		case 100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond:
		case time.Second:
			asked++ // the server's Retry-After outweighs the backoff
		default:
			t.Errorf("backoff %v outside the doubling-then-capped series", w)
		}
	}
	if asked == 0 {
		t.Error("no wait honoured a server's Retry-After")
	}
}

// An error that is neither transient nor a rejection stops the consumer
// and leaves the offsets uncommitted, so the batch is delivered again.
func TestConsumerStopsOnFatalError(t *testing.T) {
	fx := sinktest.NewFixture(3, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	brokers := sinktest.Broker(t)
	sinktest.Publish(t, brokers, fx.Messages(t)[:1])
	store := &chaosSink{fatal: errors.New("permission denied for table StockData"), rows: map[string]int{}}
	c := &sink.Consumer{Sink: store, Kafka: stream.Cluster{Brokers: brokers}, BatchWindow: 100 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.Run(ctx)
	if err == nil || !errors.Is(err, store.fatal) {
		t.Fatalf("Run = %v, want the sink's error", err)
	}
	if got := committed(t, brokers, "sink-chaos"); len(got) != 0 {
		t.Errorf("offsets committed after a failed write: %v", got)
	}
}

func TestLatestKeepsNewestPerKey(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	row := func(sym string, closeP float64, ingested time.Time) sink.Row {
		return sink.Row{Values: []any{sym, day, 1.0, 1.0, 1.0, closeP, int64(1), false, ingested}}
	}
	for _, tc := range []struct {
		name string
		in   []sink.Row
		want []float64 // closes, in order
	}{
		{"distinct keys kept in order", []sink.Row{row("A", 1, at(1)), row("B", 2, at(1))}, []float64{1, 2}},
		{"newer replaces older", []sink.Row{row("A", 1, at(1)), row("A", 2, at(2))}, []float64{2}},
		{"older replay loses", []sink.Row{row("A", 2, at(2)), row("A", 1, at(1))}, []float64{2}},
		{"tie: later wins", []sink.Row{row("A", 1, at(1)), row("A", 3, at(1))}, []float64{3}},
		{"position of first sighting", []sink.Row{row("A", 1, at(1)), row("B", 5, at(1)), row("A", 2, at(2))}, []float64{2, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sink.Latest(market.DailyBars, tc.in)
			var closes []float64
			for _, r := range got {
				closes = append(closes, r.Values[5].(float64))
			}
			if fmt.Sprint(closes) != fmt.Sprint(tc.want) {
				t.Errorf("closes %v, want %v", closes, tc.want)
			}
		})
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	fx := sinktest.NewFixture(2, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	for _, m := range fx.Messages(t) {
		ds, rows, err := sink.Decode(m)
		if err != nil {
			t.Fatal(err)
		}
		value, err := sink.Encode(ds, rows)
		if err != nil {
			t.Fatal(err)
		}
		m2 := m
		m2.Value = value
		_, again, err := sink.Decode(m2)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(again) != fmt.Sprint(rows) {
			t.Fatalf("%s: round trip changed the rows", ds.Name)
		}
	}
}
