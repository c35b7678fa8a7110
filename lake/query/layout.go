package query

import (
	"path"
	"slices"
	"sort"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
)

// fileMeta is what planning needs of one visible data file, kept small:
// a replica holds one per file of the lake.
type fileMeta struct {
	key  string
	part string // its Hive partition, "year=2026" or "date=2026-11-20" (part of key)
	// keys bounds each key column of the layout (layout.keyCols); nil when
	// some bound is unknown (records from before they were kept).
	keys      [][2]string
	compacted bool  // a compaction wrote it: no key repeats in it
	rows      int64 // its rows, as a table's manifest counts them (0 from records)
	// version tells files of different schemas apart: the schema version
	// in the commit records, or the number of columns a table's manifest
	// has statistics for.
	version int
}

// layout is a dataset's visible Parquet files at one snapshot, indexed by
// partition, so that a query's files are found without a look at the
// others: the partitions its time bounds allow, then, within them, the
// files whose key ranges meet its bounds.
type layout struct {
	ds      *market.Dataset
	keyCols []string
	// unique says no natural key repeats across the files, as in an
	// Iceberg table of the lake: nothing needs to be checked or collapsed.
	unique bool
	files  []fileMeta // in commit order
	parts  []string   // partitions, sorted (their names sort as time does)
	byPart map[string][]int
}

func emptyLayout(ds *market.Dataset) *layout {
	return &layout{ds: ds, keyCols: ds.Key(), byPart: map[string][]int{}}
}

// add appends a file; sort must follow the last.
func (l *layout) add(f fileMeta, ranges lake.KeyRanges) {
	f.part = path.Base(path.Dir(f.key))
	if ranges != nil {
		f.keys = make([][2]string, len(l.keyCols))
		for i, c := range l.keyCols {
			r, ok := ranges[c]
			if !ok {
				f.keys = nil
				break
			}
			f.keys[i] = r
		}
	}
	if _, ok := l.byPart[f.part]; !ok {
		l.parts = append(l.parts, f.part)
	}
	l.byPart[f.part] = append(l.byPart[f.part], len(l.files))
	l.files = append(l.files, f)
}

// newLayout lays out the files the commit records make visible.
func newLayout(ds *market.Dataset, snap *lake.Snapshot) *layout {
	l := emptyLayout(ds)
	for _, cf := range snap.Committed("parquet") {
		l.add(fileMeta{key: cf.Key, compacted: cf.Commit.Kind == lake.KindCompaction, version: max(cf.Commit.SchemaVersion, 1)}, cf.Keys)
	}
	slices.Sort(l.parts)
	return l
}

// tableLayout lays out the data files of a table's snapshot.
func tableLayout(ds *market.Dataset, files []lake.TableFile) *layout {
	l := emptyLayout(ds)
	l.unique = true
	for _, f := range files {
		if path.Ext(f.Key) != ".parquet" {
			continue
		}
		l.add(fileMeta{key: f.Key, version: f.Columns, rows: f.Rows}, f.Keys)
	}
	slices.Sort(l.parts)
	return l
}

// newest is the dataset's newest event time and its rows from the
// manifests' statistics alone, with no data read: the greatest upper bound
// of the time column (a key column) and the sum of the files' rows. known
// is false unless the layout is a table's (no key repeats across files)
// and every file has its bounds.
func (l *layout) newest() (last time.Time, ok bool, rows int64, known bool) {
	col := slices.Index(l.keyCols, l.ds.TimeCol)
	if !l.unique || col < 0 {
		return time.Time{}, false, 0, false
	}
	hi := ""
	for _, f := range l.files {
		if f.keys == nil {
			return time.Time{}, false, 0, false
		}
		hi = max(hi, f.keys[col][1])
		rows += f.rows
	}
	if len(l.files) == 0 {
		return time.Time{}, false, 0, true
	}
	last, ok = lake.ParseKeyTime(hi)
	return last, ok, rows, ok
}

// ranges are a file's key bounds as lake.KeyRanges.
func (l *layout) ranges(f fileMeta) lake.KeyRanges {
	if f.keys == nil {
		return nil
	}
	out := make(lake.KeyRanges, len(l.keyCols))
	for i, c := range l.keyCols {
		out[c] = f.keys[i]
	}
	return out
}

// pick returns the files any of the needs may read, in commit order.
func (l *layout) pick(needs []need) []fileMeta {
	chosen := map[int]bool{}
	for _, nd := range needs {
		for _, part := range l.partitions(nd) {
			for _, i := range l.byPart[part] {
				if !chosen[i] && l.meets(l.files[i], nd) {
					chosen[i] = true
				}
			}
		}
	}
	idx := make([]int, 0, len(chosen))
	for i := range chosen {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]fileMeta, len(idx))
	for i, j := range idx {
		out[i] = l.files[j]
	}
	return out
}

// partitions are those a need's bounds on the time column allow. A
// partition's name is derived from a New York date, so the bounds are
// widened by a day before they are named.
func (l *layout) partitions(nd need) []string {
	b, ok := nd[l.ds.TimeCol]
	if !ok || b.lo == "" && b.hi == "" {
		return l.parts
	}
	from, to := 0, len(l.parts)
	if p, ok := l.partitionOf(b.lo, -1); ok {
		from = sort.SearchStrings(l.parts, p)
	}
	if p, ok := l.partitionOf(b.hi, 1); ok {
		to = sort.Search(len(l.parts), func(i int) bool { return l.parts[i] > p })
	}
	if from >= to {
		return nil
	}
	return l.parts[from:to]
}

// partitionOf names the partition of a bound's text moved days away.
func (l *layout) partitionOf(text string, days int) (string, bool) {
	if text == "" {
		return "", false
	}
	t, err := time.Parse(instantLayout, text)
	if err != nil {
		if t, err = time.Parse(dateLayout, text); err != nil {
			return "", false
		}
	}
	return l.ds.PartitionOf(t.AddDate(0, 0, days)), true
}

// meets reports whether the file may hold rows the need wants: every
// bounded key column's range meets the bound. A file without ranges may.
func (l *layout) meets(f fileMeta, nd need) bool {
	if f.keys == nil {
		return true
	}
	for col, b := range nd {
		i := slices.Index(l.keyCols, col)
		if i < 0 {
			continue
		}
		r := f.keys[i]
		if b.lo != "" && r[1] < b.lo || b.hi != "" && r[0] > b.hi {
			return false
		}
		if b.in != nil && !slices.ContainsFunc(b.in, func(v string) bool { return r[0] <= v && v <= r[1] }) {
			return false
		}
	}
	return true
}
