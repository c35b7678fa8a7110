package market

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Type is a column's logical type.
type Type int

const (
	String Type = iota
	Float64
	Int64
	Bool
	Timestamp // instant, microseconds, UTC
	Date      // calendar date
)

// SQL returns the DuckDB type name.
func (t Type) SQL() string {
	return [...]string{"VARCHAR", "DOUBLE", "BIGINT", "BOOLEAN", "TIMESTAMPTZ", "DATE"}[t]
}

// Column describes one column of a dataset.
type Column struct {
	Name     string
	Type     Type
	Key      bool // part of the natural key
	Nullable bool // NaN floats and zero times are stored as NULL
	Field    int  // index of the Go struct field
}

// Partitioning says how a dataset's files are grouped into Hive partitions.
type Partitioning int

const (
	ByDate Partitioning = iota // date=YYYY-MM-DD
	ByYear                     // year=YYYY
)

// Dataset describes one table of the lake.
type Dataset struct {
	Name      string       // view and folder name
	Columns   []Column     // in storage order
	TimeCol   string       // the column the partition is derived from
	Partition Partitioning // partition granularity
	RowType   reflect.Type
}

// The datasets of the lake.
var (
	DailyBars    = mustDataset("daily_bars", DailyBar{}, "date", ByYear)
	IntradayBars = mustDataset("intraday_bars", IntradayBar{}, "ts", ByDate)
	OptionQuotes = mustDataset("option_quotes", OptionQuote{}, "snapshot_ts", ByDate)
	IVSmiles     = mustDataset("iv_smile", IVSmile{}, "snapshot_ts", ByDate)
)

// Datasets lists every dataset of the lake, in the registry's order
// (market.Feeds): a dataset exists by having a feed.
func Datasets() []*Dataset {
	var out []*Dataset
	for _, f := range feeds {
		if !containsDataset(out, f.Dataset) {
			out = append(out, f.Dataset)
		}
	}
	return out
}

// DatasetByName returns the dataset called name.
func DatasetByName(name string) (*Dataset, bool) {
	for _, d := range Datasets() {
		if d.Name == name {
			return d, true
		}
	}
	return nil, false
}

// Key returns the natural-key column names.
func (d *Dataset) Key() []string {
	var k []string
	for _, c := range d.Columns {
		if c.Key {
			k = append(k, c.Name)
		}
	}
	return k
}

// Column returns the column called name.
func (d *Dataset) Column(name string) (Column, bool) {
	for _, c := range d.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// PartitionOf returns the Hive partition path element ("date=2026-11-27")
// for a value of the time column.
func (d *Dataset) PartitionOf(t time.Time) string {
	c, _ := d.Column(d.TimeCol)
	if c.Type == Timestamp {
		t = DateOf(t) // sessions are dated in New York
	}
	if d.Partition == ByYear {
		return fmt.Sprintf("year=%04d", t.Year())
	}
	return "date=" + t.Format("2006-01-02")
}

// ViewSQL is the SELECT behind the dataset's view over the given Parquet
// files: replays are collapsed to one row per natural key, the most recently
// ingested winning.
func (d *Dataset) ViewSQL(files []string) string {
	names := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		names[i] = c.Name
	}
	if len(files) == 0 {
		cols := make([]string, len(d.Columns))
		for i, c := range d.Columns {
			cols[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type.SQL(), c.Name)
		}
		return "SELECT " + strings.Join(cols, ", ") + " WHERE false"
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	return fmt.Sprintf("SELECT %s FROM read_parquet([%s], union_by_name=true) QUALIFY row_number() OVER (PARTITION BY %s ORDER BY ingested_at DESC) = 1",
		strings.Join(names, ", "), strings.Join(quoted, ", "), strings.Join(d.Key(), ", "))
}

func mustDataset(name string, row any, timeCol string, p Partitioning) *Dataset {
	d, err := datasetOf(name, reflect.TypeOf(row), timeCol, p)
	if err != nil {
		panic(err) // a programming error in the record types above
	}
	return d
}

var timeType = reflect.TypeOf(time.Time{})

func datasetOf(name string, rt reflect.Type, timeCol string, p Partitioning) (*Dataset, error) {
	d := &Dataset{Name: name, TimeCol: timeCol, Partition: p, RowType: rt}
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag, ok := f.Tag.Lookup("col")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		c := Column{Name: parts[0], Field: i}
		opts := map[string]bool{}
		for _, o := range parts[1:] {
			opts[o] = true
		}
		c.Key, c.Nullable = opts["key"], opts["null"]
		switch {
		case f.Type == timeType && opts["date"]:
			c.Type = Date
		case f.Type == timeType:
			c.Type = Timestamp
		case f.Type.Kind() == reflect.String:
			c.Type = String
		case f.Type.Kind() == reflect.Float64:
			c.Type = Float64
		case f.Type.Kind() == reflect.Int64:
			c.Type = Int64
		case f.Type.Kind() == reflect.Bool:
			c.Type = Bool
		default:
			return nil, fmt.Errorf("dataset %s: field %s has unsupported type %s", name, f.Name, f.Type)
		}
		d.Columns = append(d.Columns, c)
	}
	if _, ok := d.Column(timeCol); !ok {
		return nil, fmt.Errorf("dataset %s: no time column %q", name, timeCol)
	}
	return d, nil
}
