package stream_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// FuzzDecode: whatever bytes a processed topic carries, DecodeBatches
// returns batches whose every value can be read, or an error; it never
// panics. Seeds in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add("daily_bars", []byte{})
	f.Fuzz(func(t *testing.T, dataset string, value []byte) {
		m := kafka.Message{Topic: stream.ProcessedDailyData, Value: value, Headers: stream.Headers(
			stream.HeaderEncoding, stream.EncodingArrow,
			stream.HeaderSchema, dataset,
			stream.HeaderSchemaVersion, strconv.Itoa(market.SchemaVersion),
		)}
		ds, err := stream.DatasetOf(m)
		if err != nil {
			return
		}
		recs, err := stream.DecodeBatches(ds, m.Value)
		if err != nil {
			return
		}
		for _, rec := range recs {
			if int(rec.NumCols()) != len(ds.Columns) {
				t.Fatalf("batch of %d columns for %d", rec.NumCols(), len(ds.Columns))
			}
			for _, col := range rec.Columns() {
				for i := 0; i < col.Len(); i++ {
					_ = col.ValueStr(i)
				}
			}
			rec.Release()
		}
	})
}

func TestCodecRoundTrip(t *testing.T) {
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rows := []market.DailyBar{
		{Symbol: "MSFT", Date: day, Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 10, IngestedAt: day.Add(time.Hour)},
		{Symbol: "AAPL", Date: day, Open: 3, High: 4, Low: 2.5, Close: 3.5, Volume: 20, IngestedAt: day.Add(time.Hour)},
	}
	value, err := stream.EncodeBatch(market.DailyBars, rows)
	if err != nil {
		t.Fatal(err)
	}
	m := kafka.Message{Value: value, Headers: stream.Headers(stream.HeaderEncoding, stream.EncodingArrow,
		stream.HeaderSchema, "daily_bars", stream.HeaderSchemaVersion, strconv.Itoa(market.SchemaVersion))}
	ds, err := stream.DatasetOf(m)
	if err != nil || ds != market.DailyBars {
		t.Fatalf("DatasetOf = %v, %v", ds, err)
	}
	recs, err := stream.DecodeBatches(ds, value)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if len(recs) != 1 || recs[0].NumRows() != 2 {
		t.Fatalf("decoded %d batches", len(recs))
	}
	if got := recs[0].Column(0).ValueStr(1); got != "AAPL" {
		t.Errorf("second symbol = %q", got)
	}
	for name, bad := range map[string][]byte{"truncated": value[:len(value)-20], "other schema": mustEncode(t)} {
		if recs, err := stream.DecodeBatches(market.DailyBars, bad); err == nil {
			for _, r := range recs {
				r.Release()
			}
			if name != "truncated" {
				t.Errorf("%s: no error", name)
			}
		}
	}
	for _, h := range [][]string{
		{stream.HeaderEncoding, stream.EncodingJSON, stream.HeaderSchema, "daily_bars", stream.HeaderSchemaVersion, "1"},
		{stream.HeaderEncoding, stream.EncodingArrow, stream.HeaderSchema, "daily_bars", stream.HeaderSchemaVersion, "99"},
		{stream.HeaderEncoding, stream.EncodingArrow, stream.HeaderSchema, "dividends", stream.HeaderSchemaVersion, "1"},
	} {
		if _, err := stream.DatasetOf(kafka.Message{Headers: stream.Headers(h...)}); err == nil {
			t.Errorf("headers %v: no error", h)
		}
	}
}

func mustEncode(t *testing.T) []byte {
	b, err := stream.EncodeBatch(market.IntradayBars, []market.IntradayBar{{Symbol: "MSFT", TS: time.Unix(0, 0).UTC()}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
