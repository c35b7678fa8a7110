package lake

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/tickerlake/tickerlake/market"
)

// TestEncodeParquetMatchesFileWriter checks the column-parallel encoder
// writes the very bytes pqarrow.FileWriter's WriteBuffered writes for the
// same batches: nulls, all-null and all-present columns, string columns
// with few values and with too many for a dictionary of their own,
// several batches and row groups cut inside a batch and on its edge.
func TestEncodeParquetMatchesFileWriter(t *testing.T) {
	ts := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	var quotes []market.OptionQuote
	for i := range maxDictionary + 100 {
		q := market.OptionQuote{SnapshotTS: ts, Symbol: []string{"AAPL", "MSFT"}[i/600], ContractSymbol: fmt.Sprintf("AAPL261127C%08d", i),
			Type: market.Call, Expiration: ts.Truncate(24*time.Hour).AddDate(0, 0, 7), Strike: 100 + float64(i), LastPrice: 1 + float64(i)/10,
			Bid: math.NaN(), Ask: 1.2, Volume: int64(i), ContractSize: "REGULAR", Currency: "USD", IV: 0.25, IngestedAt: ts.Add(time.Second)}
		if i%3 == 0 {
			q.LastPrice, q.Type, q.LastTradeTS = math.NaN(), market.Put, ts.Add(-time.Duration(i)*time.Minute)
		}
		quotes = append(quotes, q)
	}
	rec, err := market.OptionQuotes.Record(memory.DefaultAllocator, quotes)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	batches := []arrow.RecordBatch{rec.NewSlice(0, 7), rec.NewSlice(7, 7), rec.NewSlice(7, 30), rec.NewSlice(30, rec.NumRows())}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, tc := range []struct {
		name    string
		maxRows int64
		recs    []arrow.RecordBatch
	}{
		{"one batch", 1 << 20, batches[3:]},
		{"batches", 1 << 20, batches},
		{"groups inside batches", 11, batches},
		{"groups on batch edges", 7, batches},
		{"few contracts a group", 100, batches},
		{"no batches", 1 << 20, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := func() *parquet.WriterProperties {
				return parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithStats(true),
					parquet.WithMaxRowGroupLength(tc.maxRows), parquet.WithDictionaryFor("strike", false), parquet.WithDictionaryFor("iv", false))
			}
			got, err := encodeParquetWith(nil, market.OptionQuotes, tc.recs, props())
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			fw, err := pqarrow.NewFileWriter(market.OptionQuotes.ArrowSchema(), &want, props(),
				pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(memory.DefaultAllocator)))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.recs {
				if err := fw.WriteBuffered(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := fw.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("%d bytes differ from pqarrow's %d", len(got), want.Len())
			}
		})
	}
}
