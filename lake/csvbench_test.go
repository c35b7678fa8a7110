package lake

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/transform"
)

// BenchmarkEncodeCSVSnapshot writes as one CSV object the option quotes
// of the snapshot BenchmarkWriterSnapshot commits (the synthetic chains
// of 40 symbols, cleaned, with IVs and Greeks), a batch per chain: unlike
// BenchmarkEncodeCSV's, whose analytics repeat down the columns, most of
// its fields are full-precision floats, as in the pipeline. It runs on
// the calling goroutine alone under -cpu 1, so callgrind counts its
// instructions as they are.
func BenchmarkEncodeCSVSnapshot(b *testing.B) {
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 3}))
	var syms []string
	for _, c := range market.Universe()[:40] {
		syms = append(syms, c.Symbol)
	}
	cl := &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}
	var recs []arrow.RecordBatch
	var rows int64
	err := src.Fetch(context.Background(), ingest.NewTask(ingest.Options, at, at, syms...), func(r ingest.Raw) error {
		res, err := wire.DecodeOptionChain(r.Value)
		if err != nil {
			return err
		}
		q, _ := cl.Options(res, at)
		rec, err := market.OptionQuotes.Record(memory.DefaultAllocator, q)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
		rows += rec.NumRows()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		if out, err = encodeCSV(out[:0], market.OptionQuotes, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*int64(b.N)), "ns/row")
	b.ReportMetric(float64(len(out))/float64(rows), "B/row")
}
