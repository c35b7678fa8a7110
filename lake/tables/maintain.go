package tables

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// KeepSnapshots is how many of a table's newest snapshots Expire always
// keeps, however old.
const KeepSnapshots = 10

// keepMetadata is how many earlier metadata files a table's metadata log
// names; older ones are unreferenced, for the janitor.
const keepMetadata = "20"

// Expire drops the snapshots of a dataset's table older than keep, except
// the newest KeepSnapshots; the files only they referenced become
// unreferenced, for the janitor to remove once no commit record names them.
// It returns how many snapshots it dropped.
func (c *Catalog) Expire(ctx context.Context, dataset string, keep time.Duration) (int, error) {
	ctx = c.ioContext(ctx)
	tbl, err := c.load(ctx, dataset)
	if err != nil {
		return 0, err
	}
	dropped := 0
	err = c.retry(ctx, tbl, dataset, "expire snapshots", func(tbl *table.Table) (*table.Table, error) {
		before := len(tbl.Metadata().Snapshots())
		txn := tbl.NewTransaction()
		if tbl.Properties()[table.MetadataPreviousVersionsMaxKey] != keepMetadata {
			if err := txn.SetProperties(iceberg.Properties{table.MetadataPreviousVersionsMaxKey: keepMetadata}); err != nil {
				return nil, err
			}
		}
		// Deleting files is the janitor's: a file an expired snapshot held
		// may still be named by a commit record.
		if err := txn.ExpireSnapshots(table.WithOlderThan(keep), table.WithRetainLast(KeepSnapshots), table.WithPostCommit(false)); err != nil {
			return nil, err
		}
		next, err := txn.Commit(ctx)
		if err != nil {
			return nil, err
		}
		dropped = before - len(next.Metadata().Snapshots())
		return next, nil
	})
	if err == nil && dropped > 0 {
		c.log.Info("iceberg snapshots expired", "table", dataset, "dropped", dropped, "keep", keep)
	}
	return dropped, err
}

// Unreferenced returns the lake keys of the objects under a dataset's table
// location that neither a live snapshot (its manifest list, manifests and
// data files) nor the table's metadata (the current file, its log and
// version-hint.text) references: Iceberg's orphans, as of now. Objects made
// after the call are not in it.
func (c *Catalog) Unreferenced(ctx context.Context, dataset string) (map[string]bool, error) {
	ctx = c.ioContext(ctx)
	tbl, err := c.load(ctx, dataset)
	if err != nil {
		return nil, err
	}
	plan, err := tbl.PlanOrphanFiles(ctx, table.WithFilesOlderThan(0))
	if err != nil {
		return nil, fmt.Errorf("iceberg orphans of %s: %w", dataset, err)
	}
	out := map[string]bool{}
	for _, p := range plan.Files() {
		out[c.keyOfLocation(p)] = true
	}
	return out, nil
}

// keyOfLocation turns a file location, with or without the table's scheme,
// into a lake key.
func (c *Catalog) keyOfLocation(p string) string {
	if k, ok := strings.CutPrefix(p, c.root+"/"); ok {
		return k
	}
	if local, ok := strings.CutPrefix(c.root, "file://"); ok {
		if k, ok := strings.CutPrefix(p, local+"/"); ok {
			return k
		}
	}
	return p
}

// retry commits what op makes of the table, reloading it and trying again
// when another writer committed first.
func (c *Catalog) retry(ctx context.Context, tbl *table.Table, dataset, what string, op func(*table.Table) (*table.Table, error)) error {
	for attempt := 1; ; attempt++ {
		next, err := op(tbl)
		if err == nil {
			c.mu.Lock()
			c.tables[dataset] = next
			c.mu.Unlock()
			return c.writeVersionHint(ctx, next)
		}
		if !conflict(err) || attempt >= c.maxAttempts {
			return fmt.Errorf("iceberg %s of %s: %w", what, dataset, err)
		}
		c.log.Info("iceberg commit conflict; retrying on the new snapshot", "table", dataset, "op", what, "attempt", attempt)
		if tbl, err = c.load(ctx, dataset); err != nil {
			return err
		}
	}
}
