package query

import (
	"path"
	"slices"
	"sort"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
)

// fileMeta is what the commit records say of one visible data file.
type fileMeta struct {
	key       string
	part      string         // its Hive partition, "year=2026" or "date=2026-11-20"
	keys      lake.KeyRanges // bounds of its key columns; nil in records from before they were kept
	compacted bool           // a compaction wrote it: no key repeats in it
	version   int            // schema version
}

// layout is a dataset's visible Parquet files at one snapshot, indexed by
// partition, so that a query's files are found without a look at the
// others: the partitions its time bounds allow, then, within them, the
// files whose key ranges meet its bounds.
type layout struct {
	ds     *market.Dataset
	files  []fileMeta // in commit order
	parts  []string   // partitions, sorted (their names sort as time does)
	byPart map[string][]int
}

func newLayout(ds *market.Dataset, snap *lake.Snapshot) *layout {
	l := &layout{ds: ds, byPart: map[string][]int{}}
	for _, cf := range snap.Committed("parquet") {
		part := path.Base(path.Dir(cf.Key))
		if _, ok := l.byPart[part]; !ok {
			l.parts = append(l.parts, part)
		}
		l.byPart[part] = append(l.byPart[part], len(l.files))
		l.files = append(l.files, fileMeta{key: cf.Key, part: part, keys: cf.Keys,
			compacted: cf.Commit.Kind == lake.KindCompaction, version: max(cf.Commit.SchemaVersion, 1)})
	}
	slices.Sort(l.parts)
	return l
}

// pick returns the files any of the needs may read, in commit order.
func (l *layout) pick(needs []need) []fileMeta {
	chosen := map[int]bool{}
	for _, nd := range needs {
		for _, part := range l.partitions(nd) {
			for _, i := range l.byPart[part] {
				if !chosen[i] && l.files[i].meets(nd) {
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
func (f fileMeta) meets(nd need) bool {
	for col, b := range nd {
		r, ok := f.keys[col]
		if !ok {
			continue
		}
		if b.lo != "" && r[1] < b.lo || b.hi != "" && r[0] > b.hi {
			return false
		}
		if b.in != nil && !slices.ContainsFunc(b.in, func(v string) bool { return r[0] <= v && v <= r[1] }) {
			return false
		}
	}
	return true
}
