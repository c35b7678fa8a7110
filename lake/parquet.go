package lake

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/tickerlake/tickerlake/internal/freelist"
	"github.com/tickerlake/tickerlake/internal/workers"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// ParquetProperties are the writer's Parquet settings for a dataset: zstd,
// statistics on, dictionaries for all but the float and integer columns
// (prices, Greeks, volumes and open interest rarely repeat, and hashing
// them costs more than it saves: without, an options snapshot's fresh
// file is 1.8% smaller, 110.0 bytes a row against 112.0), contracts' last
// trade times (each contract's own, for the same reason), contract symbols
// (a snapshot names each contract once, and a day's contracts outgrow the
// dictionary page limit anyway) and IV smiles (a smile's JSON is its own:
// hashed twice and copied four times on its way into a dictionary that
// holds every row).
func ParquetProperties(ds *market.Dataset) *parquet.WriterProperties {
	return parquetProperties(ds, false)
}

// freshLevel is the zstd level of the Parquet files the writer commits:
// zstd's fastest. Compaction merges a partition's files into one at the
// default level (ParquetProperties) once it holds Compactor.MinFiles or
// more, so most fresh files are short-lived and spending CPU on their
// ratio buys little; a partition written in one file keeps it as written
// (1.1% more bytes on the options snapshot of BenchmarkWriterSnapshot,
// 110.0 a row against 108.8). At the default level zstd was about a
// quarter of the writer's CPU.
const freshLevel = 1

// parquetProperties are ParquetProperties, or with fresh those of the
// files the writer commits: pages at freshLevel, the analytics
// uncompressed.
func parquetProperties(ds *market.Dataset, fresh bool) *parquet.WriterProperties {
	level := compress.DefaultCompressionLevel
	if fresh {
		level = freshLevel
	}
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(level),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(1 << 20),
	}
	for _, c := range ds.Columns {
		if c.Type == market.Float64 || c.Type == market.Int64 || c.Name == "last_trade_ts" || c.Name == "contract_symbol" || c.Name == "smile" {
			opts = append(opts, parquet.WithDictionaryFor(c.Name, false))
		}
		if fresh && ds == market.OptionQuotes && analytics[c.Name] {
			opts = append(opts, parquet.WithCompressionFor(c.Name, compress.Codecs.Uncompressed))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

// analytics are the option quotes' columns the processor computes, to
// full precision: zstd finds nothing in them (stored as they are, the
// pages of the options snapshot of BenchmarkWriterSnapshot came out 19
// bytes larger each) and took as long to find it as a price column's
// encoding. Fresh files store them uncompressed; compaction still tries.
var analytics = map[string]bool{"iv": true, "delta": true, "gamma": true, "theta": true, "vega": true, "rho": true}

// EncodeParquet encodes recs as a Parquet object with the writer's settings.
func EncodeParquet(ds *market.Dataset, recs []arrow.RecordBatch) ([]byte, error) {
	return encodeParquet(nil, ds, recs)
}

// encodeParquet appends a Parquet file of recs to dst.
func encodeParquet(dst []byte, ds *market.Dataset, recs []arrow.RecordBatch) ([]byte, error) {
	l, err := layoutOf(ds, false)
	if err != nil {
		return nil, err
	}
	return l.encode(dst, ds, recs)
}

// encodeFreshParquet appends a Parquet file of recs to dst as the writer
// commits it (parquetProperties, fresh).
func encodeFreshParquet(dst []byte, ds *market.Dataset, recs []arrow.RecordBatch) ([]byte, error) {
	l, err := layoutOf(ds, true)
	if err != nil {
		return nil, err
	}
	return l.encode(dst, ds, recs)
}

// fileLayout is what the Parquet files of a dataset written with the
// same properties share: the properties, the Parquet schema and the
// key-value metadata, built once rather than for each file.
type fileLayout struct {
	props    *parquet.WriterProperties
	arrProps pqarrow.ArrowWriterProperties
	schema   *schema.Schema
	meta     metadata.KeyValueMetadata
}

// layouts keeps the layouts of compaction's files ([0]) and of the
// writer's fresh ones ([1]), by dataset.
var layouts [2]sync.Map

// layoutOf returns the layout of ds's fresh or compacted files.
func layoutOf(ds *market.Dataset, fresh bool) (*fileLayout, error) {
	k := 0
	if fresh {
		k = 1
	}
	if v, ok := layouts[k].Load(ds); ok {
		return v.(*fileLayout), nil
	}
	l, err := newFileLayout(ds, parquetProperties(ds, fresh))
	if err != nil {
		return nil, err
	}
	layouts[k].Store(ds, l)
	return l, nil
}

func newFileLayout(ds *market.Dataset, props *parquet.WriterProperties) (*fileLayout, error) {
	schema := ds.ArrowSchema()
	l := &fileLayout{props: props, arrProps: pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(memory.DefaultAllocator))}
	var err error
	if l.schema, err = pqarrow.ToParquet(schema, props, l.arrProps); err != nil {
		return nil, fmt.Errorf("parquet %s: %w", ds.Name, err)
	}
	l.meta = metadata.NewKeyValueMetadata()
	md := schema.Metadata()
	for i, k := range md.Keys() {
		if err := l.meta.Append(k, md.Values()[i]); err != nil {
			return nil, fmt.Errorf("parquet %s: %w", ds.Name, err)
		}
	}
	// What pqarrow stores under ARROW:schema: the schema as an IPC stream
	// with no batches, base64.
	ipcSchema, ok := stream.SchemaStream(ds)
	if !ok {
		return nil, fmt.Errorf("parquet %s: store schema: no IPC schema for dataset %s", ds.Name, ds.Name)
	}
	if err := l.meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(ipcSchema)); err != nil {
		return nil, fmt.Errorf("parquet %s: %w", ds.Name, err)
	}
	return l, nil
}

// encodeParquetWith writes record batches as pqarrow.FileWriter does with
// WriteBuffered (the Arrow schema stored, row groups cut at the same rows;
// the same bytes while no column chunk outgrows a page), except that each
// row group's columns are encoded side by side, each written whole rather
// than batch by batch (see columnJoiner): a column chunk is independent of
// the others until it is laid out in the file, and encoding and
// compressing the columns one after another was most of a commit's wall
// time.
func encodeParquetWith(dst []byte, ds *market.Dataset, recs []arrow.RecordBatch, props *parquet.WriterProperties) ([]byte, error) {
	l, err := newFileLayout(ds, props)
	if err != nil {
		return nil, err
	}
	return l.encode(dst, ds, recs)
}

// encode appends a Parquet file of recs to dst.
func (l *fileLayout) encode(dst []byte, ds *market.Dataset, recs []arrow.RecordBatch) ([]byte, error) {
	schema, props := ds.ArrowSchema(), l.props
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	buf := bytes.NewBuffer(dst)
	buf.Grow(int(rows) * 8 * len(ds.Columns) / 4)
	sink := &tellBuffer{Buffer: buf, base: buf.Len()}
	fmb := metadata.NewFileMetadataBuilder(l.schema, props, l.meta)
	sink.WriteString("PAR1")
	for k, group := range rowGroups(recs, props.MaxRowGroupLength()) {
		err := writeRowGroup(sink, fmb.AppendRowGroup(), int16(k), schema, props, &l.arrProps, group)
		for _, r := range group {
			r.Release()
		}
		if err != nil {
			return nil, fmt.Errorf("parquet %s: %w", ds.Name, err)
		}
	}
	fileMeta, err := fmb.Finish()
	if err != nil {
		return nil, fmt.Errorf("parquet %s: %w", ds.Name, err)
	}
	n, err := fileMeta.WriteTo(sink, nil)
	if err != nil {
		return nil, fmt.Errorf("parquet %s: %w", ds.Name, err)
	}
	sink.Write(binary.LittleEndian.AppendUint32(nil, uint32(n)))
	sink.WriteString("PAR1")
	return buf.Bytes(), nil
}

// tellBuffer is the file being written, after base bytes of something
// else: the offsets a Parquet file records count from its start.
type tellBuffer struct {
	*bytes.Buffer
	base int
}

func (b *tellBuffer) Tell() int64 { return int64(b.Len() - b.base) }

// rowGroups cuts batches into row groups of at most maxRows rows where
// WriteBuffered would: a batch goes whole into the current group while it
// fits, otherwise it fills the group and the rest starts new ones. The
// caller releases the slices.
func rowGroups(recs []arrow.RecordBatch, maxRows int64) [][]arrow.RecordBatch {
	if len(recs) == 0 {
		return nil
	}
	groups := [][]arrow.RecordBatch{nil}
	var rows int64 // in the last group
	for _, r := range recs {
		for off, n := int64(0), r.NumRows(); off < n; {
			if rows == maxRows {
				groups, rows = append(groups, nil), 0
			}
			size := min(n-off, maxRows-rows)
			last := len(groups) - 1
			if off == 0 && size == n {
				// A whole batch, the usual case, is kept rather than sliced:
				// a slice is a new array per column.
				r.Retain()
				groups[last] = append(groups[last], r)
			} else {
				groups[last] = append(groups[last], r.NewSlice(off, off+size))
			}
			rows, off = rows+size, off+size
		}
	}
	return groups
}

// writeRowGroup writes one row group, as file.Writer's buffered row
// groups lay it out, its columns shared out among GOMAXPROCS goroutines:
// the columns chunkFits takes encoded as columnChunks, the others (a
// compaction's dictionaries of more than a page) with arrow-go's column
// writers, each worker with its own write context. The column chunks go
// into the file in order once all are encoded.
func writeRowGroup(sink *tellBuffer, rgMeta *metadata.RowGroupMetaDataBuilder, ordinal int16, schema *arrow.Schema, props *parquet.WriterProperties, arrProps *pqarrow.ArrowWriterProperties, recs []arrow.RecordBatch) error {
	ncols := schema.NumFields()
	metas := make([]*metadata.ColumnChunkMetaDataBuilder, ncols)
	for i := range metas {
		metas[i] = rgMeta.NextColumnChunk()
	}
	writers := make([]file.ColumnChunkWriter, ncols)
	// Plain columns first: they are compressed here, dictionary columns
	// only when the row group closes, so taking them early evens out the
	// workers' last columns.
	order := make([]int, 0, ncols)
	for pass := range 2 {
		for i := range ncols {
			if (pass == 0) != props.DictionaryEnabledFor(metas[i].Descr().Path()) {
				order = append(order, i)
			}
		}
	}
	chunks := make([]*columnChunk, ncols)
	defer func() {
		// Handed back in the reverse of the order they are taken in, the
		// free list (last in, first out) gives the next row group of the
		// dataset each column's chunk back, its buffers already the size
		// of that column's pages.
		for _, i := range slices.Backward(order) {
			if c := chunks[i]; c != nil {
				columnChunks.Put(c)
			}
		}
	}()
	err := workers.Run(len(order), func(take func() (int, bool)) error {
		var ctx context.Context
		join := joiner()
		defer join.recycle()
		var levels []int16
		var parts []arrow.Array
		for n, ok := take(); ok; n, ok = take() {
			i := order[n]
			descr := metas[i].Descr()
			path := descr.Path()
			parts = parts[:0]
			for _, r := range recs {
				parts = append(parts, r.Column(i))
			}
			if chunkFits(props, descr, parts) {
				c := newColumnChunk()
				chunks[i] = c
				var codec compress.Codec
				if ct := props.CompressionFor(path); ct != compress.Codecs.Uncompressed {
					var err error
					if codec, err = compress.GetCodec(ct); err != nil {
						return fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
					}
				}
				if err := c.encode(props, descr, parts, codec); err != nil {
					return fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
				}
				continue
			}
			pager, err := file.NewPageWriter(sink, props.CompressionFor(path), props.CompressionLevelFor(path), metas[i], ordinal, int16(i), props.Allocator(), true, nil, nil)
			if err != nil {
				return fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
			}
			cw := file.NewColumnChunkWriter(metas[i], pager, props)
			writers[i] = cw
			if ctx == nil {
				ctx = pqarrow.NewArrowWriteContext(context.Background(), arrProps)
			}
			nullable := schema.Field(i).Nullable
			if dict := stringDictionary(recs, i, props.DictionaryEnabledFor(path)); dict != nil {
				var def []int16
				if nullable {
					def = slices.Repeat([]int16{1}, dict.Len())
				}
				err := pqarrow.WriteArrowToColumn(ctx, cw, dict, def, nil, nullable)
				dict.Release()
				if err != nil {
					return fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
				}
				continue
			}
			col, err := join.column(recs, i)
			if err != nil {
				return fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
			}
			// A flat column's definition levels, as pqarrow
			// derives them: none for a required column, 1 for a
			// value and 0 for a null otherwise.
			var def []int16
			if nullable {
				def = levels[:0]
				for j := 0; j < col.Len(); j++ {
					if col.IsValid(j) {
						def = append(def, 1)
					} else {
						def = append(def, 0)
					}
				}
				levels = def
			}
			err = pqarrow.WriteArrowToColumn(ctx, cw, col, def, nil, nullable)
			col.Release()
			if err != nil {
				return fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
			}
			// Compressing the last pages is the bulk of the work, and
			// closing the row group would do it column after column.
			// A dictionary column's pages must wait for its
			// dictionary, which only closing writes.
			if f, ok := cw.(interface{ FlushBufferedDataPages() error }); ok && !props.DictionaryEnabledFor(path) {
				if err := f.FlushBufferedDataPages(); err != nil {
					return fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
				}
			}
		}
		return nil
	})
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	for i := range ncols {
		if err != nil {
			if writers[i] != nil {
				writers[i].Close()
			}
			continue
		}
		if c := chunks[i]; c != nil {
			err = c.writeTo(sink, metas[i], props)
		} else {
			err = writers[i].Close()
			if err == nil && writers[i].RowsWritten() != int(rows) {
				err = fmt.Errorf("column %s: %d rows written, want %d", schema.Field(i).Name, writers[i].RowsWritten(), rows)
			}
		}
	}
	if err != nil {
		return err
	}
	rgMeta.SetNumRows(int(rows))
	return rgMeta.Finish(0, ordinal)
}

// columnJoiner joins column i of a row group's batches into one array.
// The writer hands over a batch per processed message, some fifty rows,
// and each array written to a column chunk costs microseconds before its
// first value (type dispatch, levels, statistics, page checks): written
// batch by batch, a row group's columns cost a sixth more than written
// whole. The pages hold the same values either way; only where a column
// chunk is cut into pages may differ, its page size being checked after
// each array.
//
// Fixed-width values are copied into buffers the joiner keeps from column
// to column and file to file (joiners), which the column writers copy
// from and keep no reference to; array.Concatenate, which allocates and
// clears new buffers each time, costs as much as the calls it saves. Other
// types (strings, booleans) go through it still.
type columnJoiner struct {
	values, valid []byte
}

// joiners keeps a joiner per column worker between files.
var joiners = freelist.List[*columnJoiner]{Max: 8}

// maxJoined is the largest buffer a joiner keeps: a compaction's row
// groups are rare and would hold their memory. A writer's row group's
// column is rows times 8 bytes, about 100 kB for a snapshot of the
// benchmark's 40 chains, so the joiners hold at most a few dozen megabytes.
const maxJoined = 4 << 20

func joiner() *columnJoiner {
	if j, ok := joiners.Get(); ok {
		return j
	}
	return &columnJoiner{}
}

// recycle offers j for reuse; nothing may use it afterwards.
func (j *columnJoiner) recycle() {
	if cap(j.values) <= maxJoined {
		joiners.Put(j)
	}
}

// column returns column i of recs as one array, which the caller releases
// before the next call.
func (j *columnJoiner) column(recs []arrow.RecordBatch, i int) (arrow.Array, error) {
	if len(recs) == 1 {
		col := recs[0].Column(i)
		col.Retain()
		return col, nil
	}
	first := recs[0].Column(i)
	// A dictionary type is fixed-width too (its indices), but joining its
	// indices would lose the dictionaries; no dataset has one today.
	typ, ok := first.DataType().(arrow.FixedWidthDataType)
	if _, dict := first.DataType().(*arrow.DictionaryType); dict || !ok || typ.BitWidth()%8 != 0 {
		parts := make([]arrow.Array, len(recs))
		for k, r := range recs {
			parts[k] = r.Column(i)
		}
		return array.Concatenate(parts, memory.DefaultAllocator)
	}
	width := typ.BitWidth() / 8
	var rows, nulls int
	for _, r := range recs {
		rows += r.Column(i).Len()
		nulls += r.Column(i).NullN()
	}
	// A larger buffer replaces a kept one rather than growing it:
	// slices.Grow would copy its whole old capacity for nothing.
	j.values = reuse(j.values, rows*width)[:0]
	var valid *memory.Buffer
	if nulls > 0 {
		j.valid = reuse(j.valid, int(bitutil.BytesForBits(int64(rows))))
		valid = memory.NewBufferBytes(j.valid)
	}
	at := 0
	for _, r := range recs {
		d := r.Column(i).Data()
		off, n := d.Offset(), d.Len()
		j.values = append(j.values, d.Buffers()[1].Bytes()[off*width:(off+n)*width]...)
		if nulls > 0 {
			if bits := d.Buffers()[0]; d.NullN() > 0 && bits != nil {
				bitutil.CopyBitmap(bits.Bytes(), off, n, j.valid, at)
			} else {
				bitutil.SetBitsTo(j.valid, int64(at), int64(n), true)
			}
		}
		at += n
	}
	data := array.NewData(first.DataType(), rows, []*memory.Buffer{valid, memory.NewBufferBytes(j.values)}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// reuse returns b resliced to n bytes, or a new slice if b is too small;
// its bytes are not cleared.
func reuse(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// maxDictionary is the most distinct values stringDictionary collects.
const maxDictionary = 1024

// stringDictionary re-encodes column i of a row group's batches as one
// dictionary array when it is a dictionary-encoded string column without
// nulls holding few distinct values (symbols, option types, currencies);
// nil otherwise. Given plain strings, the dictionary encoder hashes every
// value through an interface conversion, which made these columns the
// dearest to write; given a dictionary, it maps whole indices. Runs of
// one value and a short list of values are checked before a map.
func stringDictionary(recs []arrow.RecordBatch, i int, enabled bool) arrow.Array {
	if !enabled || len(recs) == 0 || recs[0].Column(i).DataType().ID() != arrow.STRING {
		return nil
	}
	var rows int
	for _, r := range recs {
		if r.Column(i).NullN() > 0 {
			return nil
		}
		rows += r.Column(i).Len()
	}
	idx := make([]int32, 0, rows)
	var values []string
	var lookup map[string]int32
	last, lastValue := int32(-1), ""
	for _, r := range recs {
		col := r.Column(i).(*array.String)
		for j := 0; j < col.Len(); j++ {
			v := col.Value(j)
			if last >= 0 && v == lastValue {
				idx = append(idx, last)
				continue
			}
			k, ok := int32(-1), false
			if lookup != nil {
				k, ok = lookup[v]
			} else if n := slices.Index(values, v); n >= 0 {
				k, ok = int32(n), true
			}
			if !ok {
				if len(values) == maxDictionary {
					return nil
				}
				k = int32(len(values))
				values = append(values, strings.Clone(v))
				if lookup != nil {
					lookup[values[k]] = k
				} else if len(values) > 8 {
					lookup = make(map[string]int32, 2*len(values))
					for n, s := range values {
						lookup[s] = int32(n)
					}
				}
			}
			idx = append(idx, k)
			last, lastValue = k, v
		}
	}
	mem := memory.DefaultAllocator
	vb := array.NewStringBuilder(mem)
	defer vb.Release()
	vb.AppendValues(values, nil)
	dict := vb.NewArray()
	defer dict.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.AppendValues(idx, nil)
	indices := ib.NewArray()
	defer indices.Release()
	return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, indices, dict)
}
