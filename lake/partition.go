package lake

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tickerlake/tickerlake/market"
)

// UTCDays reports whether each data file of ds holds the rows of one UTC
// day: its time column holds instants, foldered by their New York date,
// and its Iceberg table is partitioned by day(time), which is the UTC day
// (see lake/tables). The writer splits a folder's rows at UTC midnight, and
// compaction merges the files of one UTC day only.
func UTCDays(ds *market.Dataset) bool {
	c, ok := ds.Column(ds.TimeCol)
	return ok && c.Type == market.Timestamp && ds.Partition == market.ByDate
}

// UTCDaysOf returns the UTC days ("2026-01-06") of the first and of the
// last instant that key bounds allow in the time column of ds; ok is false
// when they bound no instant of it.
func UTCDaysOf(ds *market.Dataset, keys KeyRanges) (first, last string, ok bool) {
	b, found := keys[ds.TimeCol]
	if !found || len(b[0]) != len(keyInstantLayout) || len(b[1]) != len(keyInstantLayout) {
		return "", "", false
	}
	return b[0][:len(keyDateLayout)], b[1][:len(keyDateLayout)], true
}

// microsPerDay is a UTC day in raw instant values.
const microsPerDay = int64(24 * time.Hour / time.Microsecond)

// daySep separates, in the writer's name for a slice of its rows, the
// Hive partition from the UTC day ("date=2026-01-05@2026-01-06").
const daySep = "@"

// UTCMark separates, in the name of a writer's object holding the rows of
// a later UTC day than its folder's first, the range's name from that day:
// <range>.utc-2026-01-06.parquet, in the folder of the New York date.
const UTCMark = ".utc-"

// partitioner names the Hive partitions of a dataset's time column, read
// as raw Arrow values (microseconds for instants, days for dates), and for
// a dataset of UTCDays the UTC day too ("date=2026-01-05@2026-01-06").
// Naming one means a time zone conversion and formatting, so it remembers
// the span of raw values the last partition covers and names a new one
// only when a value falls outside it.
type partitioner struct {
	ds     *market.Dataset
	date   bool // the time column holds dates
	utc    bool // split at UTC midnight too (UTCDays)
	lo, hi int64
	part   string
}

func newPartitioner(ds *market.Dataset) *partitioner {
	c, _ := ds.Column(ds.TimeCol)
	return &partitioner{ds: ds, date: c.Type == market.Date, utc: UTCDays(ds)}
}

// label names the slice of rows a raw value belongs to.
func (p *partitioner) label(raw int64) string {
	t := p.timeOf(raw)
	if !p.utc {
		return p.ds.PartitionOf(t)
	}
	return p.ds.PartitionOf(t) + daySep + t.Format(keyDateLayout)
}

// timeOf converts a raw value of the time column.
func (p *partitioner) timeOf(raw int64) time.Time {
	if p.date {
		return arrow.Date32(raw).ToTime()
	}
	return time.UnixMicro(raw).UTC()
}

// of returns the partition of a raw value.
func (p *partitioner) of(raw int64) string {
	if p.part != "" && raw >= p.lo && raw < p.hi {
		return p.part
	}
	p.part = p.label(raw)
	p.lo, p.hi = p.span(raw)
	// Partitions follow time, so a span whose ends agree with it holds
	// nothing else; should they not, fall back to the one value.
	if p.label(p.lo) != p.part || p.label(p.hi-1) != p.part {
		p.lo, p.hi = raw, raw+1
	}
	return p.part
}

// span is the range of raw values sharing raw's partition: a New York
// calendar day or year for instants (within one UTC day for UTCDays), a
// day or year for dates.
func (p *partitioner) span(raw int64) (lo, hi int64) {
	t := p.timeOf(raw)
	if p.date {
		if p.ds.Partition != market.ByYear {
			return raw, raw + 1
		}
		start := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return int64(arrow.Date32FromTime(start)), int64(arrow.Date32FromTime(start.AddDate(1, 0, 0)))
	}
	d := market.DateOf(t)
	start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, market.NewYork)
	end := start.AddDate(0, 0, 1)
	if p.ds.Partition == market.ByYear {
		start = time.Date(d.Year(), 1, 1, 0, 0, 0, 0, market.NewYork)
		end = start.AddDate(1, 0, 0)
	}
	lo, hi = start.UnixMicro(), end.UnixMicro()
	if p.utc {
		day := raw - ((raw%microsPerDay)+microsPerDay)%microsPerDay
		lo, hi = max(lo, day), min(hi, day+microsPerDay)
	}
	return lo, hi
}

// objectNames turns the slices of a range's rows, by partitioner label,
// into its objects, by key under the dataset's folder without extension:
// a Hive partition's rows go to <partition>/<base>, except that, in a
// partition holding rows of several UTC days, those of each day after the
// first go to <partition>/<base>.utc-<day>. A file then never spans two
// UTC days, and one that would not have keeps the name it always had.
func objectNames(base string, parts map[string][]arrow.RecordBatch) map[string][]arrow.RecordBatch {
	days := map[string][]string{} // by partition
	for label := range parts {
		part, day, _ := strings.Cut(label, daySep)
		days[part] = append(days[part], day)
	}
	out := make(map[string][]arrow.RecordBatch, len(parts))
	for part, ds := range days {
		sort.Strings(ds)
		for i, day := range ds {
			label, name := part, part+"/"+base
			if day != "" {
				label += daySep + day
			}
			if i > 0 {
				name += UTCMark + day
			}
			out[name] = parts[label]
		}
	}
	return out
}

// rawTimes returns a function reading the raw time value of row i of rec.
func (p *partitioner) rawTimes(rec arrow.RecordBatch) (func(i int) int64, error) {
	idx := rec.Schema().FieldIndices(p.ds.TimeCol)
	if len(idx) != 1 {
		return nil, fmt.Errorf("dataset %s: record has no column %q", p.ds.Name, p.ds.TimeCol)
	}
	switch a := rec.Column(idx[0]).(type) {
	case *array.Timestamp:
		if !p.date {
			v := a.TimestampValues()
			return func(i int) int64 { return int64(v[i]) }, nil
		}
	case *array.Date32:
		if p.date {
			v := a.Date32Values()
			return func(i int) int64 { return int64(v[i]) }, nil
		}
	}
	return nil, fmt.Errorf("dataset %s: column %q has type %s", p.ds.Name, p.ds.TimeCol, rec.Column(idx[0]).DataType())
}
