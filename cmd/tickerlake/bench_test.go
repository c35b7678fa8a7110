package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

// benchSymbols is the first 40 symbols of the universe: one snapshot of
// their chains is some 25,000 rows, enough that throughput, not the
// consumers' fetch latency, dominates an iteration.
func benchSymbols() []string {
	var syms []string
	for _, c := range market.Universe()[:40] {
		syms = append(syms, c.Symbol)
	}
	return syms
}

// benchChains renders one option-chain snapshot of benchSymbols as raw
// option-data messages, and the cleaned rows they become.
func benchChains(b *testing.B) ([]kafka.Message, []market.OptionQuote) {
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 3}))
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	task := ingest.NewTask(ingest.Options, at, at, benchSymbols()...)
	var msgs []kafka.Message
	var rows []market.OptionQuote
	cl := &transform.Cleaner{Calendar: market.NYSE(), Now: time.Now}
	err := src.Fetch(context.Background(), task, func(r ingest.Raw) error {
		msgs = append(msgs, kafka.Message{Topic: r.Topic, Key: []byte(r.Symbol), Value: r.Value, Headers: r.Headers})
		res, err := wire.DecodeOptionChain(r.Value)
		if err != nil {
			return err
		}
		q, _ := cl.Options(res, at)
		rows = append(rows, q...)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return msgs, rows
}

// BenchmarkOptionsRawToLake measures option-quote rows per second from the
// raw topic to committed Parquet: processor (decode, validate, IV and
// Greeks, Arrow IPC) and writer (Parquet and CSV, commit record) over the
// embedded broker, with both consumer groups already joined. Each iteration
// publishes one snapshot to option-data and waits until its rows are
// committed. Compare with BenchmarkOptionsBareParquetGo in the same run.
func BenchmarkOptionsRawToLake(b *testing.B) {
	for _, style := range []string{"american", "european"} {
		b.Run(style, func(b *testing.B) {
			benchRawToLake(b, &transform.Cleaner{Calendar: market.NYSE(), Now: time.Now, EuropeanIV: style == "european"})
		})
	}
}

func benchRawToLake(b *testing.B, cleaner *transform.Cleaner) {
	msgs, rows := benchChains(b)
	dir := b.TempDir()
	broker := startBroker(b, dir+"/kafka")
	brokers := []string{broker.Addr()}
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		b.Fatal(err)
	}
	log, m := testLogger(b), metrics.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() {
		done <- (&transform.Processor{Cleaner: cleaner, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m}).Run(ctx)
	}()
	go func() {
		done <- (&lake.Writer{Store: store, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m, BatchWindow: 100 * time.Millisecond}).Run(ctx)
	}()
	w := stream.NewWriter(stream.Cluster{Brokers: brokers}, "")
	defer w.Close()
	cat := &lake.Catalog{Store: store}
	committed := func() int64 {
		commits, err := cat.Commits(ctx, market.OptionQuotes.Name)
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for _, c := range commits {
			n += c.Rows
		}
		return n
	}
	run := func() {
		target := committed() + int64(len(rows))
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			b.Fatal(err)
		}
		for committed() < target {
			time.Sleep(2 * time.Millisecond)
		}
	}
	run() // joins both consumer groups before timing
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	cancel()
	for j := 0; j < 2; j++ {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOptionsBareParquetGo writes the same rows with parquet-go alone,
// zstd, into memory: the floor the pipeline is measured against.
func BenchmarkOptionsBareParquetGo(b *testing.B) {
	_, rows := benchChains(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[market.OptionQuote](&buf, parquet.Compression(&zstd.Codec{}))
		if _, err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}
