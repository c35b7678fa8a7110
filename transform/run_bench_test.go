package transform

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// BenchmarkProcessorRun measures the processor role alone under a steady
// load: each iteration publishes four option-chain snapshots of 40 symbols
// (some 1,100 raw messages, several full batches) to option-data on the
// embedded broker and waits until the processor has committed their
// offsets, so batches follow each other as in a full-market snapshot and
// the overlap of processing with the produce acks and commits shows in
// the wall-clock figure.
func BenchmarkProcessorRun(b *testing.B) {
	const snapshots = 4
	snap := snapshotBatch(b, 40, time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC))
	var msgs []kafka.Message
	for range snapshots {
		msgs = append(msgs, snap...)
	}
	broker, err := stream.StartBroker("127.0.0.1:0", "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer broker.Close()
	k := stream.Cluster{Brokers: []string{broker.Addr()}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	p := &Processor{Cleaner: &Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}, Kafka: k,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.New()}
	go func() { done <- p.Run(ctx) }()
	w := stream.NewWriter(k, "")
	defer w.Close()
	client := &kafka.Client{Addr: kafka.TCP(k.Brokers...)}
	parts := make([]int, stream.Partitions)
	for i := range parts {
		parts[i] = i
	}
	committed := func() int64 {
		res, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: "processor", Topics: map[string][]int{msgs[0].Topic: parts}})
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for _, p := range res.Topics[msgs[0].Topic] {
			n += max(p.CommittedOffset, 0)
		}
		return n
	}
	var published int64
	run := func() {
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			b.Fatal(err)
		}
		published += int64(len(msgs))
		for committed() < published {
			select {
			case err := <-done:
				b.Fatalf("processor stopped: %v", err)
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	run() // joins the consumer group before timing
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for range b.N {
		run()
	}
	b.StopTimer()
	reportPerCPU(b, len(msgs)*b.N, cpu0, "msgs")
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
