package lake_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

// BenchmarkFreshParquet encodes the Parquet files the writer commits for
// the snapshot of BenchmarkWriterSnapshot (the synthetic chains of 40
// symbols, cleaned, with IVs and Greeks), one after the other: a quotes
// file and a smiles file for each of its five Kafka partitions, from the
// decoded batches of each partition's messages. In CPU time per quote.
func BenchmarkFreshParquet(b *testing.B) {
	files := freshFiles(b)
	rows := 0
	for _, f := range files {
		if f.ds == market.OptionQuotes {
			for _, r := range f.recs {
				rows += int(r.NumRows())
			}
		}
	}
	var err error
	var out []byte
	size := 0
	cpu := cpuTime(b)
	for b.Loop() {
		size = 0
		for _, f := range files {
			if out, err = lake.EncodeFreshParquet(out[:0], f.ds, f.recs); err != nil {
				b.Fatal(err)
			}
			size += len(out)
		}
	}
	spent := cpuTime(b) - cpu
	b.ReportMetric(float64(spent.Nanoseconds())/1000/float64(rows)/float64(b.N), "cpu-µs/row")
	b.ReportMetric(float64(size)/float64(rows), "parquet-B/row")
}

// freshFile is the batches of one Parquet file the writer commits.
type freshFile struct {
	ds   *market.Dataset
	recs []arrow.RecordBatch
}

// freshFiles returns the files of BenchmarkFreshParquet's snapshot: the
// quotes file, then the smiles file, of each of five Kafka partitions.
// Their batches are released when b ends.
func freshFiles(b *testing.B) []freshFile {
	files := make([]freshFile, 10)
	chains := 0
	lake.SnapshotChains(b, func(q []market.OptionQuote, cl *transform.Cleaner) error {
		p := chains % 5
		chains++
		for k, rs := range []any{q, cl.Smiles(q)} {
			ds := []*market.Dataset{market.OptionQuotes, market.IVSmiles}[k]
			for _, m := range laketest.Messages(b, ds, p, int64(p), 0, rs) {
				recs, err := stream.DecodeBatches(ds, m.Value)
				if err != nil {
					return err
				}
				f := &files[2*p+k]
				f.ds, f.recs = ds, append(f.recs, recs...)
			}
		}
		return nil
	})
	b.Cleanup(func() {
		for _, f := range files {
			for _, r := range f.recs {
				r.Release()
			}
		}
	})
	return files
}
