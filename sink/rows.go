package sink

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// Row is one row of a processed message.
type Row struct {
	// Values holds the dataset's columns in order, as string, float64,
	// int64, bool or time.Time (UTC; a date is 00:00 UTC); nil is NULL.
	Values []any
	// Origin is the message the row came from (its value is not kept; its
	// headers are, for the trace).
	Origin kafka.Message
}

// Decode checks a processed message's headers and decodes its Arrow batch
// into rows of its dataset (stream.DecodeBatches).
func Decode(m kafka.Message) (*market.Dataset, []Row, error) {
	ds, err := stream.DatasetOf(m)
	if err != nil {
		return nil, nil, err
	}
	recs, err := stream.DecodeBatches(ds, m.Value)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", stream.Origin(m), err)
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	origin := kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Headers: m.Headers}
	n := 0
	for _, rec := range recs {
		n += int(rec.NumRows())
	}
	rows := make([]Row, 0, n)
	for _, rec := range recs {
		vals, err := valuesOf(ds, rec)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", stream.Origin(m), err)
		}
		for _, v := range vals {
			rows = append(rows, Row{Values: v, Origin: origin})
		}
	}
	return ds, rows, nil
}

// valuesOf converts a record batch to rows of Go values.
func valuesOf(ds *market.Dataset, rec arrow.RecordBatch) ([][]any, error) {
	n := int(rec.NumRows())
	out := make([][]any, n)
	for i := range out {
		out[i] = make([]any, len(ds.Columns))
	}
	for ci, c := range ds.Columns {
		idx := rec.Schema().FieldIndices(c.Name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("dataset %s: batch has no column %q", ds.Name, c.Name)
		}
		col := rec.Column(idx[0])
		for i := 0; i < n; i++ {
			if col.IsNull(i) {
				continue
			}
			var v any
			switch a := col.(type) {
			case *array.String:
				v = a.Value(i)
			case *array.Float64:
				v = a.Value(i)
			case *array.Int64:
				v = a.Value(i)
			case *array.Boolean:
				v = a.Value(i)
			case *array.Timestamp:
				v = time.UnixMicro(int64(a.Value(i))).UTC()
			case *array.Date32:
				v = a.Value(i).ToTime()
			default:
				return nil, fmt.Errorf("dataset %s: column %q has unsupported type %s", ds.Name, c.Name, col.DataType())
			}
			out[i][ci] = v
		}
	}
	return out, nil
}

// Encode writes rows of a dataset as an Arrow IPC stream with one batch, the
// processed topics' encoding: a dead letter carries its row this way, so it
// can be inspected and replayed with the same tools.
func Encode(ds *market.Dataset, rows []Row) ([]byte, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, ds.ArrowSchema())
	defer b.Release()
	for ci, c := range ds.Columns {
		fb := b.Field(ci)
		for _, r := range rows {
			v := r.Values[ci]
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch c.Type {
			case market.String:
				fb.(*array.StringBuilder).Append(v.(string))
			case market.Float64:
				fb.(*array.Float64Builder).Append(v.(float64))
			case market.Int64:
				fb.(*array.Int64Builder).Append(v.(int64))
			case market.Bool:
				fb.(*array.BooleanBuilder).Append(v.(bool))
			case market.Timestamp:
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
			case market.Date:
				fb.(*array.Date32Builder).Append(arrow.Date32FromTime(v.(time.Time)))
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return stream.EncodeRecord(ds, rec)
}

// Latest collapses rows that share a natural key to the most recently
// ingested one (the later one on a tie), keeping first-seen order. A store
// statement may touch each key only once, and an older replay must not win.
func Latest(ds *market.Dataset, rows []Row) []Row {
	var keyIdx []int
	for i, c := range ds.Columns {
		if c.Key {
			keyIdx = append(keyIdx, i)
		}
	}
	ingested := -1
	for i, c := range ds.Columns {
		if c.Name == "ingested_at" {
			ingested = i
		}
	}
	pos := make(map[string]int, len(rows))
	out := make([]Row, 0, len(rows))
	var sb strings.Builder
	for _, r := range rows {
		sb.Reset()
		for _, k := range keyIdx {
			fmt.Fprint(&sb, r.Values[k], "\x00")
		}
		k := sb.String()
		p, seen := pos[k]
		if !seen {
			pos[k] = len(out)
			out = append(out, r)
			continue
		}
		if ingested < 0 || !newer(out[p].Values[ingested], r.Values[ingested]) {
			out[p] = r
		}
	}
	return out
}

// newer reports whether ingestion time a is after b.
func newer(a, b any) bool {
	ta, _ := a.(time.Time)
	tb, _ := b.(time.Time)
	return ta.After(tb)
}
