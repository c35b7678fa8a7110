package tables

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
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
// data files) nor the table's metadata (the current file, its log, its
// statistics and version-hint.text) references: Iceberg's orphans, as of
// now. It lists the objects before it loads the table, so each object
// listed is checked against every snapshot committed before it was listed;
// objects made after the call are not in it. The current snapshot's
// manifests are read through the cache commits plan with (see liveFiles):
// only the manifests older snapshots alone hold are read again.
func (c *Catalog) Unreferenced(ctx context.Context, dataset string) (map[string]bool, error) {
	ctx = c.ioContext(ctx)
	ds, ok := market.DatasetByName(dataset)
	if !ok {
		return nil, fmt.Errorf("iceberg orphans: unknown dataset %q", dataset)
	}
	keys, err := c.store.List(ctx, dataset+"/")
	if err != nil {
		return nil, fmt.Errorf("iceberg orphans of %s: %w", dataset, err)
	}
	// A crashed put's temporary file is an orphan too.
	if d, ok := c.store.(interface {
		Temporaries(prefix string) ([]lake.ObjectInfo, error)
	}); ok {
		tmp, err := d.Temporaries(dataset + "/")
		if err != nil {
			return nil, fmt.Errorf("iceberg orphans of %s: %w", dataset, err)
		}
		for _, o := range tmp {
			keys = append(keys, o.Key)
		}
	}
	tbl, err := c.load(ctx, dataset)
	if err != nil {
		return nil, err
	}
	ref, err := c.referenced(ctx, tbl, ds)
	if err != nil {
		return nil, fmt.Errorf("iceberg orphans of %s: %w", dataset, err)
	}
	out := map[string]bool{}
	for _, k := range keys {
		if !ref[k] {
			out[k] = true
		}
	}
	return out, nil
}

// referenced returns the lake keys a table references: its metadata file,
// the earlier ones its log names, its statistics files, its version hint,
// and each live snapshot's manifest list, manifests and live data files.
// A reference outside the lake is an error: the objects it names could
// not be told from orphans.
func (c *Catalog) referenced(ctx context.Context, tbl *table.Table, ds *market.Dataset) (map[string]bool, error) {
	name := strings.Join(tbl.Identifier(), ".")
	md := tbl.Metadata()
	dir := path.Join(ds.Name, lake.MetadataDir)
	hintKey := path.Join(dir, lake.VersionHint)
	ref := map[string]bool{hintKey: true}
	add := func(loc string) error {
		k, ok := c.keyOf(loc)
		if !ok {
			return fmt.Errorf("iceberg table %s references %s, outside the lake %s", name, loc, c.root)
		}
		ref[k] = true
		return nil
	}
	locs := []string{tbl.MetadataLocation()}
	for e := range md.PreviousFiles() {
		locs = append(locs, e.MetadataFile)
	}
	for sf := range md.Statistics() {
		locs = append(locs, sf.StatisticsPath)
	}
	for sf := range md.PartitionStatistics() {
		locs = append(locs, sf.StatisticsPath)
	}
	for _, loc := range locs {
		if loc == "" {
			continue
		}
		if err := add(loc); err != nil {
			return nil, err
		}
	}
	// The metadata file version-hint.text names, which path-based readers
	// open: it is the current one unless a commit raced the hint's write,
	// and then it must stay until the next commit points the hint on.
	if b, err := c.store.Get(ctx, hintKey); err == nil {
		hint := strings.TrimSpace(string(b))
		ref[path.Join(dir, hint)] = true // readers try the name as given first
		ref[path.Join(dir, hint+".metadata.json")] = true
	} else if !errors.Is(err, lake.ErrNotFound) {
		return nil, fmt.Errorf("iceberg table %s: %w", name, err)
	}
	current := tbl.CurrentSnapshot()
	if current == nil {
		return ref, nil
	}
	manifests, files, err := c.liveManifests(ctx, tbl, ds)
	if err != nil {
		return nil, err
	}
	read := map[string]bool{} // manifests whose data files are in ref
	for _, m := range manifests {
		if err := add(m.FilePath()); err != nil {
			return nil, err
		}
		read[m.FilePath()] = true
		for _, f := range files[m.FilePath()] {
			ref[f.key] = true
		}
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, fmt.Errorf("iceberg table %s: %w", name, err)
	}
	sc := tbl.Schema()
	// The manifests older snapshots alone hold, kept for the next search
	// while the newest snapshot holding each is live (Snapshots runs from
	// the oldest).
	older := map[string]manifestFiles{}
	for _, snap := range md.Snapshots() {
		if snap.ManifestList == "" {
			continue
		}
		if err := add(snap.ManifestList); err != nil {
			return nil, err
		}
		if snap.SnapshotID == current.SnapshotID {
			manifests = nil // read above, through the cache
		} else if manifests, err = snap.Manifests(fs); err != nil {
			return nil, fmt.Errorf("iceberg table %s: manifest list %s: %w", name, snap.ManifestList, err)
		}
		for _, m := range manifests {
			if err := add(m.FilePath()); err != nil {
				return nil, err
			}
			if mf, ok := older[m.FilePath()]; ok {
				mf.seen = snap.SnapshotID
				older[m.FilePath()] = mf
			}
			if read[m.FilePath()] {
				continue
			}
			read[m.FilePath()] = true
			if m.ManifestContent() != iceberg.ManifestContentData {
				return nil, fmt.Errorf("iceberg table %s: manifest %s holds delete files, which tickerlake does not write", name, m.FilePath())
			}
			entries, ok := c.cached(ds, m.FilePath())
			if !ok {
				if entries, err = readManifest(fs, name, m, ds, sc, c.root); err != nil {
					return nil, err
				}
			}
			// Even when cached by a commit: the next would drop it.
			older[m.FilePath()] = manifestFiles{files: entries, seen: snap.SnapshotID, older: true}
			for _, f := range entries {
				ref[f.key] = true
			}
		}
	}
	if len(older) > 0 {
		c.rememberOlder(tbl, ds, older)
	}
	return ref, nil
}

// keyOf turns a file location, with or without the table's scheme, into
// a lake key; ok is false when the location lies outside the lake.
// iceberg-go escapes the locations it makes from the table's (its
// metadata, manifest lists and manifests: "my%20lake" for a folder "my
// lake"), and the lake's root is kept as given.
func (c *Catalog) keyOf(p string) (string, bool) {
	if k, ok := strings.CutPrefix(p, c.root+"/"); ok {
		return k, true
	}
	local, isLocal := strings.CutPrefix(c.root, "file://")
	if isLocal {
		if k, ok := strings.CutPrefix(p, local+"/"); ok {
			return k, true
		}
	}
	if u, err := url.Parse(p); err == nil && u.Scheme != "" {
		if k, ok := strings.CutPrefix(u.Scheme+"://"+u.Host+u.Path, c.root+"/"); ok {
			return k, true
		}
	}
	return p, false
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
			if next == tbl && c.metadataLocation(ctx, dataset) != tbl.MetadataLocation() {
				// Nothing committed (a replay), on a table another writer
				// has moved on from since: the hint it wrote stands, where
				// ours would point readers back at an old metadata file.
				return nil
			}
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
