package tables

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
)

// Readers other than tickerlake take a table's rows as they are, so the
// table never holds a natural key twice: a snapshot that adds rows whose
// keys the table (or the added files themselves) already hold keeps one row
// per key, the most recently ingested (the one added later on a tie), as
// tickerlake's views do, and rewrites every file that loses a row without
// it (copy-on-write). Only files whose key bounds in the manifests overlap
// the added rows' are read; compaction's files, re-collections and replays
// under a new offset range are the usual ones.

// rewriteMark separates a rewritten data file's name from the lake object
// it descends from (lake.RewriteMark).
const rewriteMark = lake.RewriteMark

// origin is the lake object a data file of the table descends from.
func origin(key string) string { return lake.Origin(key) }

// resolution is what one snapshot does to keep keys unique.
type resolution struct {
	drop []string // data files of the table to remove (lake keys)
	add  []string // objects to add as data files (lake keys)
}

// dataFile is a file of the table or one an operation adds, read once.
type dataFile struct {
	key   string // lake key
	fresh bool   // added by this operation
	recs  []arrow.RecordBatch
	keep  [][]bool // per batch and row; nil until a row loses
}

// resolve decides how to add fresh (lake keys, in the order that breaks
// ties: later wins) to a table whose remaining data files are current, so
// that no natural key repeats. tag names the operation; rewritten objects
// are named after it and after the files involved, so a retry writes the
// same object.
func (c *Catalog) resolve(ctx context.Context, ds *market.Dataset, current []fileEntry, fresh []string, tag string) (resolution, error) {
	var res resolution
	byDir := map[string][]string{}
	var dirs []string
	for _, k := range fresh {
		d := path.Dir(k)
		if byDir[d] == nil {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], k)
	}
	sort.Strings(dirs)
	// One partition at a time: a key never spans two.
	for _, d := range dirs {
		var others []fileEntry
		for _, f := range current {
			if path.Dir(f.key) == d {
				others = append(others, f)
			}
		}
		if err := c.resolveDir(ctx, ds, others, byDir[d], tag, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (c *Catalog) resolveDir(ctx context.Context, ds *market.Dataset, others []fileEntry, fresh []string, tag string, res *resolution) error {
	var files []*dataFile
	defer func() {
		for _, f := range files {
			for _, r := range f.recs {
				r.Release()
			}
		}
	}()
	ranges := make([]lake.KeyRanges, 0, len(fresh))
	var added []*dataFile
	cols := append(ds.Key(), "ingested_at")
	for _, k := range fresh {
		recs, err := c.readColumns(ctx, k, cols)
		if err != nil {
			return err
		}
		f := &dataFile{key: k, fresh: true, recs: recs}
		added = append(added, f)
		ranges = append(ranges, lake.KeyRangesOf(ds, recs))
	}
	// The table's files first: the added ones win ties.
	for _, f := range others {
		if !mayOverlap(ds, f.bounds, ranges) {
			continue
		}
		k := f.key
		recs, err := c.readColumns(ctx, k, cols)
		if err != nil {
			return err
		}
		files = append(files, &dataFile{key: k, recs: recs})
	}
	files = append(files, added...)
	if err := keepLatest(ds, files); err != nil {
		return err
	}
	var involved []string
	for _, f := range files {
		involved = append(involved, f.key)
	}
	for _, f := range files {
		if f.keep == nil {
			if f.fresh {
				res.add = append(res.add, f.key)
			}
			continue
		}
		if !f.fresh {
			res.drop = append(res.drop, f.key)
		}
		kept, err := f.kept(ctx, c.store, ds)
		if err != nil {
			return fmt.Errorf("rewrite %s: %w", f.key, err)
		}
		rows := int64(0)
		for _, r := range kept {
			rows += r.NumRows()
		}
		if rows > 0 {
			data, err := lake.EncodeParquet(ds, kept)
			for _, r := range kept {
				r.Release()
			}
			if err != nil {
				return fmt.Errorf("rewrite %s: %w", f.key, err)
			}
			stem := strings.TrimSuffix(origin(f.key), ".parquet")
			key := stem + rewriteMark + digest(append([]string{tag, f.key}, involved...)) + ".parquet"
			if _, err := c.store.PutIfAbsent(ctx, key, data); err != nil {
				return err
			}
			res.add = append(res.add, key)
		} else {
			for _, r := range kept {
				r.Release()
			}
		}
		c.log.Debug("iceberg data file rewritten without repeated keys", "file", f.key, "rows_kept", rows, "by", tag)
	}
	return nil
}

// keepLatest marks, in each file, the rows that lose their key to a row
// ingested later (or to a later row ingested at the same instant).
func keepLatest(ds *market.Dataset, files []*dataFile) error {
	type at struct{ file, batch, row int }
	best := map[string]at{}
	ingestedOf := func(f *dataFile, b int) (*array.Timestamp, error) {
		rec := f.recs[b]
		idx := rec.Schema().FieldIndices("ingested_at")
		if len(idx) != 1 {
			return nil, fmt.Errorf("%s has no ingested_at column", f.key)
		}
		ts, ok := rec.Column(idx[0]).(*array.Timestamp)
		if !ok {
			return nil, fmt.Errorf("%s: ingested_at is %s", f.key, rec.Column(idx[0]).DataType())
		}
		return ts, nil
	}
	lose := func(a at) {
		f := files[a.file]
		if f.keep == nil {
			f.keep = make([][]bool, len(f.recs))
			for b, r := range f.recs {
				f.keep[b] = make([]bool, r.NumRows())
				for i := range f.keep[b] {
					f.keep[b][i] = true
				}
			}
		}
		f.keep[a.batch][a.row] = false
	}
	for fi, f := range files {
		for b, rec := range f.recs {
			ing, err := ingestedOf(f, b)
			if err != nil {
				return err
			}
			var keyCols []arrow.Array
			for _, name := range ds.Key() {
				keyCols = append(keyCols, rec.Column(rec.Schema().FieldIndices(name)[0]))
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				k := lake.RowKey(keyCols, i)
				here := at{fi, b, i}
				prev, seen := best[k]
				if !seen {
					best[k] = here
					continue
				}
				pi, err := ingestedOf(files[prev.file], prev.batch)
				if err != nil {
					return err
				}
				if ing.Value(i) >= pi.Value(prev.row) {
					lose(prev)
					best[k] = here
				} else {
					lose(here)
				}
			}
		}
	}
	return nil
}

// kept reads the file whole and returns its rows that keep their key, in
// batches cut as the key columns' were; the caller releases them.
func (f *dataFile) kept(ctx context.Context, st lake.Store, ds *market.Dataset) ([]arrow.RecordBatch, error) {
	recs, _, err := lake.ReadParquet(ctx, st, ds, []string{f.key})
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var keep []bool // by row of the file
	for _, k := range f.keep {
		keep = append(keep, k...)
	}
	var out []arrow.RecordBatch
	at := 0
	for _, rec := range recs {
		n := int(rec.NumRows())
		if at+n > len(keep) {
			return nil, fmt.Errorf("%s has more rows than its key columns", f.key)
		}
		mb := array.NewBooleanBuilder(memory.DefaultAllocator)
		mb.AppendValues(keep[at:at+n], nil)
		at += n
		mask := mb.NewArray()
		mb.Release()
		r, err := compute.FilterRecordBatch(ctx, rec, mask, compute.DefaultFilterOptions())
		mask.Release()
		if err != nil {
			for _, o := range out {
				o.Release()
			}
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// readColumns reads some columns of a Parquet object.
func (c *Catalog) readColumns(ctx context.Context, key string, names []string) ([]arrow.RecordBatch, error) {
	b, err := c.store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer func() { _ = pf.Close() }()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 20}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	sc, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	idx := make([]int, len(names))
	for i, n := range names {
		f := sc.FieldIndices(n)
		if len(f) != 1 {
			return nil, fmt.Errorf("read %s: no column %s", key, n)
		}
		idx[i] = f[0]
	}
	rr, err := fr.GetRecordReader(ctx, idx, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer rr.Release()
	var out []arrow.RecordBatch
	for rr.Next() {
		r := rr.RecordBatch()
		r.Retain()
		out = append(out, r)
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		for _, r := range out {
			r.Release()
		}
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return out, nil
}

// mayOverlap reports whether a data file's key bounds in the manifest
// overlap any of ranges: a file without bounds (nil) may hold any key.
func mayOverlap(ds *market.Dataset, bounds lake.KeyRanges, ranges []lake.KeyRanges) bool {
	if bounds == nil {
		return true
	}
	for _, r := range ranges {
		if bounds.Overlap(r, ds) {
			return true
		}
	}
	return false
}

// boundText renders an Iceberg single-value bound as KeyRanges text. A
// string bound may be truncated (the upper one rounded up), which only
// widens the range.
func boundText(t iceberg.Type, b []byte) (string, bool) {
	if b == nil {
		return "", false
	}
	switch t.(type) {
	case iceberg.StringType:
		return string(b), true
	case iceberg.TimestampType, iceberg.TimestampTzType:
		if len(b) != 8 {
			return "", false
		}
		return lake.InstantKey(int64(binary.LittleEndian.Uint64(b))), true
	case iceberg.DateType:
		if len(b) != 4 {
			return "", false
		}
		return lake.DateKey(int32(binary.LittleEndian.Uint32(b))), true
	}
	return "", false
}
