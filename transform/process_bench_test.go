package transform

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// BenchmarkProcess runs the processor's per-message work (Process:
// headers, cleaning, Arrow encoding, dead letters, trace context) over raw
// daily-data messages of 100 bars each, as Twelve Data's daily calls
// return them, carrying a traceparent as the collector publishes them.
// Compare with BenchmarkCleanBars, the cleaning alone.
func BenchmarkProcess(b *testing.B) {
	ts := benchSeries(wire.Interval1Day, 100)
	value, err := json.Marshal(ts)
	if err != nil {
		b.Fatal(err)
	}
	m := kafka.Message{Topic: stream.DailyData, Key: []byte("AAPL"), Value: value,
		Headers: stream.Headers("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")}
	p := &Processor{Cleaner: benchCleaner(), Metrics: metrics.New()}
	cpu0 := cpuSeconds()
	n := 0
	for b.Loop() {
		out, err := p.Process(m)
		if err != nil || len(out) == 0 {
			b.Fatalf("%d messages, %v", len(out), err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	reportPerCPU(b, n, cpu0, "msgs")
}

// BenchmarkTraced is the trace context's share of BenchmarkProcess: a
// child span of the raw message's trace put on each of the three messages
// one raw message typically gives.
func BenchmarkTraced(b *testing.B) {
	m := kafka.Message{Topic: stream.DailyData, Key: []byte("AAPL"),
		Headers: stream.Headers("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")}
	out := make([]kafka.Message, 3)
	for i := range out {
		out[i].Headers = stream.Headers(stream.HeaderEncoding, stream.EncodingArrow, stream.HeaderSchema, "daily_bars")
	}
	p := &Processor{}
	for b.Loop() {
		for i := range out {
			out[i].Headers = out[i].Headers[:2]
		}
		p.traced(m, time.Time{}, out)
	}
}

// BenchmarkProcessOptions runs Process over one snapshot of 40 symbols'
// option chains (an operation a snapshot), priced European-style so that
// the rest of the per-contract work (decoding, cleaning, smiles, Arrow
// encoding, dead letters) shows beside the analytics.
func BenchmarkProcessOptions(b *testing.B) {
	values, snapshot := benchSnapshot(b)
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Topic: stream.OptionData, Key: []byte("AAPL"), Value: v,
			Headers: stream.Headers(stream.HeaderSnapshot, snapshot, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")}
	}
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)), EuropeanIV: true}
	p := &Processor{Cleaner: c, Metrics: metrics.New()}
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	n := 0
	for b.Loop() {
		for _, m := range msgs {
			out, err := p.Process(m)
			if err != nil || len(out) == 0 {
				b.Fatalf("%d messages, %v", len(out), err)
			}
		}
		n++
	}
	reportPerCPU(b, n, cpu0, "snapshots")
}
