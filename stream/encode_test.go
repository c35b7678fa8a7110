package stream

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tickerlake/tickerlake/market"
)

// TestEncodeRecordAsIPCWriter: a batch written from the schema message
// encoded once is what ipc.Writer writes, byte for byte, and decodes back.
func TestEncodeRecordAsIPCWriter(t *testing.T) {
	snap := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	quotes := make([]market.OptionQuote, 50)
	for i := range quotes {
		quotes[i] = market.OptionQuote{SnapshotTS: snap, Symbol: "AAPL", ContractSymbol: "AAPL261218C00150000", Type: market.Call,
			Strike: float64(100 + i), Bid: float64(i) / 10, Ask: math.NaN(), IV: 0.2, IngestedAt: snap}
		if i%3 == 0 {
			quotes[i].LastTradeTS, quotes[i].IV = snap, math.NaN()
		}
	}
	for _, tt := range []struct {
		name string
		ds   *market.Dataset
		rows any
	}{
		{"option quotes", market.OptionQuotes, quotes},
		{"no rows", market.OptionQuotes, []market.OptionQuote{}},
		{"smiles", market.IVSmiles, []market.IVSmile{{SnapshotTS: snap, Symbol: "AAPL", ATMIV: math.NaN(), Smile: "[]"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := tt.ds.Record(memory.DefaultAllocator, tt.rows)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			got, err := EncodeRecord(tt.ds, rec)
			if err != nil {
				t.Fatal(err)
			}
			want, err := encodeRecordIPC(tt.ds, rec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("EncodeRecord wrote %d bytes unlike ipc.Writer's %d", len(got), len(want))
			}
			recs, err := DecodeBatches(tt.ds, got)
			if err != nil {
				t.Fatal(err)
			}
			defer release(recs)
			if len(recs) != 1 || recs[0].NumRows() != rec.NumRows() {
				t.Fatalf("decoded %d batches", len(recs))
			}
		})
	}
}
