package stream_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/segmentio/kafka-go/compress"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

// BenchmarkZstdLevels compresses what the option topics carry for one
// snapshot of 40 symbols' chains, in produce batches of at most 900 kB
// (NewWriter's BatchBytes), through the producers' codec and, for scale,
// through klauspost's encoder at its default level with the same options:
// option-data's Yahoo JSON and processed-options-data's Arrow batches.
func BenchmarkZstdLevels(b *testing.B) {
	raw, processed := benchTopics(b)
	for _, topic := range []struct {
		name   string
		values [][]byte
	}{{"raw-json", raw}, {"processed-arrow", processed}} {
		size := 0
		for _, v := range topic.values {
			size += len(v)
		}
		stock, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(1<<20), zstd.WithZeroFrames(true))
		if err != nil {
			b.Fatal(err)
		}
		for _, enc := range []struct {
			name      string
			newWriter func(w io.Writer) io.WriteCloser
		}{
			{"codec", compress.Codecs[compress.Zstd].NewWriter},
			{"default-level", func(w io.Writer) io.WriteCloser { stock.Reset(w); return stock }},
		} {
			b.Run(topic.name+"/"+enc.name, func(b *testing.B) {
				var out countingWriter
				for b.Loop() {
					out = 0
					batch := 0
					w := enc.newWriter(&out)
					for _, v := range topic.values {
						if batch > 0 && batch+len(v) > 900<<10 {
							if err := w.Close(); err != nil {
								b.Fatal(err)
							}
							w, batch = enc.newWriter(&out), 0
						}
						if _, err := w.Write(v); err != nil {
							b.Fatal(err)
						}
						batch += len(v)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(int64(size))
				b.ReportMetric(float64(size)/float64(out), "ratio")
			})
		}
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// benchTopics renders a snapshot's raw option-data values and the
// processed option-quote batches the processor makes of them.
func benchTopics(b *testing.B) (raw, processed [][]byte) {
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
		quotes, _ := cl.Options(res, at)
		v, err := stream.EncodeBatch(market.OptionQuotes, quotes)
		processed = append(processed, v)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return raw, processed
}
