package stream

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
)

// The processed topics' codec: one Arrow IPC stream of the dataset's
// schema per message, named by the tl-encoding, tl-schema and
// tl-schema-version headers. The processor encodes with EncodeBatch; the
// lake writer and the sinks decode with DatasetOf and DecodeBatches.

// EncodeBatch encodes rows of a dataset (a slice of its row type) as an
// Arrow IPC stream with one batch: the schema message encoded once
// (schemaPrefix), the batch's message and the end of stream, the bytes
// EncodeRecord writes of the dataset's Record of the rows. The batch's
// buffers are written from the rows straight into the message's body
// (market.Batch), with no arrays built first and no copy of them: building
// the arrays, the message's payload from them and the stream took about 2 ms
// for a chain of 500 contracts, and a tenth of the processor's CPU.
func EncodeBatch(ds *market.Dataset, rows any) ([]byte, error) {
	return AppendBatch(nil, ds, rows)
}

// AppendBatch appends what EncodeBatch returns to dst, in its spare
// capacity when that is enough, so that a caller done with an earlier
// message's bytes can encode the next into them.
func AppendBatch(dst []byte, ds *market.Dataset, rows any) ([]byte, error) {
	prefix := schemaPrefix()[ds]
	if len(prefix) == 0 {
		rec, err := ds.Record(memory.DefaultAllocator, rows)
		if err != nil {
			return nil, err
		}
		defer rec.Release()
		b, err := encodeRecordIPC(ds, rec)
		if err != nil {
			return nil, err
		}
		return append(dst, b...), nil
	}
	b, err := ds.Batch(rows)
	if err != nil {
		return nil, err
	}
	fb, _ := metaBuilders.Get().(*flatbuffers.Builder)
	if fb == nil {
		fb = flatbuffers.NewBuilder(2048)
	}
	defer metaBuilders.Put(fb)
	meta := batchMessage(fb, b)
	// The message: continuation token, its length, the flatbuffer padded to
	// 8 bytes, the body (as ipc.Writer frames it).
	metaLen := (len(meta) + 8 + 7) &^ 7
	size := len(prefix) + metaLen + int(b.BodyLen) + len(ipcEOS)
	start := len(dst)
	// The padding and the bodies' bitmaps are written as zeros left in
	// place: spare capacity is cleared, new memory is zeroed.
	if cap(dst)-start >= size {
		dst = dst[:start+size]
		clear(dst[start:])
	} else {
		grown := make([]byte, start+size)
		copy(grown, dst)
		dst = grown
	}
	out := dst[start:]
	n := copy(out, prefix)
	binary.LittleEndian.PutUint32(out[n:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(out[n+4:], uint32(metaLen-8))
	copy(out[n+8:], meta)
	n += metaLen
	b.WriteBody(out[n : n+int(b.BodyLen)])
	copy(out[n+int(b.BodyLen):], ipcEOS)
	return dst, nil
}

// metaBuilders keeps the flatbuffer builders of batch messages, each grown
// to a message's size.
var metaBuilders sync.Pool

// batchMessage builds the flatbuffer Message of a record batch, as arrow-go's
// IPC writer builds it (writeRecordMessage), and returns its bytes, valid
// until the builder is used again.
func batchMessage(fb *flatbuffers.Builder, b *market.Batch) []byte {
	const (
		metadataV5   = 4 // flatbuf.MetadataVersionV5
		headerRecord = 3 // flatbuf.MessageHeaderRecordBatch
	)
	fb.Reset()
	fb.StartVector(16, len(b.Nodes), 8)
	for i := len(b.Nodes) - 1; i >= 0; i-- {
		fb.Prep(8, 16)
		fb.PrependInt64(b.Nodes[i].Nulls)
		fb.PrependInt64(b.Nodes[i].Len)
	}
	nodes := fb.EndVector(len(b.Nodes))
	fb.StartVector(16, len(b.Buffers), 8)
	for i := len(b.Buffers) - 1; i >= 0; i-- {
		fb.Prep(8, 16)
		fb.PrependInt64(b.Buffers[i].Len)
		fb.PrependInt64(b.Buffers[i].Offset)
	}
	buffers := fb.EndVector(len(b.Buffers))
	fb.StartObject(5) // RecordBatch
	fb.PrependInt64Slot(0, b.Rows, 0)
	fb.PrependUOffsetTSlot(1, nodes, 0)
	fb.PrependUOffsetTSlot(2, buffers, 0)
	rec := fb.EndObject()
	fb.StartObject(5) // Message
	fb.PrependInt16Slot(0, metadataV5, 0)
	fb.PrependByteSlot(1, headerRecord, 0)
	fb.PrependUOffsetTSlot(2, rec, 0)
	fb.PrependInt64Slot(3, b.BodyLen, 0)
	fb.Finish(fb.EndObject())
	return fb.FinishedBytes()
}

// EncodeRecord writes one record batch of a dataset as an Arrow IPC stream.
// A batch of the dataset's own schema (as Dataset.Record makes it) is
// written as the schema message already encoded once (schemaPrefix), its
// batch message and the end of stream: what ipc.Writer writes, without
// encoding the schema again for every message.
func EncodeRecord(ds *market.Dataset, rec arrow.RecordBatch) ([]byte, error) {
	prefix := schemaPrefix()[ds]
	if len(prefix) == 0 || rec.Schema() != ds.ArrowSchema() {
		return encodeRecordIPC(ds, rec)
	}
	p, err := ipc.GetRecordBatchPayload(rec)
	if err != nil {
		return nil, fmt.Errorf("encode %s batch: %w", ds.Name, err)
	}
	defer p.Release()
	var buf bytes.Buffer
	buf.Grow(len(prefix) + int(recordSize(rec)) + 1024)
	buf.Write(prefix)
	if _, err := p.WritePayload(&buf); err != nil {
		return nil, fmt.Errorf("encode %s batch: %w", ds.Name, err)
	}
	buf.Write(ipcEOS)
	return buf.Bytes(), nil
}

// recordSize is the size of a batch's buffers.
func recordSize(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		for _, b := range col.Data().Buffers() {
			if b != nil {
				n += int64(b.Len()) + 8
			}
		}
	}
	return n
}

// encodeRecordIPC writes a batch through ipc.Writer.
func encodeRecordIPC(ds *market.Dataset, rec arrow.RecordBatch) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("encode %s batch: %w", ds.Name, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode %s batch: %w", ds.Name, err)
	}
	return buf.Bytes(), nil
}

// DatasetOf checks a processed message's headers and returns the dataset
// its batch holds.
func DatasetOf(m kafka.Message) (*market.Dataset, error) {
	if enc := Header(m, HeaderEncoding); enc != EncodingArrow {
		return nil, fmt.Errorf("%s: encoding %q, want %q", Origin(m), enc, EncodingArrow)
	}
	if v := Header(m, HeaderSchemaVersion); v != strconv.Itoa(market.SchemaVersion) {
		return nil, fmt.Errorf("%s: schema version %q, this reader knows %d", Origin(m), v, market.SchemaVersion)
	}
	name := Header(m, HeaderSchema)
	ds, ok := market.DatasetByName(name)
	if !ok {
		return nil, fmt.Errorf("%s: unknown dataset %q", Origin(m), name)
	}
	return ds, nil
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

// SchemaStream is the dataset's schema as an IPC stream with no batches,
// as pqarrow stores it in a Parquet file; ok is false for a dataset not
// of market.Datasets.
func SchemaStream(ds *market.Dataset) (stream []byte, ok bool) {
	prefix, ok := schemaPrefix()[ds]
	if !ok {
		return nil, false
	}
	return slices.Concat(prefix, ipcEOS), true
}

// DecodeBatches reads an IPC stream of the dataset's schema; the caller
// releases the batches. The Arrow reader trusts the sizes and offsets a
// stream declares, so a corrupt message could make it allocate without
// bound or index out of its buffers later: the schema must be byte-for-byte
// the dataset's, no buffer may be larger than the message itself, and every
// batch's buffers must hold the rows it declares. A message that fails any
// of these is an error, never a panic.
func DecodeBatches(ds *market.Dataset, value []byte) (recs []arrow.RecordBatch, err error) {
	prefix := schemaPrefix()[ds]
	if len(prefix) == 0 || !bytes.HasPrefix(value, prefix) {
		return nil, fmt.Errorf("decode arrow: the stream does not start with the %s schema", ds.Name)
	}
	if recs, ok := decodePlain(ds, value[len(prefix):]); ok {
		return recs, nil
	}
	return decodeIPC(ds, value)
}

// decodeIPC reads a stream of the dataset's schema through the IPC reader.
func decodeIPC(ds *market.Dataset, value []byte) (recs []arrow.RecordBatch, err error) {
	mem := &boundedAllocator{Allocator: memory.DefaultAllocator, limit: len(value)}
	defer func() {
		// A corrupt batch makes the Arrow arrays index out of their buffers:
		// a bad message, not a bug here.
		if r := recover(); r != nil {
			_, tooLarge := r.(errTooLarge)
			if _, runtimeErr := r.(runtime.Error); !tooLarge && !runtimeErr {
				panic(r)
			}
			release(recs)
			recs, err = nil, fmt.Errorf("decode arrow: corrupt batch: %v", r)
		}
	}()
	rd, err := ipc.NewReader(bytes.NewReader(value), ipc.WithSchema(ds.ArrowSchema()), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("decode arrow: %w", err)
	}
	defer rd.Release()
	for rd.Next() {
		rec := rd.RecordBatch()
		if err := validate(ds, rec); err != nil {
			release(recs)
			return nil, fmt.Errorf("decode arrow: %w", err)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rd.Err(); err != nil {
		release(recs)
		return nil, fmt.Errorf("read arrow: %w", err)
	}
	return recs, nil
}

// decodePlain reads the batch messages that follow a stream's schema
// message, as EncodeBatch and ipc.Writer write them (metadata V5, no
// compression, no dictionaries), with arrays over the stream's own bytes:
// the IPC reader parses the schema message into a new schema and copies
// every body before it reads it, which cost the lake writer more than the
// processor's encoding of the same batches. The batches hold what the IPC
// reader gives (TestEncodeRecordAsIPCWriter), validated. ok is false for
// any stream of another shape, or one whose messages do not parse or
// validate, which the IPC reader then reads (and refuses, saying why).
func decodePlain(ds *market.Dataset, rest []byte) (recs []arrow.RecordBatch, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			// Offsets out of the flatbuffer: for the IPC reader to refuse.
			release(recs)
			recs, ok = nil, false
		}
	}()
	schema := ds.ArrowSchema()
	for {
		if len(rest) < 8 || binary.LittleEndian.Uint32(rest) != 0xFFFFFFFF {
			break
		}
		metaLen := int(int32(binary.LittleEndian.Uint32(rest[4:])))
		if metaLen == 0 {
			if len(rest) != 8 || len(recs) == 0 {
				break
			}
			for _, rec := range recs {
				if validate(ds, rec) != nil {
					release(recs)
					return nil, false
				}
			}
			return recs, true
		}
		if metaLen < 8 || metaLen > len(rest)-8 {
			break
		}
		rec, n, ok := plainBatch(schema, ds, rest[8:8+metaLen], rest[8+metaLen:])
		if !ok {
			break
		}
		recs = append(recs, rec)
		rest = rest[8+metaLen+n:]
	}
	release(recs)
	return nil, false
}

// plainBatch reads one record batch message, meta its flatbuffer and body
// what follows it, and returns the batch and its body's length.
func plainBatch(schema *arrow.Schema, ds *market.Dataset, meta, body []byte) (arrow.RecordBatch, int, bool) {
	const (
		metadataV5   = 4
		headerRecord = 3
	)
	msg := flatbuffers.Table{Bytes: meta, Pos: flatbuffers.GetUOffsetT(meta)}
	if msg.GetInt16Slot(4, 0) != metadataV5 || msg.GetByteSlot(6, 0) != headerRecord {
		return nil, 0, false
	}
	hdr := msg.Offset(8)
	bodyLen := msg.GetInt64Slot(10, 0)
	// Custom metadata (neither writer puts any on a batch) is for the IPC
	// reader to read or refuse.
	if hdr == 0 || msg.Offset(12) != 0 || bodyLen < 0 || bodyLen > int64(len(body)) {
		return nil, 0, false
	}
	body = body[:bodyLen]
	rb := flatbuffers.Table{Bytes: meta, Pos: msg.Indirect(flatbuffers.UOffsetT(hdr) + msg.Pos)}
	rows := rb.GetInt64Slot(4, 0)
	nodesAt, bufsAt := rb.Offset(6), rb.Offset(8)
	if rows <= 0 || nodesAt == 0 || bufsAt == 0 || rb.Offset(10) != 0 || rb.Offset(12) != 0 {
		return nil, 0, false // no rows, compressed bodies, or variadic buffers
	}
	nodes := rb.Vector(flatbuffers.UOffsetT(nodesAt))
	bufs := rb.Vector(flatbuffers.UOffsetT(bufsAt))
	nNodes, nBufs := rb.VectorLen(flatbuffers.UOffsetT(nodesAt)), rb.VectorLen(flatbuffers.UOffsetT(bufsAt))
	if nNodes != len(ds.Columns) {
		return nil, 0, false
	}
	// buffer returns the body's next buffer, nil when it is empty or is
	// the validity bitmap of a column without NULLs (which the writers
	// leave empty anyway). The buffers and each column's list of them are
	// cut from one allocation each, the buffers only as many as are not
	// empty: a buffer over bytes it does not own keeps no count of its
	// references.
	if nBufs > 3*nNodes {
		return nil, 0, false
	}
	nonEmpty := 0
	for i := range nBufs {
		if rb.GetInt64(bufs+flatbuffers.UOffsetT(16*i+8)) != 0 {
			nonEmpty++
		}
	}
	held := make([]memory.Buffer, nonEmpty)
	lists := make([]*memory.Buffer, 0, nBufs)
	bi, hi := 0, 0
	buffer := func(keep bool) (*memory.Buffer, bool) {
		if bi >= nBufs {
			return nil, false
		}
		at := bufs + flatbuffers.UOffsetT(16*bi)
		bi++
		off, n := rb.GetInt64(at), rb.GetInt64(at+8)
		if off < 0 || n < 0 || off%8 != 0 || off > int64(len(body)) || n > int64(len(body))-off {
			return nil, false
		}
		if n == 0 || !keep {
			return nil, true
		}
		b := &held[hi]
		hi++
		b.Reset(body[off : off+n : off+n])
		return b, true
	}
	cols := make([]arrow.Array, len(ds.Columns))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	// Schema.Fields copies the fields: Field does not.
	for i := range schema.NumFields() {
		f := schema.Field(i)
		at := nodes + flatbuffers.UOffsetT(16*i)
		length, nulls := rb.GetInt64(at), rb.GetInt64(at+8)
		if length != rows || nulls < 0 || nulls > length {
			return nil, 0, false
		}
		nbuf := 2
		if f.Type.ID() == arrow.STRING {
			nbuf = 3
		}
		if len(lists)+nbuf > cap(lists) {
			return nil, 0, false
		}
		buffers := lists[len(lists) : len(lists)+nbuf : len(lists)+nbuf]
		lists = lists[:len(lists)+nbuf]
		for j := range buffers {
			b, ok := buffer(j > 0 || nulls > 0)
			if !ok {
				return nil, 0, false
			}
			buffers[j] = b
		}
		data := array.NewData(f.Type, int(length), buffers, nil, int(nulls), 0)
		cols[i] = array.MakeFromData(data)
		data.Release()
	}
	if bi != nBufs {
		return nil, 0, false
	}
	return array.NewRecordBatch(schema, cols, rows), int(bodyLen), true
}

func release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// validate checks that each column of a batch has the batch's length and
// buffers large enough for it, and that string offsets stay in their data.
func validate(ds *market.Dataset, rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	for i, col := range rec.Columns() {
		if col.Len() != n {
			return fmt.Errorf("dataset %s: column %d has %d rows in a batch of %d", ds.Name, i, col.Len(), n)
		}
		d := col.Data()
		bufs := d.Buffers()
		end := d.Offset() + d.Len()
		if col.NullN() > 0 && (len(bufs) == 0 || bufs[0] == nil || bufs[0].Len() < int(bitutil.BytesForBits(int64(end)))) {
			return fmt.Errorf("dataset %s: column %d: validity bitmap shorter than its %d rows", ds.Name, i, n)
		}
		switch a := col.(type) {
		case *array.String:
			if err := a.ValidateFull(); err != nil {
				return fmt.Errorf("dataset %s: column %d: %w", ds.Name, i, err)
			}
		default:
			fw, ok := col.DataType().(arrow.FixedWidthDataType)
			if !ok {
				return fmt.Errorf("dataset %s: column %d has unsupported type %s", ds.Name, i, col.DataType())
			}
			need := int(bitutil.BytesForBits(int64(end) * int64(fw.BitWidth())))
			if n > 0 && (len(bufs) < 2 || bufs[1] == nil || bufs[1].Len() < need) {
				return fmt.Errorf("dataset %s: column %d: values shorter than its %d rows", ds.Name, i, n)
			}
		}
	}
	return nil
}

// errTooLarge is the panic a boundedAllocator raises.
type errTooLarge string

// boundedAllocator refuses any one allocation larger than limit bytes (the
// Allocator interface cannot return an error, so it panics and
// DecodeBatches recovers).
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
