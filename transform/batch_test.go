package transform

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
)

// snapshotBatch is one snapshot of n symbols' option chains, keyed by
// symbol as the collector publishes them, at.
func snapshotBatch(tb testing.TB, n int, at time.Time) []kafka.Message {
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 3}))
	var syms []string
	for _, c := range market.Universe()[:n] {
		syms = append(syms, c.Symbol)
	}
	var batch []kafka.Message
	err := src.Fetch(context.Background(), ingest.NewTask(ingest.Options, at, at, syms...), func(r ingest.Raw) error {
		batch = append(batch, kafka.Message{Topic: r.Topic, Key: []byte(r.Symbol), Value: r.Value, Headers: r.Headers})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return batch
}

// TestProcessBatchKeepsTheBatchsOrder: processBatch gives what Process
// gives for each message of the batch, in the batch's order, whichever
// worker took each symbol's messages, and with a batch whose symbols
// alternate.
func TestProcessBatchKeepsTheBatchsOrder(t *testing.T) {
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	sorted := snapshotBatch(t, 6, at)
	// The same messages with the symbols taking turns.
	bySym := map[string][]kafka.Message{}
	var syms []string
	for _, m := range sorted {
		if _, ok := bySym[string(m.Key)]; !ok {
			syms = append(syms, string(m.Key))
		}
		bySym[string(m.Key)] = append(bySym[string(m.Key)], m)
	}
	var alternating []kafka.Message
	for i := 0; len(alternating) < len(sorted); i++ {
		for _, s := range syms {
			if i < len(bySym[s]) {
				alternating = append(alternating, bySym[s][i])
			}
		}
	}
	newProcessor := func() *Processor {
		return &Processor{Cleaner: &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(at), EuropeanIV: true}, Metrics: metrics.New()}
	}
	for name, batch := range map[string][]kafka.Message{"by symbol": sorted, "alternating": alternating} {
		t.Run(name, func(t *testing.T) {
			p := newProcessor()
			var want []kafka.Message
			for _, m := range batch {
				out, err := p.Process(m)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, out...)
			}
			got, err := newProcessor().processBatch(batch)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d messages, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].Topic != want[i].Topic || string(got[i].Key) != string(want[i].Key) || string(got[i].Value) != string(want[i].Value) {
					t.Fatalf("message %d: %s %s (%d bytes), want %s %s (%d bytes)", i, got[i].Topic, got[i].Key, len(got[i].Value),
						want[i].Topic, want[i].Key, len(want[i].Value))
				}
			}
		})
	}
}

// BenchmarkProcessBatch runs processBatch, the processor's share of a
// fetched batch among its cores, over one snapshot of 40 symbols' option
// chains (an operation a snapshot), priced European-style like
// BenchmarkProcessOptions so that the work around the analytics shows.
func BenchmarkProcessBatch(b *testing.B) {
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	batch := snapshotBatch(b, 40, at)
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(at), EuropeanIV: true}
	p := &Processor{Cleaner: c, Metrics: metrics.New()}
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	n := 0
	for b.Loop() {
		out, err := p.processBatch(batch)
		if err != nil || len(out) < len(batch) {
			b.Fatalf("%d messages out of %d, %v", len(out), len(batch), err)
		}
		recycleValues(out)
		n++
	}
	reportPerCPU(b, n, cpu0, "snapshots")
}
