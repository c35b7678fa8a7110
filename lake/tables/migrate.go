package tables

import (
	"context"
	"strconv"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/tickerlake/tickerlake/lake"
)

// MigrateReport says what Migrate did to one table.
type MigrateReport struct {
	Visible int // Parquet objects the commit records make visible
	Added   int // data files added (objects, and rewrites of those that repeat keys)
	Removed int // data files removed (not visible any more, or rewritten)
}

// Migrate makes a dataset's table hold exactly the Parquet objects that
// the lake's commit records make visible, in place (no object is copied;
// only objects that repeat keys are rewritten without them), in one
// snapshot: a lake written without a catalog, or while the catalog was
// unreachable, becomes readable by every Iceberg engine. Running it again
// changes nothing. It also records, per topic partition, the last offset
// the records cover, so later replays of those ranges add nothing.
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
	for _, cms := range [][]lake.Commit{snap.Commits, snap.Retired} {
		for _, cm := range cms {
			if k, last := throughProperty(cm); k != "" && last > through[k] {
				through[k] = last
			}
		}
	}
	tbl, err := c.load(ctx, dataset)
	if err != nil {
		return rep, err
	}
	err = c.update(ctx, tbl, dataset, "migrate", func(tbl *table.Table) (change, error) {
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
