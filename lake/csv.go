package lake

import (
	"fmt"
	"math"
	"runtime"
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
func appendCSVRows(out []byte, ds *market.Dataset, schema *arrow.Schema, recs []arrow.RecordBatch, reserve int64) ([]byte, error) {
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	reserve = max(reserve, rows)
	cols := make([]csvColumn, schema.NumFields())
	sized := false
	for _, rec := range recs {
		start := len(out)
		for j, col := range rec.Columns() {
			if err := cols[j].set(col); err != nil {
				return nil, fmt.Errorf("csv %s: column %s: %w", ds.Name, schema.Field(j).Name, err)
			}
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			out = cols[0].append(out, i)
			for j := 1; j < len(cols); j++ {
				out = cols[j].append(append(out, ','), i)
			}
			out = append(out, '\n')
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
// batch after batch (set): the rows of a column go, in order, to one
// growing buffer. It is one value per column for the whole object, not a
// closure per column and batch: the writer hands over a batch per
// processed message, some fifty rows, and the closures were most of a
// CSV object's allocations.
//
// A value equal to the one appended for the row before is copied from
// where that one's text was appended: in market data values repeat down a
// column (snapshot_ts, ingested_at, the symbol, a chain's underlying price,
// a call's and a put's strike), and formatting them is what costs. Floats
// are compared as bits, so that -0 and 0 stay apart.
type csvColumn struct {
	kind   csvKind
	col    arrow.Array
	nulls  bool
	str    *array.String
	bits   []uint64 // float64 values as bits
	i64    []int64
	b      *array.Boolean
	d32    []arrow.Date32
	ts     []arrow.Timestamp
	tsType *arrow.TimestampType
	tsFmt  func([]byte, arrow.Timestamp) []byte

	// The last value appended, of row last, and where its text is.
	prevStr          string
	prevBits         uint64
	start, end, last int
}

// set points c at the column's values in the next batch.
func (c *csvColumn) set(col arrow.Array) error {
	c.col, c.nulls, c.last = col, col.NullN() > 0, -2
	switch a := col.(type) {
	case *array.String:
		c.kind, c.str = csvString, a
	case *array.Float64:
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
		if c.tsFmt == nil || !arrow.TypeEqual(typ, c.tsType) {
			f, err := timestampAppender(a)
			if err != nil {
				return err
			}
			c.tsType, c.tsFmt = typ, f
		}
		c.kind, c.ts = csvTimestamp, a.TimestampValues()
	default:
		return fmt.Errorf("no CSV text for %s", col.DataType())
	}
	return nil
}

// append appends value i of the column's current batch.
func (c *csvColumn) append(dst []byte, i int) []byte {
	if c.nulls && c.col.IsNull(i) {
		return dst
	}
	switch c.kind {
	case csvString:
		v := c.str.Value(i)
		if i == c.last+1 && v == c.prevStr {
			c.last = i
			return append(dst, dst[c.start:c.end]...)
		}
		c.start = len(dst)
		dst = appendCSVField(dst, v)
		c.end, c.last, c.prevStr = len(dst), i, v
		return dst
	case csvInt:
		return strconv.AppendInt(dst, c.i64[i], 10)
	case csvBool:
		return strconv.AppendBool(dst, c.b.Value(i))
	}
	var v uint64
	switch c.kind {
	case csvFloat:
		v = c.bits[i]
	case csvDate:
		v = uint64(c.d32[i])
	default:
		v = uint64(c.ts[i])
	}
	if i == c.last+1 && v == c.prevBits {
		c.last = i
		return append(dst, dst[c.start:c.end]...)
	}
	c.start = len(dst)
	switch c.kind {
	case csvFloat:
		dst = appendFloat(dst, math.Float64frombits(v))
	case csvDate:
		dst = c.d32[i].ToTime().AppendFormat(dst, "2006-01-02")
	default:
		dst = c.tsFmt(dst, c.ts[i])
	}
	c.end, c.last, c.prevBits = len(dst), i, v
	return dst
}

// timestampAppender writes instants as arrow-go's CSV writer does: in
// the column's zone, nanoseconds trimmed, the offset when the type has a
// zone, and the raw number outside years 0-9999.
func timestampAppender(a *array.Timestamp) (func([]byte, arrow.Timestamp) []byte, error) {
	typ := a.DataType().(*arrow.TimestampType)
	loc, err := typ.GetZone()
	if err != nil {
		return nil, err
	}
	if loc == time.UTC {
		return utcAppender(typ.Unit, typ.TimeZone != ""), nil
	}
	return layoutAppender(typ)
}

// layoutAppender is timestampAppender through time's layouts, for any zone.
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
	quote := s == `\.`
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote && s != "" {
		r, _ := utf8.DecodeRuneInString(s)
		quote = unicode.IsSpace(r)
	}
	if !quote {
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

// appendFloat appends f as strconv.AppendFloat(dst, f, 'g', -1, 64) does.
// Prices, strikes and sizes mostly have at most four decimals; for such a
// value of magnitude in [1e-4, 1e6) the shortest decimal that reads back
// as f is n/10⁴ for the integer n nearest f·10⁴ (values 10⁻⁴ apart cannot
// both round to f there), and 'g' prints it without an exponent. Writing
// n's digits costs a fraction of the general algorithm, which every other
// value, the Greeks at full precision among them, still takes, through
// shortfloat: strconv's text, faster (its BenchmarkGreeks compares them).
func appendFloat(dst []byte, f float64) []byte {
	n := math.Round(f * 1e4)
	if n == 0 || n <= -1e10 || n >= 1e10 || n/1e4 != f {
		return shortfloat.Append(dst, f, 'g')
	}
	neg := n < 0
	if neg {
		n = -n
	}
	u := uint64(n)
	var b [16]byte // sign, 6 integer digits, point, 4 decimals
	i := len(b)
	if frac := u % 10000; frac != 0 {
		digits := 4
		if frac%100 == 0 {
			frac, digits = frac/100, 2
		}
		if frac%10 == 0 {
			frac, digits = frac/10, digits-1
		}
		for range digits {
			i--
			b[i] = byte('0' + frac%10)
			frac /= 10
		}
		i--
		b[i] = '.'
	}
	for u /= 10000; ; u /= 10 {
		i--
		b[i] = byte('0' + u%10)
		if u < 10 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return append(dst, b[i:]...)
}

// The instants of years 0 to 9999, in seconds since the epoch: outside
// them time's layout would not print four digits and arrow-go writes the
// raw number.
const (
	minCSVSecond = -62167219200 // 0000-01-01T00:00:00Z
	endCSVSecond = 253402300800 // 10000-01-01T00:00:00Z
)

// utcAppender is timestampAppender for a column in UTC (every dataset's
// timestamps are), by hand: time.Time.AppendFormat, which goes through the
// layout and the zone for each value, was a sixth of the time the options
// snapshot of BenchmarkWriterSnapshot took to format as CSV, for the one
// timestamp column whose values do not repeat (last_trade_ts); by hand it
// is a twentieth. zoned appends the "Z" the layout's Z07:00 prints in UTC.
func utcAppender(unit arrow.TimeUnit, zoned bool) func([]byte, arrow.Timestamp) []byte {
	perSec := int64(time.Second / unit.Multiplier()) // values per second
	nsPer := int64(time.Second) / perSec
	return func(dst []byte, v arrow.Timestamp) []byte {
		sec, sub := int64(v)/perSec, int64(v)%perSec
		if sub < 0 {
			sec, sub = sec-1, sub+perSec
		}
		if sec < minCSVSecond || sec >= endCSVSecond {
			return strconv.AppendInt(dst, int64(v), 10)
		}
		days, s := sec/86400, sec%86400
		if s < 0 {
			days, s = days-1, s+86400
		}
		y, m, d := civilDate(days)
		var b [36]byte
		b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
		b[4], b[5], b[6], b[7] = '-', byte('0'+m/10), byte('0'+m%10), '-'
		b[8], b[9], b[10] = byte('0'+d/10), byte('0'+d%10), ' '
		h, mi, se := s/3600, s/60%60, s%60
		b[11], b[12], b[13] = byte('0'+h/10), byte('0'+h%10), ':'
		b[14], b[15], b[16] = byte('0'+mi/10), byte('0'+mi%10), ':'
		b[17], b[18] = byte('0'+se/10), byte('0'+se%10)
		n := 19
		if ns := sub * nsPer; ns != 0 {
			// Nine digits, trailing zeros trimmed, as .999999999 prints.
			b[n] = '.'
			digits := 9
			for ns%10 == 0 {
				ns, digits = ns/10, digits-1
			}
			for i := digits; i > 0; i-- {
				b[n+i] = byte('0' + ns%10)
				ns /= 10
			}
			n += 1 + digits
		}
		if zoned {
			b[n] = 'Z'
			n++
		}
		return append(dst, b[:n]...)
	}
}

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
