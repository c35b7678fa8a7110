package stream_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/zstd"
	"github.com/segmentio/kafka-go/compress"
	kafkalz4 "github.com/segmentio/kafka-go/compress/lz4"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

// BenchmarkCodecs compresses and decompresses what the option topics carry
// for one snapshot of 40 symbols' chains, in produce batches of at most
// 900 kB (NewWriter's BatchBytes), through each of Kafka's codecs as this
// process registers them: option-data's Yahoo JSON and
// processed-options-data's Arrow batches. For scale, zstd-default is
// klauspost's encoder at its default level with the producers' other
// options, and lz4-kafka-go is kafka-go's own lz4 codec. Compressing
// reports the ratio; cpu-ms/op is a snapshot's CPU time, steadier than
// ns/op on a shared machine; MB/s is of the uncompressed input.
func BenchmarkCodecs(b *testing.B) {
	raw, processed := benchTopics(b)
	stock, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(1<<20), zstd.WithZeroFrames(true))
	if err != nil {
		b.Fatal(err)
	}
	zstdReader := compress.Codecs[compress.Zstd].NewReader
	stockLz4 := &kafkalz4.Codec{}
	codecs := []struct {
		name      string
		newWriter func(w io.Writer) io.WriteCloser
		newReader func(r io.Reader) io.ReadCloser
	}{
		{"zstd", compress.Codecs[compress.Zstd].NewWriter, zstdReader},
		{"zstd-default", func(w io.Writer) io.WriteCloser { stock.Reset(w); return stock }, zstdReader},
		{"lz4", compress.Codecs[compress.Lz4].NewWriter, compress.Codecs[compress.Lz4].NewReader},
		{"lz4-kafka-go", stockLz4.NewWriter, stockLz4.NewReader},
		{"snappy", compress.Codecs[compress.Snappy].NewWriter, compress.Codecs[compress.Snappy].NewReader},
	}
	for _, topic := range []struct {
		name   string
		values [][]byte
	}{{"raw-json", raw}, {"processed-arrow", processed}} {
		size := 0
		for _, v := range topic.values {
			size += len(v)
		}
		batches := produceBatches(topic.values, 900<<10)
		for _, c := range codecs {
			var frames [][]byte
			compressed := 0
			b.Run(topic.name+"/"+c.name+"/compress", func(b *testing.B) {
				cpu0 := stream.CPUSeconds()
				for b.Loop() {
					frames, compressed = frames[:0], 0
					for _, batch := range batches {
						var out bytes.Buffer
						w := c.newWriter(&out)
						for _, v := range batch {
							if _, err := w.Write(v); err != nil {
								b.Fatal(err)
							}
						}
						if err := w.Close(); err != nil {
							b.Fatal(err)
						}
						frames = append(frames, out.Bytes())
						compressed += out.Len()
					}
				}
				reportCPU(b, cpu0)
				b.SetBytes(int64(size))
				b.ReportMetric(float64(size)/float64(compressed), "ratio")
			})
			b.Run(topic.name+"/"+c.name+"/decompress", func(b *testing.B) {
				buf := make([]byte, 0, 1<<20)
				cpu0 := stream.CPUSeconds()
				for b.Loop() {
					n := 0
					for _, f := range frames {
						r := c.newReader(bytes.NewReader(f))
						out := bytes.NewBuffer(buf[:0])
						m, err := out.ReadFrom(r)
						if err != nil {
							b.Fatal(err)
						}
						if err := r.Close(); err != nil {
							b.Fatal(err)
						}
						n += int(m)
					}
					if n != size {
						b.Fatalf("decompressed %d bytes of %d", n, size)
					}
				}
				reportCPU(b, cpu0)
				b.SetBytes(int64(size))
			})
		}
	}
}

// produceBatches groups values as a producer's batches of at most max
// bytes.
func produceBatches(values [][]byte, max int) [][][]byte {
	var out [][][]byte
	var batch [][]byte
	n := 0
	for _, v := range values {
		if n > 0 && n+len(v) > max {
			out, batch, n = append(out, batch), nil, 0
		}
		batch = append(batch, v)
		n += len(v)
	}
	return append(out, batch)
}

// reportCPU reports the CPU time an iteration took since cpu0, in
// milliseconds: steadier than ns/op on a shared machine.
func reportCPU(b *testing.B, cpu0 float64) {
	if b.N > 0 {
		b.ReportMetric(1000*(stream.CPUSeconds()-cpu0)/float64(b.N), "cpu-ms/op")
	}
}

// benchTopics renders a snapshot's raw option-data values and the
// processed option-quote batches the processor makes of them.
func benchTopics(b *testing.B) (raw, processed [][]byte) {
	raw, quotes := benchChains(b)
	for _, qs := range quotes {
		v, err := stream.EncodeBatch(market.OptionQuotes, qs)
		if err != nil {
			b.Fatal(err)
		}
		processed = append(processed, v)
	}
	return raw, processed
}

// benchChains renders a snapshot of 40 symbols' raw option-data values and
// the option quotes the processor cleans from each.
func benchChains(b *testing.B) (raw [][]byte, quotes [][]market.OptionQuote) {
	var syms []string
	for _, c := range market.Universe()[:40] {
		syms = append(syms, c.Symbol)
	}
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 3}))
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	cl := &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}
	err := src.Fetch(context.Background(), ingest.NewTask(ingest.Options, at, at, syms...), func(r ingest.Raw) error {
		raw = append(raw, r.Value)
		res, err := wire.DecodeOptionChain(r.Value)
		if err != nil {
			return err
		}
		qs, _ := cl.Options(res, at)
		quotes = append(quotes, qs)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return raw, quotes
}

// BenchmarkEncodeBatch encodes a snapshot's processed option quotes, one
// batch a chain as the processor publishes them: from the rows straight
// (EncodeBatch), and through the arrays (Record, then EncodeRecord).
func BenchmarkEncodeBatch(b *testing.B) {
	_, quotes := benchChains(b)
	rows := 0
	for _, qs := range quotes {
		rows += len(qs)
	}
	for _, tt := range []struct {
		name   string
		encode func(qs []market.OptionQuote) ([]byte, error)
	}{
		{"rows", func(qs []market.OptionQuote) ([]byte, error) { return stream.EncodeBatch(market.OptionQuotes, qs) }},
		{"arrays", func(qs []market.OptionQuote) ([]byte, error) {
			rec, err := market.OptionQuotes.Record(memory.DefaultAllocator, qs)
			if err != nil {
				return nil, err
			}
			defer rec.Release()
			return stream.EncodeRecord(market.OptionQuotes, rec)
		}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := stream.CPUSeconds()
			for b.Loop() {
				for _, qs := range quotes {
					if _, err := tt.encode(qs); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportCPU(b, cpu0)
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}
