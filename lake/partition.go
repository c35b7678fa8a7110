package lake

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tickerlake/tickerlake/market"
)

// partitioner names the Hive partitions of a dataset's time column, read
// as raw Arrow values (microseconds for instants, days for dates). Naming
// one means a time zone conversion and formatting, so it remembers the
// span of raw values the last partition covers and names a new one only
// when a value falls outside it.
type partitioner struct {
	ds     *market.Dataset
	date   bool // the time column holds dates
	lo, hi int64
	part   string
}

func newPartitioner(ds *market.Dataset) *partitioner {
	c, _ := ds.Column(ds.TimeCol)
	return &partitioner{ds: ds, date: c.Type == market.Date}
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
	p.part = p.ds.PartitionOf(p.timeOf(raw))
	p.lo, p.hi = p.span(raw)
	// Partitions follow time, so a span whose ends agree with it holds
	// nothing else; should they not, fall back to the one value.
	if p.ds.PartitionOf(p.timeOf(p.lo)) != p.part || p.ds.PartitionOf(p.timeOf(p.hi-1)) != p.part {
		p.lo, p.hi = raw, raw+1
	}
	return p.part
}

// span is the range of raw values sharing raw's partition: a New York
// calendar day or year for instants, a day or year for dates.
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
	return start.UnixMicro(), end.UnixMicro()
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
