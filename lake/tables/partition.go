package tables

import (
	"fmt"

	"github.com/apache/iceberg-go"
	"github.com/tickerlake/tickerlake/market"
)

// partitionSpec is the Iceberg partition spec of a new table: the lake's
// own Hive partitions where an Iceberg transform names them exactly, so
// that every data file the writer, a rewrite or a compaction makes has one
// partition value (iceberg-go derives it from the file's column bounds and
// refuses a file spanning two), and other engines prune by it.
//
// A dataset whose time column holds dates (daily_bars: year=YYYY of its
// date) is partitioned by year(date) or day(date): Iceberg's transforms of
// a date are calendar ones, as the lake's are. A dataset whose time column
// holds instants is partitioned by its New York calendar date, and Iceberg
// has no transform for that: day(ts) is the UTC day, so a file of one New
// York day holding rows after 19:00 or 20:00 there (an evening option
// snapshot) spans two UTC days, and year(ts) splits New Year's Eve
// likewise. Those tables stay unpartitioned; their manifests' column bounds
// still let engines skip files by time.
//
// Tables created before keep the spec they have.
func partitionSpec(ds *market.Dataset, sc *iceberg.Schema) (iceberg.PartitionSpec, error) {
	col, ok := ds.Column(ds.TimeCol)
	if !ok || col.Type != market.Date {
		return *iceberg.UnpartitionedSpec, nil
	}
	var (
		t    iceberg.Transform
		name string
	)
	switch ds.Partition {
	case market.ByYear:
		t, name = iceberg.YearTransform{}, ds.TimeCol+"_year"
	case market.ByDate:
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
