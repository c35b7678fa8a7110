package lake

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/tickerlake/tickerlake/internal/freelist"
)

// columnChunk is a column chunk encoded straight from a row group's
// batches, PLAIN data pages (version 1) or a dictionary page and a page of
// indices: the bytes arrow-go's column writer writes for the same values
// (TestEncodeParquetMatchesFileWriter, TestEncodeParquetReadsBack),
// without its detours. arrow-go encodes the values into a growing buffer,
// copies them behind the levels, compresses, copies the page into the
// column's buffer and that into the file, each step with buffers of its
// own per column chunk: with a fresh file's column chunks of a few
// thousand values, that and the setup of encoders, level writers and page
// writers per column chunk cost more than compressing the pages.
type columnChunk struct {
	page       []byte // the pages, headers and bodies, as the file holds them
	data       []byte // a page's uncompressed body: levels, then values
	comp       []byte // its compressed body
	lvls       []int16
	strs       []parquet.ByteArray                            // a string part's values, for statistics
	statistics map[*schema.Column][2]metadata.TypedStatistics // a page's and the chunk's
	rle        rleEncoder
	stats      metadata.EncodedStatistics

	values       int64 // levels in the chunk: rows
	pages        int32 // data pages
	uncompressed int   // the chunk's bytes before compression, headers included

	dict       bool // a dictionary page first, then the data page
	dictPage   int  // the dictionary page's bytes, header included
	dictionary chunkDictionary

	codec    compress.Codec // nil for none
	level    int
	maxStats int
	signed   bool

	// The page being built.
	vals       []byte // values
	rleBuf     []byte // definition levels
	pageLevels int
	pageNulls  int64
	nbits      int     // a boolean page's values
	fmin, fmax float64 // a float page's least and greatest values
}

// chunkFits reports whether a column chunk of parts can be written as a
// columnChunk: a flat column of a type it encodes, with statistics, at
// least one row, and, with a dictionary, values that fit one page.
func chunkFits(props *parquet.WriterProperties, descr *schema.Column, parts []arrow.Array) bool {
	path := descr.Path()
	// arrow-go writes booleans without a dictionary whatever props say.
	dict := props.DictionaryEnabledFor(path) && descr.PhysicalType() != parquet.Types.Boolean
	if dict && (props.DictionaryCostFallbackEnabledFor(path) || descr.PhysicalType() == parquet.Types.Double) {
		return false
	}
	if !props.StatisticsEnabledFor(path) || props.EncodingFor(path) != parquet.Encodings.Plain ||
		props.DataPageVersion() != parquet.DataPageV1 || props.PageIndexEnabledFor(path) || props.BloomFilterEnabledFor(path) ||
		props.FileEncryptionProperties() != nil || descr.MaxRepetitionLevel() != 0 || descr.MaxDefinitionLevel() > 1 ||
		descr.SortOrder() == schema.SortUNKNOWN || len(parts) == 0 {
		return false
	}
	var rows, nulls, size int64
	for _, p := range parts {
		rows += int64(p.Len())
		nulls += int64(p.NullN())
		switch a := p.(type) {
		case *array.Float64, *array.Int64, *array.Timestamp:
			size += 8 * int64(a.Len())
		case *array.Date32:
			size += 4 * int64(a.Len())
		case *array.Boolean:
			size += int64(a.Len())
		case *array.String:
			offs := a.ValueOffsets()
			size += 4*int64(a.Len()) + int64(offs[len(offs)-1]-offs[0])
		default:
			return false
		}
	}
	// Plain pages are cut where arrow-go cuts them. A dictionary's values
	// are at most the column's: under both limits, arrow-go neither cuts
	// a page nor falls back to plain values. An empty dictionary is left
	// to arrow-go, and so are booleans of more than a page.
	onePage := dict || descr.PhysicalType() == parquet.Types.Boolean
	if rows == 0 || onePage && size >= props.DataPageSize() || dict && (size >= props.DictionaryPageSizeLimit() || nulls == rows) {
		return false
	}
	switch t := parts[0].DataType().(type) {
	case *arrow.TimestampType:
		// pqarrow stores microseconds as they are; other units it converts.
		return t.Unit == arrow.Microsecond && descr.PhysicalType() == parquet.Types.Int64
	case *arrow.Float64Type:
		return descr.PhysicalType() == parquet.Types.Double
	case *arrow.Int64Type:
		return descr.PhysicalType() == parquet.Types.Int64
	case *arrow.Date32Type:
		return descr.PhysicalType() == parquet.Types.Int32
	case *arrow.BooleanType:
		return descr.PhysicalType() == parquet.Types.Boolean
	case *arrow.StringType:
		return descr.PhysicalType() == parquet.Types.ByteArray
	}
	return false
}

// encode builds the chunk's pages from parts, the column's arrays in row
// order, compressed with codec (nil for none).
func (c *columnChunk) encode(props *parquet.WriterProperties, descr *schema.Column, parts []arrow.Array, codec compress.Codec) error {
	path := descr.Path()
	c.dict = props.DictionaryEnabledFor(path) && descr.PhysicalType() != parquet.Types.Boolean
	c.codec, c.level = codec, props.CompressionLevelFor(path)
	c.maxStats, c.signed = int(props.MaxStatsSizeFor(path)), descr.SortOrder() == schema.SortSIGNED
	c.dictionary.reset()
	c.dictPage, c.pages, c.uncompressed = 0, 0, 0
	c.page = c.page[:0]
	c.values = 0
	for _, p := range parts {
		c.values += int64(p.Len())
	}
	st, ok := c.statistics[descr]
	if !ok {
		// Kept per column (the layouts keep the columns): a new one
		// builds a value encoder of its own.
		st = [2]metadata.TypedStatistics{metadata.NewStatistics(descr, memory.DefaultAllocator), metadata.NewStatistics(descr, memory.DefaultAllocator)}
		if c.statistics == nil {
			c.statistics = map[*schema.Column][2]metadata.TypedStatistics{}
		}
		c.statistics[descr] = st
	}
	// As new: Reset leaves the null count unset, which merging keeps.
	for _, s := range st {
		s.Reset()
		s.IncNulls(0)
	}
	if c.dict {
		return c.encodeDict(props, descr, parts, st[0])
	}
	return c.encodePlain(props.DataPageSize(), props.WriteBatchSize(), descr.MaxDefinitionLevel() > 0, parts, st[0], st[1])
}

// encodePlain encodes parts as PLAIN data pages, cut where arrow-go's
// column writer cuts them: after the first run of batchSize levels that
// takes a page's values to pageSize bytes.
func (c *columnChunk) encodePlain(pageSize, batchSize int64, levels bool, parts []arrow.Array, page, chunk metadata.TypedStatistics) error {
	c.startPage(levels)
	// The chunks are shared by all columns, so a chunk's buffers were sized
	// by whichever column it held last: taking the room a page needs at
	// once allocates it once rather than doubling it a value at a time.
	c.vals = slices.Grow(c.vals, plainPageBound(parts, c.values, pageSize, batchSize))
	pi, j := 0, 0 // the next level: parts[pi], value j
	for left := c.values; left > 0; {
		batch := min(left, batchSize)
		left -= batch
		c.lvls = c.lvls[:0]
		for k := int(batch); k > 0; {
			for parts[pi].Len() == j {
				pi, j = pi+1, 0
			}
			n := min(k, parts[pi].Len()-j)
			if err := c.appendPlain(parts[pi], j, n, levels, page); err != nil {
				return err
			}
			j, k = j+n, k-n
		}
		if levels {
			c.rle.putLevels(c.lvls)
		}
		if int64(len(c.vals)) >= pageSize {
			if err := c.flushPage(levels, page, chunk); err != nil {
				return err
			}
			c.startPage(levels)
		}
	}
	if c.pageLevels > 0 {
		if err := c.flushPage(levels, page, chunk); err != nil {
			return err
		}
	}
	var err error
	if c.stats, err = chunk.Encode(); err != nil {
		return err
	}
	c.stats.ApplyStatSizeLimits(c.maxStats)
	c.stats.Signed = c.signed
	return nil
}

// plainPageBound is about the most value bytes a PLAIN page of parts
// (values levels in all) holds: all of them, or a page's size and a
// batch's share more (encodePlain cuts a page after the batch that takes
// it to pageSize bytes).
func plainPageBound(parts []arrow.Array, values, pageSize, batchSize int64) int {
	var size int64
	for _, p := range parts {
		switch a := p.(type) {
		case *array.Boolean:
			size += (int64(a.Len()) + 7) / 8
		case *array.String:
			offs := a.ValueOffsets()
			size += 4*int64(a.Len()) + int64(offs[len(offs)-1]-offs[0])
		case *array.Date32:
			size += 4 * int64(a.Len())
		default:
			size += 8 * int64(a.Len())
		}
	}
	if values <= 0 || size <= pageSize {
		return int(size)
	}
	return int(min(size, pageSize+size/values*batchSize+8))
}

func (c *columnChunk) startPage(levels bool) {
	c.vals = c.vals[:0]
	c.pageLevels, c.nbits, c.pageNulls = 0, 0, 0
	c.fmin, c.fmax = math.Inf(1), math.Inf(-1)
	if levels {
		c.rle.reset(c.rleBuf[:0], 1)
	}
}

// appendPlain adds n values of p from its value j to the page: their
// levels to c.lvls, the present ones to c.vals and to the page's
// statistics st (a float column's and a boolean's to c's fields, taken in
// when the page is cut).
func (c *columnChunk) appendPlain(p arrow.Array, j, n int, levels bool, st metadata.TypedStatistics) error {
	d := p.Data()
	off := d.Offset() + j
	valid := validBits(p)
	nulls := int64(0)
	if valid != nil {
		nulls = int64(n - bitutil.CountSetBits(valid, off, n))
	}
	if nulls == 0 {
		valid = nil
	}
	c.pageLevels += n
	c.pageNulls += nulls
	if levels {
		for i := range n {
			l := int16(1)
			if valid != nil && !bitutil.BitIsSet(valid, off+i) {
				l = 0
			}
			c.lvls = append(c.lvls, l)
		}
	}
	switch a := p.(type) {
	case *array.Float64:
		v := a.Float64Values()[j : j+n]
		c.vals = appendFixed(c.vals, v, valid, off)
		c.fmin, c.fmax = floatMinMax(v, valid, off, c.fmin, c.fmax)
	case *array.Int64:
		v := a.Int64Values()[j : j+n]
		c.vals = appendFixed(c.vals, v, valid, off)
		updateStats(st.(*metadata.Int64Statistics), v, valid, off, nulls)
	case *array.Timestamp:
		ts := a.TimestampValues()[j : j+n]
		v := unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(ts))), len(ts))
		c.vals = appendFixed(c.vals, v, valid, off)
		updateStats(st.(*metadata.Int64Statistics), v, valid, off, nulls)
	case *array.Date32:
		ds := a.Date32Values()[j : j+n]
		v := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(ds))), len(ds))
		c.vals = appendFixed(c.vals, v, valid, off)
		updateStats(st.(*metadata.Int32Statistics), v, valid, off, nulls)
	case *array.Boolean:
		bits := d.Buffers()[1].Bytes()
		for i := range n {
			if valid != nil && !bitutil.BitIsSet(valid, off+i) {
				continue
			}
			if c.nbits%8 == 0 {
				c.vals = append(c.vals, 0)
			}
			if bitutil.BitIsSet(bits, off+i) {
				c.vals[c.nbits/8] |= 1 << (c.nbits % 8)
			}
			c.nbits++
		}
	case *array.String:
		offsets := a.ValueOffsets()
		data := a.ValueBytes()
		base := offsets[0]
		c.strs = c.strs[:0]
		for i := j; i < j+n; i++ {
			if valid != nil && !bitutil.BitIsSet(valid, d.Offset()+i) {
				continue
			}
			s, e := offsets[i]-base, offsets[i+1]-base
			c.vals = binary.LittleEndian.AppendUint32(c.vals, uint32(e-s))
			c.vals = append(c.vals, data[s:e]...)
			c.strs = append(c.strs, byteArray(data[s:e]))
		}
		// Not UpdateFromArrow, which leaves out empty strings.
		st.(*metadata.ByteArrayStatistics).Update(c.strs, nulls)
	default:
		return fmt.Errorf("no plain encoding for %s", p.DataType())
	}
	return nil
}

// flushPage appends the page built since startPage to c.page, and merges
// its statistics into the chunk's.
func (c *columnChunk) flushPage(levels bool, page, chunk metadata.TypedStatistics) error {
	switch st := page.(type) {
	case *metadata.Float64Statistics:
		st.Update(nil, c.pageNulls)
		st.SetMinMax(c.fmin, c.fmax) // nothing when all are NaN or null
	case *metadata.BooleanStatistics:
		st.UpdateFromBitmap(c.vals, 0, int64(c.nbits), c.pageNulls)
	}
	// Without levels the page's body is its values as they are.
	body := c.vals
	if levels {
		c.rleBuf = c.rle.flush()
		c.data = slices.Grow(c.data[:0], 4+len(c.rleBuf)+len(c.vals))
		c.data = binary.LittleEndian.AppendUint32(c.data, uint32(len(c.rleBuf)))
		c.data = append(c.data, c.rleBuf...)
		c.data = append(c.data, c.vals...)
		body = c.data
	}
	stats, err := page.Encode()
	if err != nil {
		return err
	}
	stats.ApplyStatSizeLimits(c.maxStats)
	stats.Signed = c.signed
	c.appendPage(body, int32(c.pageLevels), parquet.Encodings.Plain, &stats)
	chunk.Merge(page)
	page.Reset()
	return nil
}

// appendPage appends data, compressed, as a data page of values levels.
func (c *columnChunk) appendPage(data []byte, values int32, encoding parquet.Encoding, stats *metadata.EncodedStatistics) {
	body := data
	if c.codec != nil {
		c.comp = c.codec.EncodeLevel(c.comp[:0], data, c.level)
		body = c.comp
	}
	start := len(c.page)
	c.page = appendDataPageHeader(c.page, int32(len(data)), int32(len(body)), values, encoding, stats)
	c.uncompressed += len(c.page) - start + len(data)
	c.page = append(c.page, body...)
	c.pages++
}

// encodeDict encodes parts as a dictionary page and one data page of
// indices (chunkFits saw they fit).
func (c *columnChunk) encodeDict(props *parquet.WriterProperties, descr *schema.Column, parts []arrow.Array, st metadata.TypedStatistics) error {
	c.data = c.data[:0]
	levels := descr.MaxDefinitionLevel() > 0
	if levels {
		c.data = append(c.data, 0, 0, 0, 0) // the levels' length
		c.encodeLevels(parts, props.WriteBatchSize())
		binary.LittleEndian.PutUint32(c.data, uint32(len(c.data)-4))
	}
	for _, p := range parts {
		d := p.Data()
		if err := c.dictionary.add(p, validBits(p), d.Offset(), d.Len(), st); err != nil {
			return err
		}
	}
	if b, ok := st.(*metadata.ByteArrayStatistics); ok {
		c.dictionary.stringStats(b)
	}
	var err error
	if c.stats, err = st.Encode(); err != nil {
		return err
	}
	c.stats.ApplyStatSizeLimits(c.maxStats)
	c.stats.Signed = c.signed
	// The dictionary page, then the indices' bit width and runs.
	dict := c.dictionary.plain()
	body := dict
	if c.codec != nil {
		c.comp = c.codec.EncodeLevel(c.comp[:0], dict, c.level)
		body = c.comp
	}
	c.page = appendDictPageHeader(c.page, int32(len(dict)), int32(len(body)), int32(c.dictionary.n), props.DictionaryPageEncoding())
	c.uncompressed = len(c.page) + len(dict)
	c.page = append(c.page, body...)
	c.dictPage = len(c.page)
	width := c.dictionary.width()
	c.data = append(c.data, byte(width))
	c.rle.reset(c.data, width)
	for _, k := range c.dictionary.indices {
		c.rle.put(uint64(k))
	}
	c.data = c.rle.flush()
	c.appendPage(c.data, int32(c.values), props.DictionaryIndexEncoding(), &c.stats)
	return nil
}

// encodeLevels appends the RLE definition levels of parts to c.data,
// passed to the encoder in runs of batchSize as arrow-go's column writer
// passes them.
func (c *columnChunk) encodeLevels(parts []arrow.Array, batchSize int64) {
	c.rle.reset(c.data, 1)
	lvls := c.lvls[:0]
	for _, p := range parts {
		d, valid := p.Data(), validBits(p)
		for i := range d.Len() {
			l := int16(1)
			if valid != nil && !bitutil.BitIsSet(valid, d.Offset()+i) {
				l = 0
			}
			lvls = append(lvls, l)
			if int64(len(lvls)) == batchSize {
				c.rle.putLevels(lvls)
				lvls = lvls[:0]
			}
		}
	}
	c.rle.putLevels(lvls)
	c.lvls = lvls
	c.data = c.rle.flush()
}

// validBits is p's validity bitmap, nil when it has no nulls.
func validBits(p arrow.Array) []byte {
	if p.NullN() == 0 || p.Data().Buffers()[0] == nil {
		return nil
	}
	return p.Data().Buffers()[0].Bytes()
}

// appendFixed appends the values of vals[off:off+n] that valid (nil for
// all) marks present, little-endian, as PLAIN stores them.
func appendFixed[T int32 | int64 | float64](dst []byte, vals []T, valid []byte, off int) []byte {
	if valid == nil {
		return append(dst, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vals))), len(vals)*int(unsafe.Sizeof(vals[0])))...)
	}
	for i, v := range vals {
		if bitutil.BitIsSet(valid, off+i) {
			dst = append(dst, unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v))...)
		}
	}
	return dst
}

// typedStats are arrow-go's statistics of a fixed-width physical type.
type typedStats[T any] interface {
	Update(values []T, numNull int64)
	UpdateSpaced(values []T, validBits []byte, validBitsOffset, numNull int64)
}

func updateStats[T any](st typedStats[T], vals []T, valid []byte, off int, nulls int64) {
	if valid == nil {
		st.Update(vals, 0)
		return
	}
	st.UpdateSpaced(vals, valid, int64(off), nulls)
}

// rleEncoder is arrow-go's RLE/bit-packing hybrid encoder of levels
// (parquet/internal/utils.RleEncoder, which is internal), writing into a
// byte slice: the same runs for the same calls. Literal values always come
// in groups of eight, whole bytes.
type rleEncoder struct {
	out       []byte
	width     int
	buf       [8]uint64
	nbuf      int
	cur       uint64
	rep, lit  int32
	indicator int // where the pending literal run's header goes; -1 for none
}

func (r *rleEncoder) reset(out []byte, width int) {
	*r = rleEncoder{out: out, width: width, indicator: -1}
}

// flush ends the last run and returns the output.
func (r *rleEncoder) flush() []byte {
	if r.lit > 0 || r.rep > 0 || r.nbuf > 0 {
		allRep := r.lit == 0 && (r.rep == int32(r.nbuf) || r.nbuf == 0)
		if r.rep > 0 && allRep {
			r.flushRepeated()
		} else {
			for r.nbuf != 0 && r.nbuf < 8 {
				r.buf[r.nbuf] = 0
				r.nbuf++
			}
			r.lit += int32(r.nbuf)
			r.flushLiteral(true)
			r.rep = 0
		}
	}
	return r.out
}

func (r *rleEncoder) flushBuffered(done bool) {
	if r.rep >= 8 {
		r.nbuf = 0
		if r.lit != 0 {
			r.flushLiteral(true)
		}
		return
	}
	r.lit += int32(r.nbuf)
	if r.lit/8+1 >= 1<<6 {
		r.flushLiteral(true)
	} else {
		r.flushLiteral(done)
	}
	r.rep = 0
}

func (r *rleEncoder) flushLiteral(updateIndicator bool) {
	if r.indicator == -1 {
		r.indicator = len(r.out)
		r.out = append(r.out, 0)
	}
	if r.nbuf > 0 {
		// eight values of width bits: width whole bytes
		var acc uint64
		nacc := 0
		for _, v := range r.buf[:r.nbuf] {
			acc |= v << nacc
			nacc += r.width
			for nacc >= 8 {
				r.out = append(r.out, byte(acc))
				acc >>= 8
				nacc -= 8
			}
		}
	}
	r.nbuf = 0
	if updateIndicator {
		r.out[r.indicator] = byte((r.lit/8)<<1 | 1)
		r.indicator = -1
		r.lit = 0
	}
}

func (r *rleEncoder) flushRepeated() {
	r.out = binary.AppendUvarint(r.out, uint64(r.rep)<<1)
	v := r.cur
	for range (r.width + 7) / 8 {
		r.out = append(r.out, byte(v))
		v >>= 8
	}
	r.rep = 0
	r.nbuf = 0
}

func (r *rleEncoder) put(v uint64) {
	if r.cur == v {
		r.rep++
		if r.rep > 8 {
			return
		}
	} else {
		if r.rep >= 8 {
			r.flushRepeated()
		}
		r.rep = 1
		r.cur = v
	}
	r.buf[r.nbuf] = v
	r.nbuf++
	if r.nbuf == 8 {
		r.flushBuffered(false)
	}
}

// putLevels is RleEncoder.PutBatchLevels.
func (r *rleEncoder) putLevels(values []int16) {
	encoded := 0
	for encoded < len(values) {
		value := values[encoded]
		if r.rep >= 8 && r.cur == uint64(value) {
			end := encoded + 1
			for end < len(values) && values[end] == value {
				end++
			}
			n := min(end-encoded, int(math.MaxInt32-r.rep))
			r.rep += int32(n)
			encoded += n
			if r.rep == math.MaxInt32 && encoded < len(values) && values[encoded] == value {
				r.flushRepeated()
			}
			continue
		}
		if r.rep == 0 && r.nbuf == 0 && len(values)-encoded >= 8 && values[encoded+7] == value {
			end := encoded + 1
			for end < len(values) && values[end] == value {
				end++
			}
			if end-encoded >= 8 {
				r.cur = uint64(value)
				if r.lit != 0 {
					r.rep = 8
					r.flushLiteral(true)
					encoded += 8
				}
				n := min(end-encoded, int(math.MaxInt32-r.rep))
				r.rep += int32(n)
				encoded += n
				continue
			}
		}
		end := min(len(values), encoded+8-r.nbuf)
		for ; encoded < end; encoded++ {
			r.put(uint64(values[encoded]))
		}
	}
}

// Thrift compact protocol, for page headers: field types and writers.
const (
	thriftFalse  = 2
	thriftI32    = 5
	thriftI64    = 6
	thriftBinary = 8
	thriftStruct = 12
)

// thriftWriter appends a struct's fields in the compact protocol.
type thriftWriter struct {
	out  []byte
	last []int16 // the last field id written, per open struct
}

func (w *thriftWriter) field(id int16, typ byte) {
	last := &w.last[len(w.last)-1]
	if d := id - *last; d > 0 && d <= 15 {
		w.out = append(w.out, byte(d)<<4|typ)
	} else {
		w.out = append(w.out, typ)
		w.out = binary.AppendUvarint(w.out, uint64((int64(id)<<1)^(int64(id)>>63)))
	}
	*last = id
}

func (w *thriftWriter) i32(id int16, v int32) {
	w.field(id, thriftI32)
	w.out = binary.AppendUvarint(w.out, uint64(uint32((v<<1)^(v>>31))))
}

func (w *thriftWriter) i64(id int16, v int64) {
	w.field(id, thriftI64)
	w.out = binary.AppendUvarint(w.out, uint64((v<<1)^(v>>63)))
}

func (w *thriftWriter) binary(id int16, v []byte) {
	w.field(id, thriftBinary)
	w.out = binary.AppendUvarint(w.out, uint64(len(v)))
	w.out = append(w.out, v...)
}

func (w *thriftWriter) begin(id int16) {
	if id != 0 {
		w.field(id, thriftStruct)
	}
	w.last = append(w.last, 0)
}

func (w *thriftWriter) end() {
	w.out = append(w.out, 0)
	w.last = w.last[:len(w.last)-1]
}

// pageHeader starts a PageHeader of page type typ and the page's sizes,
// with room for depth nested structs.
func pageHeader(dst []byte, typ, uncompressed, compressed int32, depth int) thriftWriter {
	w := thriftWriter{out: dst, last: make([]int16, 0, depth)}
	w.begin(0)
	w.i32(1, typ)
	w.i32(2, uncompressed)
	w.i32(3, compressed)
	return w
}

// appendDataPageHeader appends the PageHeader of a version 1 data page
// with RLE levels, as arrow-go serialises it.
func appendDataPageHeader(dst []byte, uncompressed, compressed, values int32, encoding parquet.Encoding, stats *metadata.EncodedStatistics) []byte {
	w := pageHeader(dst, 0, uncompressed, compressed, 3) // DATA_PAGE
	w.begin(5)
	w.i32(1, values)
	w.i32(2, int32(encoding))
	w.i32(3, int32(parquet.Encodings.RLE))
	w.i32(4, int32(parquet.Encodings.RLE))
	w.begin(5)
	if stats.HasMax && stats.Signed && stats.Max != nil {
		w.binary(1, stats.Max)
	}
	if stats.HasMin && stats.Signed && stats.Min != nil {
		w.binary(2, stats.Min)
	}
	if stats.HasNullCount {
		w.i64(3, stats.NullCount)
	}
	if stats.HasDistinctCount {
		w.i64(4, stats.DistinctCount)
	}
	if stats.HasMax && stats.Max != nil {
		w.binary(5, stats.Max)
	}
	if stats.HasMin && stats.Min != nil {
		w.binary(6, stats.Min)
	}
	w.end()
	w.end()
	w.end()
	return w.out
}

// columnChunks keeps columnChunks, and their buffers, between column chunks.
var columnChunks = freelist.List[*columnChunk]{Max: 64}

func newColumnChunk() *columnChunk {
	if c, ok := columnChunks.Get(); ok {
		return c
	}
	return &columnChunk{}
}

// writeTo appends the column chunk to the file: its page, then its
// column metadata (as arrow-go's buffered page writer does).
func (c *columnChunk) writeTo(sink *tellBuffer, meta *metadata.ColumnChunkMetaDataBuilder, props *parquet.WriterProperties) error {
	pos := sink.Tell()
	sink.Write(c.page)
	if c.stats.IsSet() {
		meta.SetStats(c.stats)
	}
	info := metadata.ChunkMetaInfo{
		NumValues:        c.values,
		IndexPageOffset:  -1,
		DataPageOffset:   pos + int64(c.dictPage),
		CompressedSize:   int64(len(c.page)),
		UncompressedSize: int64(c.uncompressed),
	}
	stats := metadata.EncodingStats{
		DictEncodingStats: map[parquet.Encoding]int32{},
		DataEncodingStats: map[parquet.Encoding]int32{parquet.Encodings.Plain: c.pages},
	}
	if c.dict {
		info.DictPageOffset = pos
		stats.DictEncodingStats = map[parquet.Encoding]int32{props.DictionaryPageEncoding(): 1}
		stats.DataEncodingStats = map[parquet.Encoding]int32{props.DictionaryIndexEncoding(): 1}
	}
	err := meta.Finish(info, c.dict, false, stats)
	if err != nil {
		return err
	}
	// arrow-go serialises the column chunk's metadata after its pages
	// through a 4 KiB buffered writer it never flushes: a file holds none
	// of it unless it outgrows the buffer (readers take the footer's
	// copy), so it is serialised only when it would.
	if c.metaBound(meta.Descr()) <= 4096 {
		return nil
	}
	_, err = meta.WriteTo(sink)
	return err
}

// metaBound is the most bytes the thrift ColumnChunk of c can take.
func (c *columnChunk) metaBound(descr *schema.Column) int {
	n := 256 + 2*(len(c.stats.Min)+len(c.stats.Max))
	for _, p := range descr.ColumnPath() {
		n += 5 + len(p)
	}
	return n
}

// appendDictPageHeader appends the PageHeader of a dictionary page, as
// arrow-go serialises it.
func appendDictPageHeader(dst []byte, uncompressed, compressed, values int32, encoding parquet.Encoding) []byte {
	w := pageHeader(dst, 2, uncompressed, compressed, 2) // DICTIONARY_PAGE
	w.begin(7)
	w.i32(1, values)
	w.i32(2, int32(encoding))
	w.field(3, thriftFalse) // is_sorted
	w.end()
	w.end()
	return w.out
}

// chunkDictionary is a dictionary column chunk's values, each once in
// the order of first appearance (as arrow-go's dictionary encoder keeps
// them), and the index of every present value.
type chunkDictionary struct {
	n        int      // values
	fixed    []byte   // PLAIN values of a fixed-width column
	strs     []string // a string column's values
	indices  []int32
	strNulls int64 // nulls in a string column
	ints     map[int64]int32
	strIdx   map[string]int32
	buf      []byte
}

func (d *chunkDictionary) reset() {
	d.n, d.strNulls = 0, 0
	d.fixed, d.strs, d.indices = d.fixed[:0], d.strs[:0], d.indices[:0]
	clear(d.ints)
	clear(d.strIdx)
}

// stringStats updates st with a string column's values.
func (d *chunkDictionary) stringStats(st *metadata.ByteArrayStatistics) {
	vals := make([]parquet.ByteArray, len(d.strs))
	for i, v := range d.strs {
		vals[i] = byteArray(unsafe.Slice(unsafe.StringData(v), len(v)))
	}
	st.Update(vals, d.strNulls)
}

// width is the bit width of the indices, as arrow-go's encoder has it.
func (d *chunkDictionary) width() int {
	if d.n <= 1 {
		return d.n
	}
	return bits.Len32(uint32(d.n - 1))
}

// plain returns the dictionary page's body.
func (d *chunkDictionary) plain() []byte {
	if len(d.strs) == 0 {
		return d.fixed
	}
	d.buf = d.buf[:0]
	for _, v := range d.strs {
		d.buf = binary.LittleEndian.AppendUint32(d.buf, uint32(len(v)))
		d.buf = append(d.buf, v...)
	}
	return d.buf
}

// add indexes the present values of p (n from off; valid nil for all)
// and updates st.
func (d *chunkDictionary) add(p arrow.Array, valid []byte, off, n int, st metadata.TypedStatistics) error {
	nulls := int64(p.NullN())
	if valid == nil {
		nulls = 0
	}
	switch a := p.(type) {
	case *array.Int64:
		addFixed(d, a.Int64Values(), valid, off)
		updateStats(st.(*metadata.Int64Statistics), a.Int64Values(), valid, off, nulls)
	case *array.Timestamp:
		v := a.TimestampValues()
		i64 := unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
		addFixed(d, i64, valid, off)
		updateStats(st.(*metadata.Int64Statistics), i64, valid, off, nulls)
	case *array.Date32:
		v := a.Date32Values()
		i32 := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
		addFixed(d, i32, valid, off)
		updateStats(st.(*metadata.Int32Statistics), i32, valid, off, nulls)
	case *array.String:
		if d.strIdx == nil {
			d.strIdx = map[string]int32{}
		}
		last, lastValue := int32(-1), ""
		for i := range n {
			if valid != nil && !bitutil.BitIsSet(valid, off+i) {
				continue
			}
			v := a.Value(i)
			if last < 0 || v != lastValue {
				k, ok := d.strIdx[v]
				if !ok {
					k = int32(d.n)
					v = strings.Clone(v)
					d.strIdx[v] = k
					d.strs = append(d.strs, v)
					d.n++
				}
				last, lastValue = k, v
			}
			d.indices = append(d.indices, last)
		}
		// Statistics come from the distinct values, once all are in:
		// comparing every value was as dear as indexing it.
		d.strNulls += nulls
	default:
		return fmt.Errorf("no dictionary for %s", p.DataType())
	}
	return nil
}

func addFixed[T int32 | int64](d *chunkDictionary, vals []T, valid []byte, off int) {
	if d.ints == nil {
		d.ints = map[int64]int32{}
	}
	last, lastValue := int32(-1), T(0)
	for i, v := range vals {
		if valid != nil && !bitutil.BitIsSet(valid, off+i) {
			continue
		}
		if last < 0 || v != lastValue {
			k, ok := d.ints[int64(v)]
			if !ok {
				k = int32(d.n)
				d.ints[int64(v)] = k
				d.fixed = append(d.fixed, unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v))...)
				d.n++
			}
			last, lastValue = k, v
		}
		d.indices = append(d.indices, last)
	}
}

// byteArray is b as statistics take it: an empty value is not nil, which
// they would take for none.
func byteArray(b []byte) parquet.ByteArray {
	if b == nil {
		return parquet.ByteArray{}
	}
	return b
}

// floatMinMax folds the present values of vals (from off in valid; nil
// for all) into lo and hi as arrow-go's statistics do: NaN is neither.
// Which of -0 and +0 it keeps does not matter: statistics store -0 as a
// least and +0 as a greatest zero.
func floatMinMax(vals []float64, valid []byte, off int, lo, hi float64) (float64, float64) {
	for i, v := range vals {
		if valid != nil && !bitutil.BitIsSet(valid, off+i) || v != v {
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}
