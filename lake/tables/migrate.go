package tables

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
)

// MigrateReport says what Migrate did to one table.
type MigrateReport struct {
	Visible int // Parquet objects the commit records make visible
	Added   int // data files added (objects, and rewrites of those that repeat keys)
	Removed int // data files removed (not visible any more, or rewritten)
	// Unpartitioned names a visible object holding rows of two UTC days,
	// for which Migrate created the table of a dataset of lake.UTCDays
	// unpartitioned; "" when it did not.
	Unpartitioned string
}

// Migrate makes a dataset's table hold exactly the Parquet objects that
// the lake's commit records make visible, in place (no object is copied;
// only objects that repeat keys are rewritten without them), in one
// snapshot: a lake written without a catalog, or while the catalog was
// unreachable, becomes readable by every Iceberg engine. Running it again
// changes nothing. It also records, per topic partition, the last offset
// the records cover, so later replays of those ranges add nothing.
//
// It refuses (ErrTableAhead) a table that is ahead of the records: one
// holding offsets of a topic partition past the last the records cover,
// a data file descending from no object the records name (a compaction
// committed to the table alone), a partition expired by a retention
// committed to the table alone in which the records still make objects
// visible, or records naming a Parquet object the
// lake no longer holds (the table compacted or rewrote it and the janitor
// removed it). The records would then drop rows only the table holds.
func (c *Catalog) Migrate(ctx context.Context, dataset string) (MigrateReport, error) {
	ctx = c.ioContext(ctx)
	var rep MigrateReport
	snap, err := (&lake.Catalog{Store: c.store}).Snapshot(ctx, dataset)
	if err != nil {
		return rep, err
	}
	visible := snap.Files("parquet")
	rep.Visible = len(visible)
	through := map[string]int64{}
	named, records := map[string]bool{}, map[string]bool{}
	for _, cms := range [][]lake.Commit{snap.Commits, snap.Retired} {
		for _, cm := range cms {
			records[cm.Key()] = true
			if k, last := throughProperty(cm); k != "" && last > through[k] {
				through[k] = last
			}
			for _, f := range cm.Files {
				named[f.Key] = true
			}
		}
	}
	if err := c.missing(ctx, dataset, visible); err != nil {
		return rep, err
	}
	span, err := c.spanning(ctx, dataset, snap.Committed("parquet"))
	if err != nil {
		return rep, err
	}
	tbl, err := c.cat.LoadTable(ctx, Identifier(dataset))
	switch {
	case errors.Is(err, catalog.ErrNoSuchTable) && span != "":
		// The table's data files would be those objects, and a day(ts)
		// partition refuses one of two days.
		c.log.Warn("iceberg table created unpartitioned: an object the commit records make visible holds rows of two UTC days",
			"table", Namespace+"."+dataset, "object", span)
		rep.Unpartitioned = span
		tbl, err = c.open(ctx, dataset, true)
	case err == nil && span != "" && !tbl.Spec().IsUnpartitioned():
		return rep, fmt.Errorf("table %s.%s is partitioned by %s, and %s, which the commit records make visible, holds rows of two UTC days, which no data file of it may",
			Namespace, dataset, tbl.Spec(), span)
	default:
		tbl, err = c.load(ctx, dataset)
	}
	if err != nil {
		return rep, err
	}
	err = c.update(ctx, tbl, dataset, "migrate", func(tbl *table.Table) (change, error) {
		if err := ahead(tbl, dataset, through); err != nil {
			return change{props: iceberg.Properties{}}, err
		}
		if err := c.unrecorded(ctx, tbl, dataset, named); err != nil {
			return change{props: iceberg.Properties{}}, err
		}
		if err := expiredAlone(tbl, dataset, records, visible); err != nil {
			return change{props: iceberg.Properties{}}, err
		}
		ch, err := c.replace(ctx, tbl, "migrate", nil, visible, true)
		ch.props[CommitProperty] = "migrate"
		ch.props["tickerlake.kind"] = "migrate"
		ch.setProps = iceberg.Properties{}
		for k, last := range through {
			if v, err := strconv.ParseInt(tbl.Properties()[k], 10, 64); err != nil || v < last {
				ch.setProps[k] = strconv.FormatInt(last, 10)
			}
		}
		rep.Added, rep.Removed = len(ch.add), len(ch.drop)
		return ch, err
	})
	return rep, err
}

// ErrTableAhead is Migrate's refusal of a table that holds more than the
// lake's commit records.
var ErrTableAhead = errors.New("the table is ahead of the lake's commit records")

// throughPrefix starts the names of the table properties throughProperty
// sets.
const throughPrefix = "tickerlake.through."

// ahead reports, as ErrTableAhead, a table property saying the table holds
// offsets of a topic partition past the last the records cover.
func ahead(tbl *table.Table, dataset string, through map[string]int64) error {
	var past []string
	for k, v := range tbl.Properties() {
		if !strings.HasPrefix(k, throughPrefix) {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > through[k] {
			past = append(past, fmt.Sprintf("%s=%d, records reach %d", k, n, through[k]))
		}
	}
	if len(past) == 0 {
		return nil
	}
	sort.Strings(past)
	return fmt.Errorf("table %s.%s: %w (%s): it holds commits the records lack, and migrating would drop them; the table alone is the lake now, so leave it as it is",
		Namespace, dataset, ErrTableAhead, strings.Join(past, "; "))
}

// missing reports, as ErrTableAhead, a Parquet object that the records
// make visible and the lake no longer holds.
func (c *Catalog) missing(ctx context.Context, dataset string, visible []string) error {
	keys, err := c.store.List(ctx, dataset+"/")
	if err != nil {
		return err
	}
	held := make(map[string]bool, len(keys))
	for _, k := range keys {
		held[k] = true
	}
	var gone []string
	for _, k := range visible {
		if !held[k] && path.Ext(k) == ".parquet" {
			gone = append(gone, k)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return fmt.Errorf("table %s.%s: %w: %d objects the records make visible are gone from the lake, e.g. %s; the table rewrote or compacted them away, so leave it as it is",
		Namespace, dataset, ErrTableAhead, len(gone), gone[0])
}

// unrecorded reports, as ErrTableAhead, a data file of the table that
// descends from no object the commit records name: a compaction
// committed to the table alone made it (a writer's commits are caught
// by their offsets first). It lists the files as the commit's plan does,
// which then reads no manifest again.
func (c *Catalog) unrecorded(ctx context.Context, tbl *table.Table, dataset string, named map[string]bool) error {
	ds, ok := market.DatasetByName(dataset)
	if !ok {
		return fmt.Errorf("iceberg table: unknown dataset %q", dataset)
	}
	files, err := c.liveFiles(ctx, tbl, ds)
	if err != nil {
		return err
	}
	var extra []string
	for _, f := range files {
		if !named[lake.Origin(f.key)] {
			extra = append(extra, f.key)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return fmt.Errorf("table %s.%s: %w: %d of its data files descend from no object the records name, e.g. %s; migrating would drop them, so leave it as it is",
		Namespace, dataset, ErrTableAhead, len(extra), extra[0])
}

// expiredAlone reports, as ErrTableAhead, a partition that a live snapshot
// expired by a retention commit with no record (committed to the table
// alone) while the records still make objects in it visible: migrating
// would bring them back. The retention's commit key names its partition.
func expiredAlone(tbl *table.Table, dataset string, records map[string]bool, visible []string) error {
	expired := map[string]string{} // partition -> the retention's commit key
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary == nil || s.Summary.Properties["tickerlake.kind"] != lake.KindRetention {
			continue
		}
		key := s.Summary.Properties[CommitProperty]
		rest, ok := strings.CutPrefix(path.Base(key), "retention-")
		if i := strings.LastIndex(rest, "-"); ok && i > 0 && !records[key] {
			expired[rest[:i]] = key
		}
	}
	for _, k := range visible {
		p, _, _ := strings.Cut(strings.TrimPrefix(k, dataset+"/"), "/")
		if key, ok := expired[p]; ok {
			return fmt.Errorf("table %s.%s: %w: %s expired partition %s, where the records still make %s visible; migrating would bring it back, so leave it as it is",
				Namespace, dataset, ErrTableAhead, key, p, k)
		}
	}
	return nil
}

// spanning returns the first of files (a dataset's visible objects) that
// holds rows of two UTC days, "" when none does or the dataset is not one
// of lake.UTCDays. An object's key bounds in its record tell; one
// recorded without them is read.
func (c *Catalog) spanning(ctx context.Context, dataset string, files []lake.CommittedFile) (string, error) {
	ds, ok := market.DatasetByName(dataset)
	if !ok || !lake.UTCDays(ds) {
		return "", nil
	}
	for _, f := range files {
		first, last, ok := lake.UTCDaysOf(ds, f.Keys)
		if !ok {
			var err error
			if first, last, err = c.utcDaysRead(ctx, ds, f.Key); err != nil {
				return "", err
			}
		}
		if first != last {
			return f.Key, nil
		}
	}
	return "", nil
}

// utcDaysRead reads the time column of a Parquet object and returns the
// UTC days of its first and last instants ("" for none).
func (c *Catalog) utcDaysRead(ctx context.Context, ds *market.Dataset, key string) (first, last string, err error) {
	recs, err := c.readColumns(ctx, key, []string{ds.TimeCol})
	if err != nil {
		return "", "", err
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, r := range recs {
		times, err := ds.TimesOf(r)
		if err != nil {
			return "", "", fmt.Errorf("read %s: %w", key, err)
		}
		for _, t := range times {
			d := t.Format("2006-01-02")
			if first == "" || d < first {
				first = d
			}
			if d > last {
				last = d
			}
		}
	}
	return first, last, nil
}
