package market

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestDatasetsDeriveFromRecordTypes(t *testing.T) {
	tests := []struct {
		ds      *Dataset
		key     []string
		timeCol Type
	}{
		{DailyBars, []string{"symbol", "date"}, Date},
		{IntradayBars, []string{"symbol", "ts"}, Timestamp},
		{OptionQuotes, []string{"snapshot_ts", "contract_symbol"}, Timestamp},
	}
	for _, tt := range tests {
		t.Run(tt.ds.Name, func(t *testing.T) {
			if got := strings.Join(tt.ds.Key(), ","); got != strings.Join(tt.key, ",") {
				t.Errorf("key %s, want %s", got, strings.Join(tt.key, ","))
			}
			c, ok := tt.ds.Column(tt.ds.TimeCol)
			if !ok || c.Type != tt.timeCol {
				t.Errorf("time column %s: %+v", tt.ds.TimeCol, c)
			}
			s := tt.ds.ArrowSchema()
			if s.NumFields() != len(tt.ds.Columns) || s.NumFields() != tt.ds.RowType.NumField() {
				t.Errorf("arrow schema has %d fields, dataset %d, struct %d", s.NumFields(), len(tt.ds.Columns), tt.ds.RowType.NumField())
			}
			if v, _ := s.Metadata().GetValue("tickerlake.schema_version"); v != "1" {
				t.Errorf("schema version metadata %q", v)
			}
			view := tt.ds.ViewSQL([]string{"/lake/a.parquet", "/lake/o'brien.parquet"})
			for _, want := range []string{"PARTITION BY " + strings.Join(tt.key, ", "), "'/lake/o''brien.parquet'", "ORDER BY ingested_at DESC"} {
				if !strings.Contains(view, want) {
					t.Errorf("view SQL lacks %q: %s", want, view)
				}
			}
		})
	}
}

func TestRecordRoundTrip(t *testing.T) {
	snap := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	rows := []OptionQuote{
		{SnapshotTS: snap, Symbol: "AAPL", ContractSymbol: "AAPL261218C00150000", Type: Call,
			Expiration: time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC), Strike: 150, Bid: 1.2, Ask: 1.3, IV: nanValue()},
		{SnapshotTS: snap.Add(time.Hour), Symbol: "AAPL", ContractSymbol: "AAPL261218P00150000", Type: Put, Strike: 150},
	}
	rec, err := OptionQuotes.Record(memory.DefaultAllocator, rows)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != 2 {
		t.Fatalf("%d rows", rec.NumRows())
	}
	times, err := OptionQuotes.TimesOf(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !times[0].Equal(snap) || !times[1].Equal(snap.Add(time.Hour)) {
		t.Fatalf("times %v", times)
	}
	iv := rec.Column(rec.Schema().FieldIndices("iv")[0]).(*array.Float64)
	if !iv.IsNull(0) {
		t.Error("NaN in a nullable column should be NULL")
	}
	lt := rec.Column(rec.Schema().FieldIndices("last_trade_ts")[0])
	if !lt.IsNull(1) {
		t.Error("a zero time in a nullable column should be NULL")
	}
	exp := rec.Column(rec.Schema().FieldIndices("expiration")[0]).(*array.Date32)
	if got := exp.Value(0).ToTime(); !got.Equal(rows[0].Expiration) {
		t.Errorf("expiration %s", got)
	}
	if rec.Schema().Field(0).Type.ID() != arrow.TIMESTAMP {
		t.Errorf("snapshot_ts is %s", rec.Schema().Field(0).Type)
	}
	if _, err := OptionQuotes.Record(memory.DefaultAllocator, []DailyBar{}); err == nil {
		t.Error("rows of another dataset's type were accepted")
	}
}

func TestPartitionOf(t *testing.T) {
	tests := []struct {
		ds   *Dataset
		t    time.Time
		want string
	}{
		{DailyBars, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), "year=2026"},
		{IntradayBars, time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC), "date=2026-11-27"},
		// 02:00 UTC on the 28th is still the 27th in New York.
		{OptionQuotes, time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC), "date=2026-11-27"},
	}
	for _, tt := range tests {
		if got := tt.ds.PartitionOf(tt.t); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.ds.Name, tt.t, got, tt.want)
		}
	}
}

func nanValue() float64 { return math.NaN() }
