package sink_test

import (
	"strconv"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/stream"
)

// FuzzDecode: whatever bytes a processed topic carries, Decode returns rows
// or an error; it never panics. Seeds in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add("daily_bars", []byte{})
	f.Fuzz(func(t *testing.T, dataset string, value []byte) {
		m := kafka.Message{Topic: stream.ProcessedDailyData, Value: value, Headers: stream.Headers(
			stream.HeaderEncoding, stream.EncodingArrow,
			stream.HeaderSchema, dataset,
			stream.HeaderSchemaVersion, strconv.Itoa(market.SchemaVersion),
		)}
		ds, rows, err := sink.Decode(m)
		if err != nil {
			return
		}
		for _, r := range rows {
			if len(r.Values) != len(ds.Columns) {
				t.Fatalf("row of %d values for %d columns", len(r.Values), len(ds.Columns))
			}
		}
	})
}
