package lake

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
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
	var recs []arrow.RecordBatch
	var rows int64
	snapshotChains(b, func(q []market.OptionQuote, _ *transform.Cleaner) error {
		rec, err := market.OptionQuotes.Record(memory.DefaultAllocator, q)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
		rows += rec.NumRows()
		return nil
	})
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		var err error
		if out, err = encodeCSV(out[:0], market.OptionQuotes, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*int64(b.N)), "ns/row")
	b.ReportMetric(float64(len(out))/float64(rows), "B/row")
}
