package ingest_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/ingest/twelvedata"
	"github.com/tickerlake/tickerlake/ingest/twelvedata/tdtest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestCollectorDefersTheRestOnDailyExhaustion runs a collector over a real
// Kafka-protocol broker against the Twelve Data stand-in with too few daily
// credits for the task: what fits lands, the rest goes back on task-queue
// for after midnight UTC, and once the clock gets there every symbol has
// landed exactly once.
func TestCollectorDefersTheRestOnDailyExhaustion(t *testing.T) {
	b, err := stream.StartBroker(freeAddr(t), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	brokers := []string{b.Addr()}

	clock := clock.NewManual(time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC))
	fake := tdtest.New(clock.Now)
	fake.PerDay = 12
	srv := httptest.NewServer(fake)
	defer srv.Close()
	pool, err := ratelimit.NewPool(ratelimit.Limits{PerWindow: 8, PerDay: 12}, []string{"k1", "k2"})
	if err != nil {
		t.Fatal(err)
	}
	src := &twelvedata.Source{Client: &twelvedata.Client{BaseURL: srv.URL}, Pool: pool, Clock: clock}
	m := metrics.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- (&ingest.Collector{Source: src, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m, Clock: clock}).Run(ctx)
	}()

	var syms []string
	for _, c := range market.Universe()[:30] {
		syms = append(syms, c.Symbol)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	task := ingest.NewTask(ingest.Daily, day, day.AddDate(0, 0, 1), syms...)
	msg, err := task.Message()
	if err != nil {
		t.Fatal(err)
	}
	w := stream.NewWriter(stream.Cluster{Brokers: brokers}, "")
	defer w.Close()
	if err := w.WriteMessages(ctx, msg); err != nil {
		t.Fatal(err)
	}

	r := stream.NewReader(stream.ReaderConfig{Kafka: stream.Cluster{Brokers: brokers}, Group: "test", Topics: []string{stream.DailyData}})
	defer r.Close()
	seen := map[string]int{}
	pos := map[int]int64{} // the reader's position: next offset per partition
	deadline, dcancel := context.WithTimeout(ctx, 60*time.Second)
	defer dcancel()
	fetch := func() {
		m, err := r.FetchMessage(deadline)
		if err != nil {
			t.Fatalf("after %d of %d symbols: %v", len(seen), len(syms), err)
		}
		seen[string(m.Key)]++
		pos[m.Partition] = m.Offset + 1
	}
	for len(seen) < len(syms) {
		fetch()
	}
	// Once the collector's group has committed the task queue to its end
	// (the task and the rest it deferred), it has published all it will.
	// Then read on to the end of daily-data: a duplicate would be there.
	lag := metrics.NewConsumerLag(stream.Cluster{Brokers: brokers}, nil, nil)
	waitGroupDone(t, deadline, lag, "collector", stream.TaskQueue)
	ends, err := lag.GroupLag(deadline, "test", []string{stream.DailyData})
	if err != nil {
		t.Fatal(err)
	}
	for _, end := range ends {
		for pos[end.Partition] < end.HighWatermark {
			fetch()
		}
	}
	for _, s := range syms {
		if seen[s] != 1 {
			t.Errorf("%s landed %d times", s, seen[s])
		}
	}
	if got := testutil.ToFloat64(m.Tasks.WithLabelValues("daily", "deferred")); got != 1 {
		t.Errorf("deferred tasks %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.Tasks.WithLabelValues("daily", "done")); got != 1 {
		t.Errorf("done tasks %v, want 1 (the rest)", got)
	}
	if now := clock.Now(); now.Before(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the rest ran at %v, before the credits returned", now)
	}
	if n := fake.Throttled(); n != 0 {
		t.Errorf("%d calls over the provider's limits", n)
	}
	if got := testutil.ToFloat64(ingest.NewProviderMetrics(m).Calls.WithLabelValues("twelvedata", "key1", "ok")); got < 1 {
		t.Errorf("calls on key1 not counted: %v", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("collector: %v", err)
	}
}

// waitGroupDone waits until group has committed every message on topic.
func waitGroupDone(t *testing.T, ctx context.Context, lag *metrics.ConsumerLag, group, topic string) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		parts, err := lag.GroupLag(ctx, group, []string{topic})
		left := int64(0)
		for _, p := range parts {
			left += p.Lag
		}
		if err == nil && left == 0 && len(parts) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s has %d messages of %s left (%v)", group, left, topic, err)
		case <-tick.C:
		}
	}
}
