package market

import (
	"fmt"
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
	l := d.layout()
	base, n, err := d.rowsOf(rows)
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, len(d.Columns))
	for ci, c := range d.Columns {
		f := fieldReader{base: base, size: l.size, off: l.offsets[ci]}
		sh := shapeOf(c, f, n)
		sizes, nbuf := sh.sizes(c, n)
		buffers := make([]*memory.Buffer, nbuf)
		var bytes [3][]byte
		for i, size := range sizes[:nbuf] {
			if i == 0 && sh.nulls == 0 {
				continue // no validity bitmap
			}
			buffers[i] = memory.NewResizableBuffer(mem)
			buffers[i].Resize(size)
			bytes[i] = buffers[i].Bytes()
		}
		fillColumn(c, f, n, &bytes)
		data := array.NewData(l.schema.Field(ci).Type, n, buffers, nil, sh.nulls, 0)
		for _, b := range buffers {
			if b != nil {
				b.Release()
			}
		}
		cols[ci] = array.MakeFromData(data)
		data.Release()
	}
	rec := array.NewRecordBatch(l.schema, cols, int64(n))
	for _, a := range cols {
		a.Release()
	}
	return rec, nil
}

// rowsOf checks that rows is a slice of the dataset's row type and returns
// its first element's address and its length.
func (d *Dataset) rowsOf(rows any) (unsafe.Pointer, int, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice || v.Type().Elem() != d.RowType {
		return nil, 0, fmt.Errorf("dataset %s: rows are %T, want []%s", d.Name, rows, d.RowType)
	}
	n := v.Len()
	if n == 0 {
		return nil, 0, nil
	}
	return v.UnsafePointer(), n, nil
}

// Batch is a batch of rows laid out as the body of an Arrow IPC record
// batch message, for writing it without building the arrays first: the
// message's field nodes and buffers, and WriteBody to fill the body. The
// body holds what the IPC writer writes of Record's batch, byte for byte.
type Batch struct {
	Rows    int64
	Nodes   []BatchNode   // by column
	Buffers []BatchBuffer // the columns' buffers in order, in the body
	BodyLen int64         // the body's length, its buffers each padded to 8 bytes

	d      *Dataset
	base   unsafe.Pointer // the rows
	shapes []colShape     // by column
}

// BatchNode is one column's length and NULL count.
type BatchNode struct{ Len, Nulls int64 }

// BatchBuffer is one buffer's place in the body.
type BatchBuffer struct{ Offset, Len int64 }

// Batch lays out rows, a slice of the dataset's row type, as an IPC
// record batch body. The rows must not change until WriteBody returns.
func (d *Dataset) Batch(rows any) (*Batch, error) {
	l := d.layout()
	base, n, err := d.rowsOf(rows)
	if err != nil {
		return nil, err
	}
	b := &Batch{Rows: int64(n), Nodes: make([]BatchNode, len(d.Columns)), Buffers: make([]BatchBuffer, 0, 3*len(d.Columns)),
		d: d, base: base, shapes: make([]colShape, len(d.Columns))}
	var off int64
	for ci, c := range d.Columns {
		sh := shapeOf(c, fieldReader{base: base, size: l.size, off: l.offsets[ci]}, n)
		b.shapes[ci] = sh
		b.Nodes[ci] = BatchNode{Len: int64(n), Nulls: int64(sh.nulls)}
		sizes, nbuf := sh.sizes(c, n)
		for i, size := range sizes[:nbuf] {
			switch {
			case i == 0 && sh.nulls == 0:
				size = 0 // no validity bitmap
			case i == 0 && sh.nulls == n:
				// The IPC writer writes a column of NULLs with a new
				// bitmap of zeros, padded to 64 bytes.
				size = (size + 63) &^ 63
			}
			b.Buffers = append(b.Buffers, BatchBuffer{Offset: off, Len: int64(size)})
			off += int64(bitutil.CeilByte(size)) // padded to 8 bytes
		}
	}
	b.BodyLen = off
	return b, nil
}

// WriteBody writes the body into body, BodyLen bytes that are zero (the
// padding between buffers is left as it is).
func (b *Batch) WriteBody(body []byte) {
	l := b.d.layout()
	bi := 0
	for ci, c := range b.d.Columns {
		_, nbuf := b.shapes[ci].sizes(c, int(b.Rows))
		var bufs [3][]byte
		for i := range nbuf {
			buf := b.Buffers[bi]
			bufs[i] = body[buf.Offset : buf.Offset+buf.Len : buf.Offset+buf.Len]
			if buf.Len == 0 {
				bufs[i] = nil
			}
			bi++
		}
		fillColumn(c, fieldReader{base: b.base, size: l.size, off: l.offsets[ci]}, int(b.Rows), &bufs)
	}
}

// fieldReader addresses one field of the rows of a slice.
type fieldReader struct {
	base      unsafe.Pointer
	size, off uintptr
}

func (f fieldReader) at(i int) unsafe.Pointer {
	return unsafe.Add(f.base, uintptr(i)*f.size+f.off)
}

// colShape is what sizing a column's buffers takes a pass over the rows
// for: its NULLs, and for strings, the bytes of its values. Nullable floats
// hold NaN, and nullable times the zero time, as NULL.
type colShape struct {
	nulls int
	data  int
}

func shapeOf(c Column, f fieldReader, n int) colShape {
	var sh colShape
	switch c.Type {
	case String:
		for i := range n {
			sh.data += len(*(*string)(f.at(i)))
		}
	case Float64:
		if c.Nullable {
			for i := range n {
				if x := *(*float64)(f.at(i)); x != x {
					sh.nulls++
				}
			}
		}
	case Timestamp:
		if c.Nullable {
			for i := range n {
				if (*time.Time)(f.at(i)).IsZero() {
					sh.nulls++
				}
			}
		}
	}
	return sh
}

// sizes are the column's buffers' sizes in Arrow's order: the validity
// bitmap (used only when there are NULLs), then the values, or for strings
// the offsets and the bytes; nbuf is how many there are.
func (sh colShape) sizes(c Column, n int) (sizes [3]int, nbuf int) {
	bits := int(bitutil.BytesForBits(int64(n)))
	switch c.Type {
	case String:
		return [3]int{bits, 4 * (n + 1), sh.data}, 3
	case Bool:
		return [3]int{bits, bits}, 2
	case Date:
		return [3]int{bits, 4 * n}, 2
	default: // Float64, Int64, Timestamp
		return [3]int{bits, 8 * n}, 2
	}
}

// fillColumn writes column c of n rows into its buffers, as sizes orders
// them; bufs[0], the validity bitmap, is nil when the column has no NULLs.
// Every byte of every buffer is written (a NULL slot's value is 0, a
// bitmap's bits past n are clear), so the buffers need not be zeroed first.
func fillColumn(c Column, f fieldReader, n int, bufs *[3][]byte) {
	valid := bufs[0]
	switch c.Type {
	case String:
		offs := arrow.Int32Traits.CastFromBytes(bufs[1])
		data := bufs[2]
		pos := 0
		offs[0] = 0
		for i := range n {
			pos += copy(data[pos:], *(*string)(f.at(i)))
			offs[i+1] = int32(pos)
		}
	case Float64:
		xs := arrow.Float64Traits.CastFromBytes(bufs[1])
		if valid == nil {
			for i := range n {
				xs[i] = *(*float64)(f.at(i))
			}
			break
		}
		for j := range valid {
			var bits byte
			for i := 8 * j; i < min(8*j+8, n); i++ {
				if x := *(*float64)(f.at(i)); x == x {
					xs[i] = x
					bits |= 1 << (i & 7)
				} else {
					xs[i] = 0
				}
			}
			valid[j] = bits
		}
	case Int64:
		xs := arrow.Int64Traits.CastFromBytes(bufs[1])
		for i := range n {
			xs[i] = *(*int64)(f.at(i))
		}
	case Bool:
		values := bufs[1]
		for j := range values {
			var bits byte
			for i := 8 * j; i < min(8*j+8, n); i++ {
				if *(*bool)(f.at(i)) {
					bits |= 1 << (i & 7)
				}
			}
			values[j] = bits
		}
	case Timestamp:
		xs := arrow.TimestampTraits.CastFromBytes(bufs[1])
		if valid == nil {
			for i := range n {
				xs[i] = arrow.Timestamp((*time.Time)(f.at(i)).UnixMicro())
			}
			break
		}
		for j := range valid {
			var bits byte
			for i := 8 * j; i < min(8*j+8, n); i++ {
				if t := (*time.Time)(f.at(i)); !t.IsZero() {
					xs[i] = arrow.Timestamp(t.UnixMicro())
					bits |= 1 << (i & 7)
				} else {
					xs[i] = 0
				}
			}
			valid[j] = bits
		}
	case Date:
		xs := arrow.Date32Traits.CastFromBytes(bufs[1])
		for i := range n {
			xs[i] = arrow.Date32FromTime(*(*time.Time)(f.at(i)))
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
