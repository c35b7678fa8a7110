package stream

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tickerlake/tickerlake/market"
)

// TestEncodeRecordAsIPCWriter: a batch written from the schema message
// encoded once, from the arrays (EncodeRecord) or from the rows straight
// (EncodeBatch), is what ipc.Writer writes of the dataset's Record of the
// rows, byte for byte, and decodes back.
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
	allNull := make([]market.OptionQuote, 9)
	for i := range allNull {
		q := &allNull[i]
		q.LastPrice, q.Bid, q.Ask, q.Change, q.PercentChange, q.SourceIV = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		q.UnderlyingPrice, q.Mid, q.IV, q.Delta, q.Gamma, q.Theta, q.Vega, q.Rho = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		q.Moneyness, q.DaysToExpiry = math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(7, 7))
	chain := make([]market.OptionQuote, 1013)
	for i := range chain {
		nan := func(x float64) float64 {
			if rng.IntN(5) == 0 {
				return math.NaN()
			}
			return x
		}
		chain[i] = market.OptionQuote{SnapshotTS: snap, Symbol: "MSFT", ContractSymbol: fmt.Sprintf("MSFT261218P%08d", rng.IntN(1e6)),
			Type: market.Put, Expiration: snap.AddDate(0, 0, rng.IntN(90)).Truncate(24 * time.Hour), Strike: float64(rng.IntN(500)),
			Bid: nan(rng.Float64()), Ask: nan(rng.Float64()), Volume: rng.Int64N(1e5), InTheMoney: rng.IntN(2) == 0,
			IV: nan(rng.Float64()), Delta: nan(-rng.Float64()), IngestedAt: snap}
		if rng.IntN(3) == 0 {
			chain[i].LastTradeTS = snap.Add(-time.Duration(rng.IntN(1e6)) * time.Second)
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
		{"one quote, no NULLs", market.OptionQuotes, []market.OptionQuote{{SnapshotTS: snap, Symbol: "AAPL", LastTradeTS: snap, IV: 0.3, InTheMoney: true}}},
		{"every value NULL or empty", market.OptionQuotes, allNull},
		{"a chain", market.OptionQuotes, chain},
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
			if direct, err := EncodeBatch(tt.ds, tt.rows); err != nil || !bytes.Equal(direct, want) {
				t.Fatalf("EncodeBatch wrote %d bytes unlike ipc.Writer's %d (%v)", len(direct), len(want), err)
			}
			// Appended after bytes of its own, into a buffer left dirty
			// by an earlier message, the same bytes.
			dirty := bytes.Repeat([]byte{0xa5}, 3+len(want)+100)
			appended, err := AppendBatch(dirty[:3], tt.ds, tt.rows)
			if err != nil || &appended[0] != &dirty[0] || !bytes.Equal(appended[:3], dirty[:3]) || !bytes.Equal(appended[3:], want) {
				t.Fatalf("AppendBatch into a used buffer wrote %d bytes unlike ipc.Writer's %d (%v)", len(appended)-3, len(want), err)
			}
			// Into one with too little room left, whose spare bytes
			// are dirty too.
			for _, room := range []int{0, len(want) - 1} {
				dirty := bytes.Repeat([]byte{0xa5}, 3+room)
				grown, err := AppendBatch(dirty[:3], tt.ds, tt.rows)
				if err != nil || !bytes.Equal(grown[:3], dirty[:3]) || !bytes.Equal(grown[3:], want) {
					t.Fatalf("AppendBatch into a buffer with %d bytes of room wrote %d bytes unlike ipc.Writer's %d (%v)", room, len(grown)-3, len(want), err)
				}
			}
			recs, err := DecodeBatches(tt.ds, got)
			if err != nil {
				t.Fatal(err)
			}
			defer release(recs)
			if len(recs) != 1 || recs[0].NumRows() != rec.NumRows() {
				t.Fatalf("decoded %d batches", len(recs))
			}
			// Read in place (decodePlain) or by the IPC reader, the batch
			// is the one encoded.
			if _, plain := decodePlain(tt.ds, got[len(schemaPrefix()[tt.ds]):]); plain != (rec.NumRows() > 0) {
				t.Errorf("read in place: %v, want %v", plain, rec.NumRows() > 0)
			}
			viaIPC, err := decodeIPC(tt.ds, got)
			if err != nil {
				t.Fatal(err)
			}
			defer release(viaIPC)
			if len(viaIPC) != 1 || !array.RecordEqual(recs[0], viaIPC[0]) || !array.RecordEqual(recs[0], rec) {
				t.Errorf("decoded batch differs from the IPC reader's or the one encoded")
			}
		})
	}
}

// BenchmarkDecodeBatches decodes a snapshot's processed option batches, one
// a chain, as the lake writer does: in place (DecodeBatches) and through
// the IPC reader, as it did before. cpu-ms/op is a snapshot's CPU time.
func BenchmarkDecodeBatches(b *testing.B) {
	snap := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	var values [][]byte
	rows := 0
	for c := range 280 {
		quotes := make([]market.OptionQuote, 46)
		for i := range quotes {
			quotes[i] = market.OptionQuote{SnapshotTS: snap, Symbol: "AAPL", ContractSymbol: fmt.Sprintf("AAPL261218C%08d", c*100+i),
				Type: market.Call, Expiration: snap, Strike: float64(100 + i), Bid: 1, Ask: 1.1, IV: 0.2, Change: math.NaN(), IngestedAt: snap}
		}
		v, err := EncodeBatch(market.OptionQuotes, quotes)
		if err != nil {
			b.Fatal(err)
		}
		values, rows = append(values, v), rows+len(quotes)
	}
	for _, tt := range []struct {
		name   string
		decode func(*market.Dataset, []byte) ([]arrow.RecordBatch, error)
	}{{"in-place", DecodeBatches}, {"ipc-reader", decodeIPC}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := CPUSeconds()
			for b.Loop() {
				for _, v := range values {
					recs, err := tt.decode(market.OptionQuotes, v)
					if err != nil {
						b.Fatal(err)
					}
					release(recs)
				}
			}
			b.ReportMetric(1000*(CPUSeconds()-cpu0)/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
