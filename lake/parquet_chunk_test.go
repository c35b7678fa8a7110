package lake

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/tickerlake/tickerlake/market"
)

// TestFloatMinMaxAsArrowGo checks a float column's statistics, folded by
// floatMinMax, encode as arrow-go's own for the same parts: values with
// NaNs, both zeros and infinities among them, parts with nulls at odd
// offsets and without, all NaN and all null.
func TestFloatMinMaxAsArrowGo(t *testing.T) {
	node, err := schema.NewPrimitiveNode("x", parquet.Repetitions.Optional, parquet.Types.Double, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	descr := schema.NewColumn(node, 1, 0)
	special := []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 1.5, -2.5}
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 2000 {
		var (
			want = metadata.NewStatistics(descr, memory.DefaultAllocator).(*metadata.Float64Statistics)
			got  = metadata.NewStatistics(descr, memory.DefaultAllocator).(*metadata.Float64Statistics)
		)
		lo, hi, nulls := math.Inf(1), math.Inf(-1), int64(0)
		for range 1 + rng.IntN(4) {
			n := rng.IntN(20)
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = special[rng.IntN(len(special))]
				if round%3 == 0 {
					vals[i] = math.NaN()
				}
			}
			off := rng.IntN(9)
			var valid []byte
			var partNulls int64
			if rng.IntN(2) == 0 {
				valid = make([]byte, bitutil.BytesForBits(int64(off+n)))
				for i := range n {
					if rng.IntN(3) > 0 && round%5 != 0 {
						bitutil.SetBit(valid, off+i)
					} else {
						partNulls++
					}
				}
			}
			if valid == nil {
				want.Update(vals, 0)
			} else {
				want.UpdateSpaced(vals, valid, int64(off), partNulls)
			}
			lo, hi = floatMinMax(vals, valid, off, lo, hi)
			nulls += partNulls
		}
		got.Update(nil, nulls)
		got.SetMinMax(lo, hi)
		w, err := want.Encode()
		if err != nil {
			t.Fatal(err)
		}
		g, err := got.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if g.HasMin != w.HasMin || g.HasMax != w.HasMax || g.NullCount != w.NullCount || !bytes.Equal(g.Min, w.Min) || !bytes.Equal(g.Max, w.Max) {
			t.Fatalf("round %d: statistics %+v, arrow-go's %+v", round, g, w)
		}
	}
}

// TestEncodeParquetLongStrings checks files whose string statistics are
// long (smiles of up to 5,000 bytes) match pqarrow.FileWriter's bytes: a
// column chunk's metadata then outgrows the buffer arrow-go serialises it
// through, and part of it lands in the file.
func TestEncodeParquetLongStrings(t *testing.T) {
	ts := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	for _, size := range []int{10, 900, 2100, 5000} {
		var smiles []market.IVSmile
		for i := range 5 {
			smiles = append(smiles, market.IVSmile{SnapshotTS: ts, Symbol: "AAPL", Expiration: ts.AddDate(0, 0, i),
				Points: int64(i), Smile: strings.Repeat(string(rune('a'+i)), size), IngestedAt: ts})
		}
		rec, err := market.IVSmiles.Record(memory.DefaultAllocator, smiles)
		if err != nil {
			t.Fatal(err)
		}
		for _, fresh := range []bool{true, false} {
			recs := []arrow.RecordBatch{rec.NewSlice(0, 2), rec.NewSlice(2, 5)}
			got, err := encodeParquetWith(nil, market.IVSmiles, recs, parquetProperties(market.IVSmiles, fresh))
			if err != nil {
				t.Fatal(err)
			}
			want := pqarrowFile(t, market.IVSmiles, parquetProperties(market.IVSmiles, fresh), rec)
			if !bytes.Equal(got, want) {
				t.Errorf("smiles of %d bytes, fresh %v: %d bytes differ from pqarrow's %d", size, fresh, len(got), len(want))
			}
		}
		rec.Release()
	}
}
