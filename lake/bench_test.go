package lake_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

// BenchmarkWriterThroughput commits batches of processed messages (option
// chains: 20 messages of 640 quotes) to a local lake and to in-process S3,
// as the writer role does after fetching them: decode Arrow, split by
// partition, encode zstd Parquet and CSV, put both, put the commit record.
// Beside it, bare parquet-go writes the same rows to zstd Parquet in
// memory. rows/s is wall-clock (the writer encodes columns and formats
// side by side); rows/cpu-s divides by the process's CPU time instead,
// the in-process S3 server's included.
func BenchmarkWriterThroughput(b *testing.B) {
	ing := time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)
	var rows []market.OptionQuote
	for i := 0; i < 20; i++ {
		rows = append(rows, laketest.OptionChain(fmt.Sprintf("S%02d", i), day2.Add(15*time.Hour), 8, 40, ing)...)
	}
	msgs := laketest.Messages(b, market.OptionQuotes, 0, 0, 640, rows)
	n := float64(len(rows))
	dir, err := lake.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	// The same rows over five partitions, as the processed topics carry
	// them: five ranges, each with its own commit record.
	var spread []kafka.Message
	for p := range 5 {
		spread = append(spread, laketest.Messages(b, market.OptionQuotes, p, 0, 640, rows[p*len(rows)/5:(p+1)*len(rows)/5])...)
	}
	spreadDir, err := lake.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		store lake.Store
		msgs  []kafka.Message
	}{{"lake-dir", dir, msgs}, {"lake-s3", laketest.FakeS3(b, laketest.NewClock(time.Now()), "bench", "writer"), msgs},
		{"lake-dir-5-partitions", spreadDir, spread}} {
		b.Run(tc.name, func(b *testing.B) {
			w := laketest.Writer(tc.store)
			offset := int64(0)
			cpu := cpuTime(b)
			for b.Loop() {
				msgs := tc.msgs
				for i := range msgs {
					msgs[i].Offset = offset + int64(i)
				}
				offset += int64(len(msgs))
				if err := w.WriteBatch(context.Background(), msgs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(n*float64(b.N)/(cpuTime(b)-cpu).Seconds(), "rows/cpu-s")
		})
	}
	// The same, each commit also registered in an Iceberg table of a SQLite
	// catalog: new snapshots (keys no earlier commit holds), and replays of
	// one range under new offsets (every commit's keys repeat the table's,
	// so the older file is read and dropped in the same snapshot).
	fresh := make([][]kafka.Message, 16)
	for j := range fresh {
		var rows []market.OptionQuote
		for i := 0; i < 20; i++ {
			rows = append(rows, laketest.OptionChain(fmt.Sprintf("S%02d", i), day2.Add(15*time.Hour+time.Duration(j)*time.Minute), 8, 40, ing)...)
		}
		fresh[j] = laketest.Messages(b, market.OptionQuotes, 0, 0, 640, rows)
	}
	for _, tc := range []struct {
		name    string
		batches [][]kafka.Message
	}{{"lake-dir+iceberg-new-keys", fresh}, {"lake-dir+iceberg-replays", [][]kafka.Message{msgs}}} {
		b.Run(tc.name, func(b *testing.B) {
			st, err := lake.NewDir(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			c, err := tables.Open(context.Background(), filepath.Join(b.TempDir(), "catalog.db"), st, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := c.Close(); err != nil {
					b.Error(err)
				}
			}()
			w := laketest.Writer(st)
			w.Tables = c
			offset, i := int64(0), 0
			cpu := cpuTime(b)
			for b.Loop() {
				batch := tc.batches[i%len(tc.batches)]
				i++
				for j := range batch {
					batch[j].Offset = offset + int64(j)
				}
				offset += int64(len(batch))
				if err := w.WriteBatch(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(n*float64(b.N)/(cpuTime(b)-cpu).Seconds(), "rows/cpu-s")
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/commit")
		})
	}
	b.Run("parquet-go", func(b *testing.B) {
		var buf bytes.Buffer
		cpu := cpuTime(b)
		for b.Loop() {
			bareParquet(b, &buf, rows)
		}
		b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(n*float64(b.N)/(cpuTime(b)-cpu).Seconds(), "rows/cpu-s")
	})
}

// BenchmarkWriterSnapshot runs the writer's stage of the options pipeline
// alone on one snapshot as the processor emits it (the synthetic chains of
// 40 symbols, cleaned, with IVs and Greeks: 280 quote messages and their
// IV smiles over five partitions). writer is WriteBatch onto a store that
// keeps nothing: decoding the Arrow messages, splitting, Parquet, CSV and
// commit records. encode is the Parquet and CSV encoding alone of the
// quotes' decoded batches, one after the other; parquet-go writes the same
// rows with bare parquet-go, zstd, into memory. All in CPU time per row.
func BenchmarkWriterSnapshot(b *testing.B) {
	var msgs []kafka.Message
	var rows []market.OptionQuote
	lake.SnapshotChains(b, func(q []market.OptionQuote, cl *transform.Cleaner) error {
		rows = append(rows, q...)
		i := len(msgs) / 2
		quotes := laketest.Messages(b, market.OptionQuotes, i%5, int64(i), 0, q)
		smiles := laketest.Messages(b, market.IVSmiles, i%5, int64(i), 0, cl.Smiles(q))
		msgs = append(msgs, quotes...)
		msgs = append(msgs, smiles...)
		return nil
	})
	var recs []arrow.RecordBatch
	for _, m := range msgs {
		if m.Topic != laketest.Topic(market.OptionQuotes) {
			continue
		}
		r, err := stream.DecodeBatches(market.OptionQuotes, m.Value)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, r...)
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	n := float64(len(rows))
	perRow := func(b *testing.B, cpu time.Duration) {
		b.ReportMetric(n*float64(b.N)/(cpuTime(b)-cpu).Seconds(), "rows/cpu-s")
		b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/1000/n/float64(b.N), "cpu-µs/row")
	}
	b.Logf("%d quotes in %d messages", len(rows), len(msgs))
	b.Run("writer", func(b *testing.B) {
		st := &discard{}
		w := laketest.Writer(st)
		cpu := cpuTime(b)
		for b.Loop() {
			st.parquet.Store(0)
			if err := w.WriteBatch(context.Background(), msgs); err != nil {
				b.Fatal(err)
			}
		}
		perRow(b, cpu)
		b.ReportMetric(float64(st.parquet.Load())/n, "parquet-B/row")
	})
	b.Run("encode", func(b *testing.B) {
		var pq, csv []byte
		cpu := cpuTime(b)
		for b.Loop() {
			var err error
			if pq, err = lake.EncodeParquet(market.OptionQuotes, recs); err != nil {
				b.Fatal(err)
			}
			if csv, err = lake.EncodeCSV(csv[:0], market.OptionQuotes, recs); err != nil {
				b.Fatal(err)
			}
		}
		perRow(b, cpu)
		b.ReportMetric(float64(len(pq)), "parquet-B")
		b.ReportMetric(float64(len(csv)), "csv-B")
	})
	b.Run("parquet-go", func(b *testing.B) {
		var buf bytes.Buffer
		cpu := cpuTime(b)
		for b.Loop() {
			bareParquet(b, &buf, rows)
		}
		perRow(b, cpu)
		b.ReportMetric(float64(buf.Len()), "parquet-B")
	})
}

// discard is a store that keeps nothing; it counts the Parquet bytes put.
type discard struct {
	lake.Store
	parquet atomic.Int64
}

func (d *discard) PutIfAbsent(_ context.Context, key string, data []byte) (bool, error) {
	if strings.HasSuffix(key, ".parquet") {
		d.parquet.Add(int64(len(data)))
	}
	return true, nil
}

func (*discard) String() string { return "discard" }

// bareParquet is the baseline the writer benchmarks compare with: parquet-go
// alone writing rows as zstd Parquet into buf.
func bareParquet(b *testing.B, buf *bytes.Buffer, rows []market.OptionQuote) {
	buf.Reset()
	pw := parquet.NewGenericWriter[market.OptionQuote](buf, parquet.Compression(&zstd.Codec{}))
	if _, err := pw.Write(rows); err != nil {
		b.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		b.Fatal(err)
	}
}
