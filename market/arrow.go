package market

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SchemaVersion is the version of the layouts derived from the record types.
// It travels in every processed Kafka message; bump it on any column change.
const SchemaVersion = 1

// ArrowSchema derives the dataset's Arrow schema.
func (d *Dataset) ArrowSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(d.Columns))
	for i, c := range d.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: arrowType(c.Type), Nullable: c.Nullable}
	}
	md := arrow.NewMetadata([]string{"tickerlake.dataset", "tickerlake.schema_version"},
		[]string{d.Name, fmt.Sprint(SchemaVersion)})
	return arrow.NewSchema(fields, &md)
}

func arrowType(t Type) arrow.DataType {
	switch t {
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Timestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case Date:
		return arrow.FixedWidthTypes.Date32
	default:
		return arrow.BinaryTypes.String
	}
}

// Record builds an Arrow record batch from rows, a slice of the dataset's
// row type. The caller releases the result.
func (d *Dataset) Record(mem memory.Allocator, rows any) (arrow.RecordBatch, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice || v.Type().Elem() != d.RowType {
		return nil, fmt.Errorf("dataset %s: rows are %T, want []%s", d.Name, rows, d.RowType)
	}
	b := array.NewRecordBuilder(mem, d.ArrowSchema())
	defer b.Release()
	n := v.Len()
	b.Reserve(n)
	for ci, c := range d.Columns {
		appendColumn(b.Field(ci), c, v, n)
	}
	return b.NewRecordBatch(), nil
}

// appendColumn appends column c of the n rows of v, switching on its type
// once rather than per value. Times are read in place through their
// address: Interface would copy each one to the heap, five allocations an
// option quote.
func appendColumn(fb array.Builder, c Column, v reflect.Value, n int) {
	field := func(i int) reflect.Value { return v.Index(i).Field(c.Field) }
	timeAt := func(i int) time.Time { return *field(i).Addr().Interface().(*time.Time) }
	switch c.Type {
	case String:
		b := fb.(*array.StringBuilder)
		for i := range n {
			b.Append(field(i).String())
		}
	case Float64:
		b := fb.(*array.Float64Builder)
		for i := range n {
			x := field(i).Float()
			if c.Nullable && math.IsNaN(x) {
				b.AppendNull()
				continue
			}
			b.Append(x)
		}
	case Int64:
		b := fb.(*array.Int64Builder)
		for i := range n {
			b.Append(field(i).Int())
		}
	case Bool:
		b := fb.(*array.BooleanBuilder)
		for i := range n {
			b.Append(field(i).Bool())
		}
	case Timestamp:
		b := fb.(*array.TimestampBuilder)
		for i := range n {
			t := timeAt(i)
			if c.Nullable && t.IsZero() {
				b.AppendNull()
				continue
			}
			b.Append(arrow.Timestamp(t.UnixMicro()))
		}
	case Date:
		b := fb.(*array.Date32Builder)
		for i := range n {
			b.Append(arrow.Date32FromTime(timeAt(i)))
		}
	}
}

// TimesOf returns the time column of a record batch of this dataset, one
// value per row, so callers can split the batch by partition.
func (d *Dataset) TimesOf(rec arrow.RecordBatch) ([]time.Time, error) {
	idx := rec.Schema().FieldIndices(d.TimeCol)
	if len(idx) != 1 {
		return nil, fmt.Errorf("dataset %s: record has no column %q", d.Name, d.TimeCol)
	}
	out := make([]time.Time, rec.NumRows())
	switch a := rec.Column(idx[0]).(type) {
	case *array.Timestamp:
		for i := range out {
			out[i] = time.UnixMicro(int64(a.Value(i))).UTC()
		}
	case *array.Date32:
		for i := range out {
			out[i] = a.Value(i).ToTime()
		}
	default:
		return nil, fmt.Errorf("dataset %s: column %q has type %s", d.Name, d.TimeCol, a.DataType())
	}
	return out, nil
}
