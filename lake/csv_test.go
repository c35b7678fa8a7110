package lake

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tickerlake/tickerlake/market"
)

// TestEncodeCSVMatchesArrow checks the CSV objects are byte for byte what
// arrow-go's CSV writer makes of the same batches, nulls, repeats and
// quoting included.
func TestEncodeCSVMatchesArrow(t *testing.T) {
	ts := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	quotes := []market.OptionQuote{
		{SnapshotTS: ts, Symbol: "BRK.B", ContractSymbol: "BRKB261127C00480000", Type: market.Call, Expiration: ts.Truncate(24 * time.Hour),
			Strike: 480, LastPrice: 1.25, Bid: math.NaN(), Ask: 1.3, Volume: 7, ContractSize: "REGULAR", Currency: "USD",
			LastTradeTS: ts.Add(-time.Minute), IV: 0.2512345678901, IngestedAt: ts.Add(time.Second)},
		{SnapshotTS: ts, Symbol: "BRK.B", ContractSymbol: "BRKB261127P00480000", Type: market.Put, Expiration: ts.Truncate(24 * time.Hour),
			Strike: 480.5, LastPrice: math.NaN(), ContractSize: `odd, "quoted"` + "\nsize", Currency: "USD", IngestedAt: ts.Add(time.Second)},
		{SnapshotTS: ts.Add(123456789 * time.Nanosecond), Symbol: "X", ContractSymbol: "X1", Type: market.Put, Strike: 1e-7,
			Delta: -1e21, InTheMoney: true, IngestedAt: ts.Add(2 * time.Second)},
	}
	bars := []market.DailyBar{
		{Symbol: "AAPL", Date: ts.Truncate(24 * time.Hour), Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 100, IngestedAt: ts},
		{Symbol: "AAPL", Date: ts.Truncate(24*time.Hour).AddDate(0, 0, 1), Open: 1, Close: 1, Imputed: true, IngestedAt: ts},
	}
	for _, tc := range []struct {
		ds   *market.Dataset
		rows any
	}{{market.OptionQuotes, quotes}, {market.DailyBars, bars}} {
		t.Run(tc.ds.Name, func(t *testing.T) {
			rec, err := tc.ds.Record(memory.DefaultAllocator, tc.rows)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			recs := []arrow.RecordBatch{rec.NewSlice(0, 1), rec.NewSlice(1, rec.NumRows())}
			got, err := encodeCSV(tc.ds, recs)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			cw := csv.NewWriter(&want, tc.ds.ArrowSchema(), csv.WithHeader(true), csv.WithNullWriter(""))
			for _, r := range recs {
				if err := cw.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := cw.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("CSV differs from arrow's:\ngot\n%s\nwant\n%s", got, want.Bytes())
			}
		})
	}
}
