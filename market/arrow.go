package market

import (
	"fmt"
	"math"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SchemaVersion is the version of the layouts derived from the record types.
// It travels in every processed Kafka message; bump it on any column change.
const SchemaVersion = 1

// ArrowSchema derives the dataset's Arrow schema. It is built once per
// dataset and shared: an arrow.Schema is never changed in place, and the
// processor asked for it once for every message it encoded.
func (d *Dataset) ArrowSchema() *arrow.Schema {
	return d.layout().schema
}

func (d *Dataset) newArrowSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(d.Columns))
	for i, c := range d.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: arrowType(c.Type), Nullable: c.Nullable}
	}
	md := arrow.NewMetadata([]string{"tickerlake.dataset", "tickerlake.schema_version"},
		[]string{d.Name, fmt.Sprint(SchemaVersion)})
	return arrow.NewSchema(fields, &md)
}

// layout is what Record needs of a dataset beyond its columns: the Arrow
// schema and each column's offset in the row type.
type layout struct {
	schema  *arrow.Schema
	offsets []uintptr // by column
	size    uintptr   // of one row
}

// layouts holds each dataset's layout, built on first use.
var layouts sync.Map // *Dataset → *layout

func (d *Dataset) layout() *layout {
	if l, ok := layouts.Load(d); ok {
		return l.(*layout)
	}
	l := &layout{schema: d.newArrowSchema(), offsets: make([]uintptr, len(d.Columns)), size: d.RowType.Size()}
	for i, c := range d.Columns {
		l.offsets[i] = d.RowType.Field(c.Field).Offset
	}
	got, _ := layouts.LoadOrStore(d, l)
	return got.(*layout)
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
//
// Each column's buffers are filled in one pass over the rows, reading the
// field in place at its offset in the row type (the slice's type is checked
// against the dataset's first): through reflect.Value per value and
// arrow-go's builders, building the batch of one option chain cost as much
// as decoding it. The arrays hold what the builders would give, byte for
// byte (TestRecordAsBuilders).
func (d *Dataset) Record(mem memory.Allocator, rows any) (arrow.RecordBatch, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice || v.Type().Elem() != d.RowType {
		return nil, fmt.Errorf("dataset %s: rows are %T, want []%s", d.Name, rows, d.RowType)
	}
	l := d.layout()
	n := v.Len()
	var base unsafe.Pointer
	if n > 0 {
		base = v.UnsafePointer()
	}
	cols := make([]arrow.Array, len(d.Columns))
	for ci, c := range d.Columns {
		cols[ci] = columnArray(mem, c, l.schema.Field(ci).Type, fieldReader{base: base, size: l.size, off: l.offsets[ci]}, n)
	}
	rec := array.NewRecordBatch(l.schema, cols, int64(n))
	for _, a := range cols {
		a.Release()
	}
	return rec, nil
}

// fieldReader addresses one field of the rows of a slice.
type fieldReader struct {
	base      unsafe.Pointer
	size, off uintptr
}

func (f fieldReader) at(i int) unsafe.Pointer {
	return unsafe.Add(f.base, uintptr(i)*f.size+f.off)
}

// newBuffer is a buffer of size bytes from mem, zeroed.
func newBuffer(mem memory.Allocator, size int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	clear(b.Bytes())
	return b
}

// columnArray builds the array of column c of n rows. Nullable floats hold
// NaN, and nullable times the zero time, as NULL (a null slot's value is 0).
func columnArray(mem memory.Allocator, c Column, dt arrow.DataType, f fieldReader, n int) arrow.Array {
	var buffers []*memory.Buffer
	nulls := 0
	var valid *memory.Buffer
	// markNull records row i as NULL, making the validity bitmap (all
	// valid so far) on the first.
	markNull := func(i int) {
		if valid == nil {
			valid = newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
			bitutil.SetBitsTo(valid.Bytes(), 0, int64(n), true)
		}
		bitutil.ClearBit(valid.Bytes(), i)
		nulls++
	}
	switch c.Type {
	case String:
		offsets := newBuffer(mem, 4*(n+1))
		offs := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
		total := 0
		for i := range n {
			total += len(*(*string)(f.at(i)))
		}
		data := newBuffer(mem, total)
		bytes := data.Bytes()
		pos := 0
		for i := range n {
			pos += copy(bytes[pos:], *(*string)(f.at(i)))
			offs[i+1] = int32(pos)
		}
		buffers = []*memory.Buffer{nil, offsets, data}
	case Float64:
		values := newBuffer(mem, 8*n)
		xs := arrow.Float64Traits.CastFromBytes(values.Bytes())
		for i := range n {
			x := *(*float64)(f.at(i))
			if c.Nullable && math.IsNaN(x) {
				markNull(i)
				continue
			}
			xs[i] = x
		}
		buffers = []*memory.Buffer{nil, values}
	case Int64:
		values := newBuffer(mem, 8*n)
		xs := arrow.Int64Traits.CastFromBytes(values.Bytes())
		for i := range n {
			xs[i] = *(*int64)(f.at(i))
		}
		buffers = []*memory.Buffer{nil, values}
	case Bool:
		values := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
		bits := values.Bytes()
		for i := range n {
			if *(*bool)(f.at(i)) {
				bitutil.SetBit(bits, i)
			}
		}
		buffers = []*memory.Buffer{nil, values}
	case Timestamp:
		values := newBuffer(mem, 8*n)
		xs := arrow.TimestampTraits.CastFromBytes(values.Bytes())
		for i := range n {
			t := (*time.Time)(f.at(i))
			if c.Nullable && t.IsZero() {
				markNull(i)
				continue
			}
			xs[i] = arrow.Timestamp(t.UnixMicro())
		}
		buffers = []*memory.Buffer{nil, values}
	case Date:
		values := newBuffer(mem, 4*n)
		xs := arrow.Date32Traits.CastFromBytes(values.Bytes())
		for i := range n {
			xs[i] = arrow.Date32FromTime(*(*time.Time)(f.at(i)))
		}
		buffers = []*memory.Buffer{nil, values}
	}
	buffers[0] = valid
	data := array.NewData(dt, n, buffers, nil, nulls, 0)
	for _, b := range buffers {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data)
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
