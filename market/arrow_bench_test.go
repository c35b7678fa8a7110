package market

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchQuotes is a chain snapshot's worth of option quotes, some values NULL.
func benchQuotes(n int) []OptionQuote {
	snap := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	rows := make([]OptionQuote, n)
	for i := range rows {
		k := 50 + float64(i%200)
		rows[i] = OptionQuote{SnapshotTS: snap, Symbol: "AAPL", ContractSymbol: fmt.Sprintf("AAPL261218C%08d", i), Type: Call,
			Expiration: snap.AddDate(0, 0, 1+i%60).Truncate(24 * time.Hour), Strike: k, LastPrice: 1.5, Bid: 1.2, Ask: 1.3,
			Change: math.NaN(), PercentChange: 0.1, Volume: int64(i), OpenInterest: 10, SourceIV: 0.3, ContractSize: "REGULAR",
			Currency: "USD", LastTradeTS: snap.Add(-time.Minute), UnderlyingPrice: 150, Mid: 1.25, IV: 0.31, Delta: 0.5,
			Gamma: 0.01, Theta: -0.02, Vega: 0.1, Rho: 0.05, Moneyness: k / 150, DaysToExpiry: float64(1 + i%60), IngestedAt: snap}
		if i%7 == 0 {
			rows[i].LastTradeTS, rows[i].IV = time.Time{}, math.NaN()
		}
	}
	return rows
}

// BenchmarkRecord builds the Arrow batch of 10,000 option quotes, as the
// processor does for every chain it publishes; bare-builder appends the
// same values through arrow-go's typed builders with no reflection, the
// floor.
func BenchmarkRecord(b *testing.B) {
	rows := benchQuotes(10_000)
	b.Run("dataset", func(b *testing.B) {
		for b.Loop() {
			rec, err := OptionQuotes.Record(memory.DefaultAllocator, rows)
			if err != nil {
				b.Fatal(err)
			}
			rec.Release()
		}
		b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("bare-builder", func(b *testing.B) {
		schema := OptionQuotes.ArrowSchema()
		for b.Loop() {
			rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
			rb.Reserve(len(rows))
			f := func(col int, x float64) {
				if math.IsNaN(x) {
					rb.Field(col).AppendNull()
					return
				}
				rb.Field(col).(*array.Float64Builder).Append(x)
			}
			ts := func(col int, t time.Time) {
				if t.IsZero() {
					rb.Field(col).AppendNull()
					return
				}
				rb.Field(col).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
			}
			for i := range rows {
				r := &rows[i]
				rb.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r.SnapshotTS.UnixMicro()))
				rb.Field(1).(*array.StringBuilder).Append(r.Symbol)
				rb.Field(2).(*array.StringBuilder).Append(r.ContractSymbol)
				rb.Field(3).(*array.StringBuilder).Append(string(r.Type))
				rb.Field(4).(*array.Date32Builder).Append(arrow.Date32FromTime(r.Expiration))
				rb.Field(5).(*array.Float64Builder).Append(r.Strike)
				for j, x := range []float64{r.LastPrice, r.Bid, r.Ask, r.Change, r.PercentChange} {
					f(6+j, x)
				}
				rb.Field(11).(*array.Int64Builder).Append(r.Volume)
				rb.Field(12).(*array.Int64Builder).Append(r.OpenInterest)
				f(13, r.SourceIV)
				rb.Field(14).(*array.BooleanBuilder).Append(r.InTheMoney)
				rb.Field(15).(*array.StringBuilder).Append(r.ContractSize)
				rb.Field(16).(*array.StringBuilder).Append(r.Currency)
				ts(17, r.LastTradeTS)
				for j, x := range []float64{r.UnderlyingPrice, r.Mid, r.IV, r.Delta, r.Gamma, r.Theta, r.Vega, r.Rho, r.Moneyness, r.DaysToExpiry} {
					f(18+j, x)
				}
				rb.Field(28).(*array.TimestampBuilder).Append(arrow.Timestamp(r.IngestedAt.UnixMicro()))
			}
			rb.NewRecordBatch().Release()
			rb.Release()
		}
		b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
