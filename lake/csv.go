package lake

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tickerlake/tickerlake/internal/shortfloat"
	"github.com/tickerlake/tickerlake/market"
	"golang.org/x/sync/errgroup"
)

// encodeCSV writes record batches as CSV with a header, byte for byte as
// arrow-go's csv.Writer (nulls empty, encoding/csv quoting) writes them,
// which it replaces for speed: going through strings and a csv.Writer,
// a CSV object cost as much to write as its Parquet twin. Each column is
// given a function appending one of its values, so the rows are written
// straight into one buffer, appended to dst; a large batch's rows are
// formatted in chunks side by side.
func encodeCSV(dst []byte, ds *market.Dataset, recs []arrow.RecordBatch) ([]byte, error) {
	schema := ds.ArrowSchema()
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	start := len(dst)
	perRow := csvRowBytes(ds)
	out := growBytes(dst, 256+int(rows)*perRow*9/8)
	for i, f := range schema.Fields() {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendCSVField(out, f.Name)
	}
	out = append(out, '\n')
	chunks := [][]arrow.RecordBatch{recs}
	if k := min(int64(runtime.GOMAXPROCS(0)), rows/csvChunkRows); k > 1 {
		chunks = rowGroups(recs, (rows+k-1)/k)
		defer func() {
			for _, c := range chunks {
				for _, r := range c {
					r.Release()
				}
			}
		}()
	}
	tails := make([][]byte, len(chunks))
	var g errgroup.Group
	for i := 1; i < len(chunks); i++ {
		g.Go(func() error {
			var err error
			var n int64
			for _, r := range chunks[i] {
				n += r.NumRows()
			}
			tails[i], err = appendCSVRows(growBytes(encodeBuffer(), int(n)*perRow*9/8), ds, schema, chunks[i], 0)
			return err
		})
	}
	out, err := appendCSVRows(out, ds, schema, chunks[0], rows)
	if werr := g.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	for _, t := range tails[1:] {
		out = append(out, t...)
		recycle(t)
	}
	if rows > 0 {
		rowBytes.Store(ds, int(int64(len(out)-start)/rows)+1)
	}
	return out, nil
}

// rowBytes keeps, per dataset, the bytes per row of its last CSV object
// (an int), so that the next one's buffer is sized once for all its rows.
// Sized from its first batch instead, an object whose first chain had
// short rows grew and copied its buffer again once or twice; the first
// batch still sizes the first object of a dataset.
var rowBytes sync.Map

// csvRowBytes is the bytes per row to reserve for a CSV object of ds.
func csvRowBytes(ds *market.Dataset) int {
	if n, ok := rowBytes.Load(ds); ok {
		return n.(int)
	}
	return 8 * len(ds.Columns)
}

// growBytes is slices.Grow for a buffer that may be a recycled one, empty
// with a large capacity: it copies b's length, where slices.Grow copies
// its whole capacity.
func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	grown := make([]byte, len(b), len(b)+n)
	copy(grown, b)
	return grown
}

// csvChunkRows is the fewest rows worth formatting on a goroutine of
// their own.
const csvChunkRows = 4096

// appendCSVRows appends the rows of recs to out, growing out once, when
// it is short, by the first batch's bytes per row for reserve rows (or
// those of recs, if more).
//
// Each field is written, with the comma or line end after it, straight
// into out's spare capacity, which is kept at csvRoom bytes a column at
// the start of a row and after each string (the one field of any length).
func appendCSVRows(out []byte, ds *market.Dataset, schema *arrow.Schema, recs []arrow.RecordBatch, reserve int64) ([]byte, error) {
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	reserve = max(reserve, rows)
	cols := make([]csvColumn, schema.NumFields())
	for j := range cols {
		cols[j].sep = ','
	}
	cols[len(cols)-1].sep = '\n'
	room := csvRoom * len(cols)
	sized := false
	for _, rec := range recs {
		start := len(out)
		for j, col := range rec.Columns() {
			if err := cols[j].set(col); err != nil {
				return nil, fmt.Errorf("csv %s: column %s: %w", ds.Name, schema.Field(j).Name, err)
			}
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			if cap(out)-len(out) < room {
				out = slices.Grow(out, room)
			}
			base, p := unsafe.Pointer(unsafe.SliceData(out)), len(out)
			for j := range cols {
				c := &cols[j]
				if c.kind != csvString {
					p = c.put(base, p, i)
					continue
				}
				out = c.appendString(out[:p], i)
				if cap(out)-len(out) < room {
					out = slices.Grow(out, room)
				}
				base, p = unsafe.Pointer(unsafe.SliceData(out)), len(out)
			}
			out = out[:p]
		}
		// Size the buffer once rather than let it double and copy.
		if !sized && rec.NumRows() > 0 {
			perRow := (len(out) - start) / int(rec.NumRows())
			out = growBytes(out, int(reserve-rec.NumRows())*perRow*9/8)
			sized = true
		}
	}
	return out, nil
}

// csvRoom is the spare bytes a field other than a string is written
// into: its text, whole words of it, and its separator.
const csvRoom = 64

// csvTextMax is the longest text of a field other than a string: a
// timestamp in a zone with seconds in its offset.
const csvTextMax = 40

// csvKind is how a column's values are written.
type csvKind uint8

const (
	csvString csvKind = iota
	csvFloat
	csvInt
	csvBool
	csvDate
	csvTimestamp
)

// csvColumn appends the values of one column as CSV fields, nulls empty,
// each with its separator, batch after batch (set): the rows of a column
// go, in order, to one growing buffer. It is one value per column for the
// whole object, not a closure per column and batch: the writer hands over
// a batch per processed message, some fifty rows, and the closures were
// most of a CSV object's allocations.
//
// In market data values repeat down a column (snapshot_ts, ingested_at,
// the symbol, a chain's underlying price, days to expiry) and across a
// chain (a call's and a put's strike and moneyness), and formatting them
// is what costs. So a string equal to the one of the row before, and a
// number, date or instant met lately, found by its bits in a small table,
// are copied from where their text was written. Floats are compared as
// bits, so that -0 and 0 stay apart.
type csvColumn struct {
	kind  csvKind
	sep   byte   // ',' or, after the last column, '\n'
	valid []byte // the batch's validity bitmap; nil without nulls
	off   int    // the batch's first row in valid
	str   *array.String
	bits  []uint64 // float64 values as bits
	i64   []int64
	b     *array.Boolean
	d32   []arrow.Date32
	ts    []arrow.Timestamp

	tsType *arrow.TimestampType
	tsFmt  func([]byte, arrow.Timestamp) []byte // instants outside UTC
	utc    *utcWriter                           // instants in UTC

	// The string last appended and where its field, with its
	// separator, is.
	prevStr          string
	strStart, strEnd int
	hasStr           bool

	texts *[1 << csvTextBits]csvText

	// Whether a float column looks its values up in texts in this batch,
	// the batches it has had, and how many values it found in this one:
	// the Greeks never repeat, and a column that found none in a batch
	// looks again only every csvRetry batches.
	cached        bool
	batches, hits int
}

// csvRetry is how often a float column that found no repeats in a batch
// looks for them again.
const csvRetry = 8

// csvTextBits is the log₂ of the texts a column remembers: enough for
// the strikes of a chain.
const csvTextBits = 6

// csvText is where the text of a value, by its bits, was written.
type csvText struct {
	bits     uint64
	start, n int
}

// set points c at the column's values in the next batch.
func (c *csvColumn) set(col arrow.Array) error {
	c.valid = nil
	if col.NullN() > 0 {
		c.valid, c.off = col.NullBitmapBytes(), col.Data().Offset()
	}
	switch a := col.(type) {
	case *array.String:
		c.kind, c.str = csvString, a
	case *array.Float64:
		c.cached = c.hits > 0 || c.batches%csvRetry == 0
		c.batches, c.hits = c.batches+1, 0
		v := a.Float64Values()
		c.kind, c.bits = csvFloat, unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
	case *array.Int64:
		c.kind, c.i64 = csvInt, a.Int64Values()
	case *array.Boolean:
		c.kind, c.b = csvBool, a
	case *array.Date32:
		c.kind, c.d32 = csvDate, a.Date32Values()
	case *array.Timestamp:
		typ := a.DataType().(*arrow.TimestampType)
		if c.tsType == nil || !arrow.TypeEqual(typ, c.tsType) {
			loc, err := typ.GetZone()
			if err != nil {
				return err
			}
			c.tsFmt, c.utc = nil, nil
			if loc == time.UTC {
				c.utc = newUTCWriter(typ.Unit, typ.TimeZone != "")
			} else if c.tsFmt, err = layoutAppender(typ); err != nil {
				return err
			}
			c.tsType, c.texts = typ, nil
		}
		c.kind, c.ts = csvTimestamp, a.TimestampValues()
	default:
		return fmt.Errorf("no CSV text for %s", col.DataType())
	}
	if c.kind != csvString && c.texts == nil {
		c.texts = new([1 << csvTextBits]csvText)
	}
	return nil
}

// appendString appends value i of a string column and its separator.
func (c *csvColumn) appendString(dst []byte, i int) []byte {
	if c.valid != nil && c.valid[(c.off+i)>>3]>>((c.off+i)&7)&1 == 0 {
		return append(dst, c.sep)
	}
	v := c.str.Value(i)
	if c.hasStr && v == c.prevStr {
		return append(dst, dst[c.strStart:c.strEnd]...) // the separator too
	}
	c.strStart = len(dst)
	dst = append(appendCSVField(dst, v), c.sep)
	c.strEnd, c.prevStr, c.hasStr = len(dst), v, true
	return dst
}

// put writes value i of the column's current batch, not a string one,
// and its separator at byte p of the buffer at base, which must have
// csvRoom bytes of capacity from there, and returns where they end.
// The buffer is not checked: this is the hottest call, and
// appendCSVRows keeps csvRoom bytes free for every field it puts.
func (c *csvColumn) put(base unsafe.Pointer, p, i int) int {
	b := (*[csvRoom]byte)(unsafe.Add(base, p))
	if c.valid != nil && c.valid[(c.off+i)>>3]>>((c.off+i)&7)&1 == 0 {
		b[0] = c.sep
		return p + 1
	}
	var n int
	switch c.kind {
	case csvFloat:
		v := c.bits[i]
		if !c.cached {
			n = putFloat(b, math.Float64frombits(v))
			break
		}
		t := &c.texts[v*0x9e3779b97f4a7c15>>(64-csvTextBits)]
		if t.n > 0 && t.bits == v {
			copyText(b, (*[csvRoom]byte)(unsafe.Add(base, t.start)))
			n = t.n
			c.hits++
			break
		}
		n = putFloat(b, math.Float64frombits(v))
		t.bits, t.start, t.n = v, p, n
	case csvInt:
		n = putInt(b, c.i64[i])
	case csvBool:
		n = 5
		binary.LittleEndian.PutUint64(b[:], 'f'|'a'<<8|'l'<<16|'s'<<24|'e'<<32)
		if c.b.Value(i) {
			n = 4
			binary.LittleEndian.PutUint64(b[:], 't'|'r'<<8|'u'<<16|'e'<<24)
		}
	default:
		var v uint64
		if c.kind == csvDate {
			v = uint64(c.d32[i])
		} else {
			v = uint64(c.ts[i])
		}
		t := &c.texts[v*0x9e3779b97f4a7c15>>(64-csvTextBits)]
		if t.n > 0 && t.bits == v {
			// As csvTextMax bytes, whatever the text's length: the bytes
			// after the text may be those being written over, but those
			// of the text are not.
			copyText(b, (*[csvRoom]byte)(unsafe.Add(base, t.start)))
			n = t.n
			break
		}
		switch {
		case c.kind == csvDate:
			n = putDate(b, arrow.Date32(v))
		case c.utc != nil:
			n = c.utc.put(b, int64(v))
		default:
			n = len(c.tsFmt(b[:0], arrow.Timestamp(v)))
		}
		t.bits, t.start, t.n = v, p, n
	}
	b[n&(csvRoom-1)] = c.sep
	return p + n + 1
}

// copyText copies the first csvTextMax bytes of from to b, all read
// before any is written.
func copyText(b, from *[csvRoom]byte) {
	w0 := binary.LittleEndian.Uint64(from[0:])
	w1 := binary.LittleEndian.Uint64(from[8:])
	w2 := binary.LittleEndian.Uint64(from[16:])
	w3 := binary.LittleEndian.Uint64(from[24:])
	w4 := binary.LittleEndian.Uint64(from[32:])
	binary.LittleEndian.PutUint64(b[0:], w0)
	binary.LittleEndian.PutUint64(b[8:], w1)
	binary.LittleEndian.PutUint64(b[16:], w2)
	binary.LittleEndian.PutUint64(b[24:], w3)
	binary.LittleEndian.PutUint64(b[32:], w4)
}

// putInt writes v into b, which has csvRoom bytes, as strconv.AppendInt
// does, and returns its length: in one word below 10⁸.
func putInt(b *[csvRoom]byte, v int64) int {
	if v < 0 || v >= 1e8 {
		return len(strconv.AppendInt(b[:0], v, 10))
	}
	n := decimalDigits(uint64(v))
	binary.LittleEndian.PutUint64(b[:], shortfloat.EightDigits(uint32(v))>>(8*(8-n)))
	return n
}

// decimalDigits is how many decimal digits x < 10^19 has, one for zero.
func decimalDigits(x uint64) int {
	// 1233/4096 is just below log₁₀ 2; n is ⌊log₁₀ x⌋ or one more.
	x |= 1 // as many digits, and one for zero
	n := bits.Len64(x) * 1233 >> 12
	if x >= pow10s[n] {
		n++
	}
	return n
}

// pow10s[i] is 10^i.
var pow10s = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// putDate writes d into b, which has csvRoom bytes, as time's layout
// 2006-01-02 does, and returns its length.
func putDate(b *[csvRoom]byte, d arrow.Date32) int {
	days := int64(d)
	if days < minCSVSecond/86400 || days >= endCSVSecond/86400 {
		return len(d.ToTime().AppendFormat(b[:0], "2006-01-02"))
	}
	y, m, dd := civilDate(days)
	binary.LittleEndian.PutUint64(b[:], dateWord(y, m))
	binary.LittleEndian.PutUint16(b[8:], twoDigits(dd))
	return 10
}

// dateWord is "YYYY-MM-" for a year in 0-9999, as a little-endian word.
func dateWord(y, m int64) uint64 {
	yy := shortfloat.EightDigits(uint32(y)) >> 32 // the last four digits
	return yy | '-'<<32 | uint64(twoDigits(m))<<40 | '-'<<56
}

// twoDigits is x < 100 as two ASCII digits in a little-endian uint16.
func twoDigits(x int64) uint16 {
	t := x * 103 >> 10 // x/10 below 100
	return uint16(t+'0') | uint16(x-t*10+'0')<<8
}

// layoutAppender writes instants as arrow-go's CSV writer does: in the
// column's zone, nanoseconds trimmed, the offset when the type has a
// zone, and the raw number outside years 0-9999. It goes through time's
// layouts, for any zone; utcWriter is the same by hand for UTC.
func layoutAppender(typ *arrow.TimestampType) (func([]byte, arrow.Timestamp) []byte, error) {
	toTime, err := typ.GetToTimeFunc()
	if err != nil {
		return nil, err
	}
	layout := "2006-01-02 15:04:05.999999999"
	if typ.TimeZone != "" {
		layout += "Z07:00"
	}
	return func(dst []byte, v arrow.Timestamp) []byte {
		t := toTime(v)
		if t.Year() < 0 || t.Year() > 9999 {
			return strconv.AppendInt(dst, int64(v), 10)
		}
		if _, offset := t.Zone(); typ.TimeZone != "" && offset%60 != 0 {
			return t.AppendFormat(dst, layout+":00")
		}
		return t.AppendFormat(dst, layout)
	}, nil
}

// appendCSVField appends s quoted as encoding/csv quotes a field (comma
// delimiter, LF line ends): when it holds a delimiter, quote or line
// break, starts with a space, or is `\.`.
func appendCSVField(dst []byte, s string) []byte {
	if !needsQuotes(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// needsQuotes is whether encoding/csv quotes s. It looks for the four
// bytes that call for quotes a word at a time: a byte of x equal to c is
// a zero byte of x^c·0x0101…, which (y-0x0101…)&^y has its top bit set
// for (a borrow may mark a byte above a zero one too, but only if there
// is a zero one).
func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; c < utf8.RuneSelf {
		if c == ' ' || c == '\t' || c == '\v' || c == '\f' || s == `\.` {
			return true
		}
	} else if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		return true
	}
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		a, q, r, n := x^','*ones, x^'"'*ones, x^'\r'*ones, x^'\n'*ones
		if ((a-ones)&^a|(q-ones)&^q|(r-ones)&^r|(n-ones)&^n)&highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

// putFloat writes f into b, which has csvRoom bytes, as
// strconv.AppendFloat(dst, f, 'g', -1, 64) does, and returns its length.
// Prices, strikes and sizes mostly have at most four decimals; for such a
// value of magnitude in [1e-4, 1e6) the shortest decimal that reads back
// as f is n/10⁴ for the integer n nearest f·10⁴ (values 10⁻⁴ apart cannot
// both round to f there), and 'g' prints it without an exponent. Writing
// n's digits, in words, costs a fraction of the general algorithm, which
// every other value, the Greeks at full precision among them, still
// takes, through shortfloat: strconv's text, faster (its BenchmarkGreeks
// compares them).
func putFloat(b *[csvRoom]byte, f float64) int {
	// f·10⁴ to the nearest integer, ties to even (no tie passes the test
	// below), by adding and taking away 1.5·2⁵², which leaves an integer
	// below 2⁵¹ in magnitude and one outside ±10¹⁰ above: cheaper than
	// math.Round. The conversion keeps the product from being fused.
	n := float64(f*1e4) + 0x1.8p52 - 0x1.8p52
	if n == 0 || n <= -1e10 || n >= 1e10 || n/1e4 != f {
		return shortfloat.PutG(b[:], f)
	}
	s := 0
	if n < 0 {
		b[0], s, n = '-', 1, -n
	}
	u := uint64(n)
	ints, frac := u/10000, u%10000
	digits := decimalDigits(ints)
	binary.LittleEndian.PutUint64(b[s:], shortfloat.EightDigits(uint32(ints))>>(8*(8-digits)))
	s += digits
	if frac == 0 {
		return s
	}
	// '.' and four decimals, less their trailing zeros: the high bytes
	// of the word that are '0'.
	w := shortfloat.EightDigits(uint32(frac)) >> 32
	zeros := bits.LeadingZeros32(uint32(w)^0x30303030) / 8
	binary.LittleEndian.PutUint64(b[s:], '.'|w<<8)
	return s + 5 - zeros
}

// The instants of years 0 to 9999, in seconds since the epoch: outside
// them time's layout would not print four digits and arrow-go writes the
// raw number.
const (
	minCSVSecond = -62167219200 // 0000-01-01T00:00:00Z
	endCSVSecond = 253402300800 // 10000-01-01T00:00:00Z
)

// utcWriter writes instants of a column in UTC (every dataset's
// timestamps are) as layoutAppender does, by hand: time.Time.AppendFormat,
// which goes through the layout and the zone for each value, was a sixth
// of the time the options snapshot of BenchmarkWriterSnapshot took to
// format as CSV, for the one timestamp column whose values do not repeat
// (last_trade_ts). It keeps the text of the last day it wrote: the
// instants of a snapshot mostly fall on one.
type utcWriter struct {
	perSec, nsPer int64 // values per second, nanoseconds per value
	zoned         bool  // the "Z" the layout's Z07:00 prints in UTC
	day           int64 // the day of date, days since the epoch
	date          uint64
	dd            uint16
}

func newUTCWriter(unit arrow.TimeUnit, zoned bool) *utcWriter {
	perSec := int64(time.Second / unit.Multiplier())
	return &utcWriter{perSec: perSec, nsPer: int64(time.Second) / perSec, zoned: zoned, day: math.MinInt64}
}

// put writes v into b, which has csvRoom bytes, and returns its length.
func (w *utcWriter) put(b *[csvRoom]byte, v int64) int {
	sec, sub := v/w.perSec, v%w.perSec
	if sub < 0 {
		sec, sub = sec-1, sub+w.perSec
	}
	if sec < minCSVSecond || sec >= endCSVSecond {
		return len(strconv.AppendInt(b[:0], v, 10))
	}
	days, s := sec/86400, sec%86400
	if s < 0 {
		days, s = days-1, s+86400
	}
	if days != w.day {
		y, m, d := civilDate(days)
		w.day, w.date, w.dd = days, dateWord(y, m), twoDigits(d)
	}
	// "YYYY-MM-", "DD HH:MM", ":SS".
	h, mi := s/3600, s/60%60
	binary.LittleEndian.PutUint64(b[:], w.date)
	binary.LittleEndian.PutUint64(b[8:], uint64(w.dd)|' '<<16|uint64(twoDigits(h))<<24|':'<<40|uint64(twoDigits(mi))<<48)
	binary.LittleEndian.PutUint32(b[16:], ':'|uint32(twoDigits(s%60))<<8)
	n := 19
	if ns := sub * w.nsPer; ns != 0 {
		// Nine digits, trailing zeros trimmed, as .999999999 prints.
		tens := ns / 10
		digits := shortfloat.EightDigits(uint32(tens))
		b[n] = '.'
		binary.LittleEndian.PutUint64(b[n+1:], digits)
		if last := ns - tens*10; last != 0 {
			b[n+9] = byte('0' + last)
			n += 10
		} else {
			n += 9 - bits.LeadingZeros64(digits^zeroDigits)/8
		}
	}
	if w.zoned {
		b[n] = 'Z'
		n++
	}
	return n
}

// zeroDigits is "00000000" as a little-endian word.
const zeroDigits = 0x30303030_30303030

// civilDate is the proleptic Gregorian date days after 1970-01-01 (Howard
// Hinnant's days_from_civil inverted), for days from year 0 on.
func civilDate(days int64) (year, month, day int64) {
	z := days + 719468 // days since 0000-03-01
	era := z / 146097
	if z < 0 { // January and February of year 0
		era = (z - 146096) / 146097
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1st
	mp := (5*doy + 2) / 153                                // [0, 11], March first
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}
