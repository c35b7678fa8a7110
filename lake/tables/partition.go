package tables

import (
	"fmt"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
)

// partitionSpec is the Iceberg partition spec of a new table, such that
// every data file the writer, a rewrite or a compaction makes has one
// partition value (iceberg-go derives it from the file's column bounds and
// refuses a file spanning two), and other engines prune by it.
//
// A dataset whose time column holds dates (daily_bars: year=YYYY of its
// date) is partitioned as the lake's folders are, by year(date) or
// day(date): Iceberg's transforms of a date are calendar ones, as the
// lake's are. A dataset whose time column holds instants is foldered by
// its New York calendar date, which no Iceberg transform names: day(ts) is
// the UTC day, so a New York day's rows after 19:00 or 20:00 there (an
// evening option snapshot) fall on the next UTC day. Those datasets
// (lake.UTCDays) are partitioned by day(ts) all the same: the writer
// splits each folder's rows at UTC midnight into one object per UTC day
// (<range>.utc-<day> for the later one), compaction merges one UTC day's
// files at a time, and a rewrite keeps some rows of one file; so a data
// file's partition value is the UTC day of all its rows, while its folder
// stays the New York date the lake's own readers prune by.
//
// Tables created before keep the spec they have; Migrate creates a table
// of such a dataset unpartitioned when an object it would register spans
// two UTC days (an older writer made it).
func partitionSpec(ds *market.Dataset, sc *iceberg.Schema) (iceberg.PartitionSpec, error) {
	col, ok := ds.Column(ds.TimeCol)
	if !ok {
		return *iceberg.UnpartitionedSpec, nil
	}
	var (
		t    iceberg.Transform
		name string
	)
	switch {
	case lake.UTCDays(ds):
		t, name = iceberg.DayTransform{}, ds.TimeCol+"_day"
	case col.Type != market.Date:
		return *iceberg.UnpartitionedSpec, nil
	case ds.Partition == market.ByYear:
		t, name = iceberg.YearTransform{}, ds.TimeCol+"_year"
	case ds.Partition == market.ByDate:
		t, name = iceberg.DayTransform{}, ds.TimeCol+"_day"
	default:
		return *iceberg.UnpartitionedSpec, nil
	}
	f, ok := sc.FindFieldByName(ds.TimeCol)
	if !ok {
		return iceberg.PartitionSpec{}, fmt.Errorf("no column %s", ds.TimeCol)
	}
	return iceberg.NewPartitionSpecOpts(iceberg.AddPartitionFieldBySourceID(f.ID, name, t, sc, nil))
}

// boundPrefix is how much of a time bound, as KeyRanges writes it (UTC ISO
// 8601), names its value under a partition transform.
func boundPrefix(t iceberg.Transform) (int, bool) {
	switch t.(type) {
	case iceberg.YearTransform:
		return len("2006"), true
	case iceberg.MonthTransform:
		return len("2006-01"), true
	case iceberg.DayTransform:
		return len("2006-01-02"), true
	case iceberg.HourTransform:
		return len("2006-01-02T15"), true
	}
	return 0, false
}

// fitsSpec refuses, with lake.ErrSpansPartitions, a commit adding an
// object whose time bounds fall in two partitions of the table's spec.
// iceberg-go would refuse it too, but in a way no caller can tell from a
// catalog outage, and the writer would retry it forever.
func fitsSpec(tbl *table.Table, cm lake.Commit) error {
	ds, ok := market.DatasetByName(cm.Dataset)
	if !ok {
		return nil
	}
	spec, sc := tbl.Spec(), tbl.Schema()
	for _, f := range spec.Fields() {
		col, ok := sc.FindColumnName(f.SourceID())
		if !ok || col != ds.TimeCol {
			continue
		}
		n, ok := boundPrefix(f.Transform)
		if !ok {
			continue
		}
		for _, file := range cm.Files {
			b, ok := file.Keys[col]
			if file.Format != "parquet" || !ok || len(b[0]) < n || len(b[1]) < n {
				continue
			}
			if b[0][:n] != b[1][:n] {
				return fmt.Errorf("%s: %s: rows from %s to %s, two values of %s(%s): %w",
					cm.Dataset, file.Key, b[0], b[1], f.Transform, col, lake.ErrSpansPartitions)
			}
		}
	}
	return nil
}
