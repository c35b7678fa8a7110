package sink

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
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
	// Origin is the message the row came from (its value is not kept).
	Origin kafka.Message
}

// Decode checks a processed message's headers and decodes its Arrow batch
// into rows of its dataset.
func Decode(m kafka.Message) (*market.Dataset, []Row, error) {
	if enc := stream.Header(m, stream.HeaderEncoding); enc != stream.EncodingArrow {
		return nil, nil, fmt.Errorf("%s: encoding %q, want %q", stream.Origin(m), enc, stream.EncodingArrow)
	}
	if v := stream.Header(m, stream.HeaderSchemaVersion); v != strconv.Itoa(market.SchemaVersion) {
		return nil, nil, fmt.Errorf("%s: schema version %q, this sink knows %d", stream.Origin(m), v, market.SchemaVersion)
	}
	name := stream.Header(m, stream.HeaderSchema)
	ds, ok := market.DatasetByName(name)
	if !ok {
		return nil, nil, fmt.Errorf("%s: unknown dataset %q", stream.Origin(m), name)
	}
	vals, err := decodeArrow(ds, m.Value)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", stream.Origin(m), err)
	}
	origin := kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key}
	rows := make([]Row, len(vals))
	for i, v := range vals {
		rows[i] = Row{Values: v, Origin: origin}
	}
	return ds, rows, nil
}

// schemaPrefix is the IPC schema message every stream of a dataset starts
// with: the processor writes exactly these bytes.
var schemaPrefix = sync.OnceValue(func() map[*market.Dataset][]byte {
	out := map[*market.Dataset][]byte{}
	for _, ds := range market.Datasets() {
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(ds.ArrowSchema()))
		if err := w.Close(); err != nil {
			continue // unreachable for a fixed schema; decoding then refuses the dataset
		}
		out[ds] = bytes.TrimSuffix(buf.Bytes(), ipcEOS)
	}
	return out
})

// ipcEOS ends an IPC stream.
var ipcEOS = []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}

// decodeArrow reads an IPC stream of the dataset's schema. The Arrow
// reader trusts the sizes a stream declares, so a corrupt message could
// make it allocate without bound: the schema must be byte-for-byte the
// dataset's, and no buffer may be larger than the message itself.
func decodeArrow(ds *market.Dataset, value []byte) (vals [][]any, err error) {
	prefix := schemaPrefix()[ds]
	if len(prefix) == 0 || !bytes.HasPrefix(value, prefix) {
		return nil, fmt.Errorf("decode arrow: the stream does not start with the %s schema", ds.Name)
	}
	mem := &boundedAllocator{Allocator: memory.DefaultAllocator, limit: len(value)}
	defer func() {
		// A corrupt batch makes the Arrow arrays index out of their buffers:
		// a bad message, not a bug here.
		if r := recover(); r != nil {
			_, tooLarge := r.(errTooLarge)
			if _, runtimeErr := r.(runtime.Error); !tooLarge && !runtimeErr {
				panic(r)
			}
			vals, err = nil, fmt.Errorf("decode arrow: corrupt batch: %v", r)
		}
	}()
	rd, err := ipc.NewReader(bytes.NewReader(value), ipc.WithSchema(ds.ArrowSchema()), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("decode arrow: %w", err)
	}
	defer rd.Release()
	for rd.Next() {
		v, err := valuesOf(ds, rd.RecordBatch())
		if err != nil {
			return nil, err
		}
		vals = append(vals, v...)
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("read arrow: %w", err)
	}
	return vals, nil
}

// errTooLarge is the panic a boundedAllocator raises.
type errTooLarge string

// boundedAllocator refuses any one allocation larger than limit bytes (the
// Allocator interface cannot return an error, so it panics and decodeArrow
// recovers).
type boundedAllocator struct {
	memory.Allocator
	limit int
}

func (a *boundedAllocator) Allocate(n int) []byte {
	if n > a.limit+64 {
		panic(errTooLarge(fmt.Sprintf("a buffer of %d bytes declared in a message of %d", n, a.limit)))
	}
	return a.Allocator.Allocate(n)
}

func (a *boundedAllocator) Reallocate(n int, b []byte) []byte {
	if n > a.limit+64 {
		panic(errTooLarge(fmt.Sprintf("a buffer of %d bytes declared in a message of %d", n, a.limit)))
	}
	return a.Allocator.Reallocate(n, b)
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
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("encode %s rows: %w", ds.Name, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode %s rows: %w", ds.Name, err)
	}
	return buf.Bytes(), nil
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
