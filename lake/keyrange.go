package lake

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tickerlake/tickerlake/market"
)

// KeyRanges maps each natural-key column of a dataset to the least and
// the greatest of its values in some rows, written as text that sorts as
// the values do: strings as they are, instants as UTC ISO 8601 with
// microseconds, dates as YYYY-MM-DD.
type KeyRanges map[string][2]string

// Layouts of instants and dates in KeyRanges: fixed width, so that the
// text sorts as the time does (years 0-9999).
const (
	keyInstantLayout = "2006-01-02T15:04:05.000000Z"
	keyDateLayout    = "2006-01-02"
)

// KeyRangesOf bounds the natural key of ds over recs. It returns nil,
// which overlaps everything, when there are no rows or a key column
// holds a null or a time outside years 0-9999.
func KeyRangesOf(ds *market.Dataset, recs []arrow.RecordBatch) KeyRanges {
	out := KeyRanges{}
	for _, name := range ds.Key() {
		var lo, hi string
		seen := false
		for _, rec := range recs {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) != 1 {
				return nil
			}
			col := rec.Column(idx[0])
			if col.Len() == 0 {
				continue
			}
			if col.NullN() > 0 {
				return nil
			}
			l, h, ok := columnRange(col)
			if !ok {
				return nil
			}
			if !seen || l < lo {
				lo = l
			}
			if !seen || h > hi {
				hi = h
			}
			seen = true
		}
		if !seen {
			return nil
		}
		out[name] = [2]string{lo, hi}
	}
	return out
}

// columnRange returns the text of a key column's least and greatest
// values.
func columnRange(col arrow.Array) (lo, hi string, ok bool) {
	switch a := col.(type) {
	case *array.String:
		lo, hi = a.Value(0), a.Value(0)
		for i := 1; i < a.Len(); i++ {
			if v := a.Value(i); v < lo {
				lo = v
			} else if v > hi {
				hi = v
			}
		}
		return string([]byte(lo)), string([]byte(hi)), true // not views of Arrow memory
	case *array.Timestamp:
		if a.DataType().(*arrow.TimestampType).Unit != arrow.Microsecond {
			return "", "", false
		}
		v := a.TimestampValues()
		l, h := minMax(v)
		return instantText(int64(l), int64(h))
	case *array.Date32:
		l, h := minMax(a.Date32Values())
		tl, th := l.ToTime(), h.ToTime()
		if tl.Year() < 0 || th.Year() > 9999 {
			return "", "", false
		}
		return tl.Format(keyDateLayout), th.Format(keyDateLayout), true
	}
	return "", "", false
}

// InstantKey and DateKey render a key instant (microseconds since the
// epoch) and a key date (days since the epoch) as KeyRanges writes them.
func InstantKey(micros int64) string {
	return time.UnixMicro(micros).UTC().Format(keyInstantLayout)
}

// DateKey: see InstantKey.
func DateKey(days int32) string { return arrow.Date32(days).ToTime().Format(keyDateLayout) }

// ParseKeyTime reads an instant or a date as KeyRanges write them (a date
// as its UTC midnight); ok is false for any other text.
func ParseKeyTime(k string) (time.Time, bool) {
	for _, layout := range []string{keyInstantLayout, keyDateLayout} {
		if t, err := time.Parse(layout, k); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func instantText(lo, hi int64) (string, string, bool) {
	tl, th := time.UnixMicro(lo).UTC(), time.UnixMicro(hi).UTC()
	if tl.Year() < 0 || th.Year() > 9999 {
		return "", "", false
	}
	return tl.Format(keyInstantLayout), th.Format(keyInstantLayout), true
}

func minMax[T int32 | int64 | arrow.Date32 | arrow.Timestamp](v []T) (lo, hi T) {
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// Overlap reports whether rows bounded by r and by o may share a natural
// key: unless both bound every key column of ds and some column's ranges
// are disjoint, they may.
func (r KeyRanges) Overlap(o KeyRanges, ds *market.Dataset) bool {
	for _, name := range ds.Key() {
		a, ok := r[name]
		b, ok2 := o[name]
		if !ok || !ok2 {
			return true
		}
		if a[1] < b[0] || b[1] < a[0] {
			return false
		}
	}
	return true
}
