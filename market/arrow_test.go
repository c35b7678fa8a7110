package market

import (
	"bytes"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recordByBuilders is Record as arrow-go's builders make it, value by value
// through reflection: the reference Record is held to.
func recordByBuilders(d *Dataset, rows any) arrow.RecordBatch {
	v := reflect.ValueOf(rows)
	b := array.NewRecordBuilder(memory.DefaultAllocator, d.ArrowSchema())
	defer b.Release()
	for i := range v.Len() {
		for ci, c := range d.Columns {
			f := v.Index(i).Field(c.Field)
			switch fb := b.Field(ci).(type) {
			case *array.StringBuilder:
				fb.Append(f.String())
			case *array.Float64Builder:
				if x := f.Float(); c.Nullable && math.IsNaN(x) {
					fb.AppendNull()
				} else {
					fb.Append(x)
				}
			case *array.Int64Builder:
				fb.Append(f.Int())
			case *array.BooleanBuilder:
				fb.Append(f.Bool())
			case *array.TimestampBuilder:
				if t := f.Interface().(time.Time); c.Nullable && t.IsZero() {
					fb.AppendNull()
				} else {
					fb.Append(arrow.Timestamp(t.UnixMicro()))
				}
			case *array.Date32Builder:
				fb.Append(arrow.Date32FromTime(f.Interface().(time.Time)))
			}
		}
	}
	return b.NewRecordBatch()
}

func ipcBytes(t *testing.T, rec arrow.RecordBatch) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRecordAsBuilders holds Record to the builders' arrays, NULLs, strings
// and empty batches included, also as read back from the IPC stream the
// processor publishes. (The streams differ only in the length of validity
// bitmaps: a builder's is as long as its capacity.)
func TestRecordAsBuilders(t *testing.T) {
	snap := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	quotes := benchQuotes(77)
	quotes[3].Symbol, quotes[4].ContractSize, quotes[5].Bid = "", "", math.NaN()
	quotes[6].InTheMoney, quotes[7].Volume = true, -3
	tests := []struct {
		name string
		ds   *Dataset
		rows any
	}{
		{"option quotes", OptionQuotes, quotes},
		{"no option quotes", OptionQuotes, []OptionQuote{}},
		{"one quote, all NULL", OptionQuotes, []OptionQuote{{Strike: math.NaN(), LastPrice: math.NaN(), IV: math.NaN()}}},
		{"daily bars", DailyBars, []DailyBar{{Symbol: "AAPL", Date: snap.Truncate(24 * time.Hour), Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 10, Imputed: true, IngestedAt: snap},
			{Symbol: "BRK.B", Open: math.NaN(), IngestedAt: snap}}},
		{"intraday bars", IntradayBars, []IntradayBar{{Symbol: "MSFT", TS: snap, Close: 3}}},
		{"smiles", IVSmiles, []IVSmile{{SnapshotTS: snap, Symbol: "AAPL", Expiration: snap, ATMIV: math.NaN(), Points: 4, Smile: `[{"k":1}]`}, {Symbol: "X"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ds.Record(memory.DefaultAllocator, tt.rows)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			want := recordByBuilders(tt.ds, tt.rows)
			defer want.Release()
			if !array.RecordApproxEqual(got, want, array.WithNaNsEqual(true)) {
				t.Fatalf("record differs from the builders'\ngot  %v\nwant %v", got, want)
			}
			for i := range got.Columns() {
				if g, w := got.Column(i).NullN(), want.Column(i).NullN(); g != w {
					t.Errorf("column %s: %d nulls, want %d", tt.ds.Columns[i].Name, g, w)
				}
			}
			rd, err := ipc.NewReader(bytes.NewReader(ipcBytes(t, got)))
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Release()
			if !rd.Next() {
				t.Fatalf("IPC stream has no batch: %v", rd.Err())
			}
			if !array.RecordApproxEqual(rd.RecordBatch(), want, array.WithNaNsEqual(true)) {
				t.Errorf("record read back from IPC differs from the builders'")
			}
		})
	}
}

// TestRecordChecksAllocations builds with a checked allocator: every buffer
// Record takes is released with the batch.
func TestRecordChecksAllocations(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec, err := OptionQuotes.Record(mem, benchQuotes(10))
	if err != nil {
		t.Fatal(err)
	}
	rec.Release()
}
