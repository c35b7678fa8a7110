package tables

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/apache/iceberg-go"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	"golang.org/x/sync/errgroup"
)

// A commit plans against the table's current data files, and so do
// retention and compaction, and the janitor's search for orphans reads
// the data files of every live snapshot. Reading every manifest each time
// makes each of them cost what the table holds, so the catalog keeps, per
// table, what they need of each data file by manifest: a manifest never
// changes once written, and a commit keeps most of its parent's
// manifests, so a reader of the current files reads only the manifest
// list and the manifests written since the last one it saw. A manifest
// the current snapshot no longer holds is dropped at the next reading of
// the current files, unless the janitor's search read it from an older
// snapshot: it stays for the next search while that snapshot is live. The
// memory is that of the current snapshot's file list and of the older
// manifests the last search read, a few hundred bytes a file, not of
// every manifest a commit has left behind since the last expiry.

// fileEntry is what planning and readers need of one data file of a table.
type fileEntry struct {
	key      string         // lake key
	bounds   lake.KeyRanges // natural key bounds; nil when the manifest has none
	rows     int64
	columns  int   // columns the manifest has statistics for
	snapshot int64 // the snapshot that added it
	manifest iceberg.ManifestFile
}

// manifestFiles are the live data files of one manifest, and the snapshot
// it was last seen in.
type manifestFiles struct {
	files []fileEntry
	seen  int64
	older bool // read by the search for orphans from an older snapshot
}

// liveFiles returns the data files of the table's current snapshot,
// reading only the manifests it has not read before.
func (c *Catalog) liveFiles(ctx context.Context, tbl *table.Table, ds *market.Dataset) ([]fileEntry, error) {
	manifests, files, err := c.liveManifests(ctx, tbl, ds)
	if err != nil {
		return nil, err
	}
	var out []fileEntry
	for _, m := range manifests {
		out = append(out, files[m.FilePath()]...)
	}
	return out, nil
}

// liveManifests returns the manifests of the table's current snapshot and
// their data files by manifest path, reading only the manifests it has
// not read before.
func (c *Catalog) liveManifests(ctx context.Context, tbl *table.Table, ds *market.Dataset) ([]iceberg.ManifestFile, map[string][]fileEntry, error) {
	name := strings.Join(tbl.Identifier(), ".")
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return nil, nil, nil
	}
	fs, manifests, err := currentManifests(ctx, tbl)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	seen := c.manifests[ds.Name]
	c.mu.Unlock()
	files := make(map[string][]fileEntry, len(manifests))
	sc := tbl.Schema()
	for _, m := range manifests {
		if m.ManifestContent() != iceberg.ManifestContentData {
			// The lake writes no delete files (it rewrites instead): rows
			// they hide would count as live here.
			return nil, nil, fmt.Errorf("iceberg table %s: manifest %s holds delete files, which tickerlake does not write", name, m.FilePath())
		}
		if mf, ok := seen[m.FilePath()]; ok {
			files[m.FilePath()] = mf.files
		} else if files[m.FilePath()], err = readManifest(fs, name, m, ds, sc, c.root); err != nil {
			return nil, nil, err
		}
	}
	c.remember(tbl, ds, snap.SnapshotID, files)
	return manifests, files, nil
}

// remember caches the data files of the manifests of the table's current
// snapshot, and forgets the others but those the search for orphans read
// from an older snapshot the table still has. A stored map is never
// changed: readers use it without the lock.
func (c *Catalog) remember(tbl *table.Table, ds *market.Dataset, snapshot int64, files map[string][]fileEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.manifests[ds.Name]
	next := make(map[string]manifestFiles, len(files))
	for p, mf := range old {
		if mf.older && tbl.Metadata().SnapshotByID(mf.seen) != nil {
			next[p] = mf
		}
	}
	for p, fs := range files {
		next[p] = manifestFiles{files: fs, seen: snapshot}
	}
	c.manifests[ds.Name] = next
}

// rememberOlder caches the data files of manifests the search for orphans
// read from older snapshots of the table, each kept while the newest
// snapshot it was seen in is live, and forgets those last seen in a
// snapshot the table no longer has.
func (c *Catalog) rememberOlder(tbl *table.Table, ds *market.Dataset, older map[string]manifestFiles) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.manifests[ds.Name]
	next := make(map[string]manifestFiles, len(old)+len(older))
	for p, mf := range old {
		if tbl.Metadata().SnapshotByID(mf.seen) != nil {
			next[p] = mf
		}
	}
	for p, mf := range older {
		next[p] = mf
	}
	c.manifests[ds.Name] = next
}

// cached returns the data files of a manifest the catalog has read.
func (c *Catalog) cached(ds *market.Dataset, manifest string) ([]fileEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	mf, ok := c.manifests[ds.Name][manifest]
	return mf.files, ok
}

// readManifest reads the live entries of a data manifest of the table
// name, whose data files lie in the lake at root. Streamed: a large
// manifest is never held whole.
func readManifest(fs icebergio.IO, name string, m iceberg.ManifestFile, ds *market.Dataset, sc *iceberg.Schema, root string) ([]fileEntry, error) {
	var files []fileEntry
	for e, err := range m.Entries(fs, true) {
		if err != nil {
			return nil, fmt.Errorf("iceberg table %s: manifest %s: %w", name, m.FilePath(), err)
		}
		df := e.DataFile()
		key, ok := strings.CutPrefix(df.FilePath(), root+"/")
		if !ok {
			return nil, fmt.Errorf("iceberg table %s: data file %s lies outside the lake %s", name, df.FilePath(), root)
		}
		files = append(files, fileEntry{
			key:      strings.Clone(key),
			bounds:   keyBounds(ds, sc, df),
			rows:     df.Count(),
			columns:  len(df.ValueCounts()),
			snapshot: e.SnapshotID(),
			manifest: m,
		})
	}
	return files, nil
}

// keyBounds is a data file's natural key bounds in its manifest entry, nil
// when some are missing: the file may then hold any key.
func keyBounds(ds *market.Dataset, sc *iceberg.Schema, df iceberg.DataFile) lake.KeyRanges {
	bounds := lake.KeyRanges{}
	lo, hi := df.LowerBoundValues(), df.UpperBoundValues()
	for _, name := range ds.Key() {
		f, ok := sc.FindFieldByName(name)
		if !ok {
			return nil
		}
		l, okl := boundText(f.Type, lo[f.ID])
		h, okh := boundText(f.Type, hi[f.ID])
		if !okl || !okh {
			return nil
		}
		bounds[name] = [2]string{strings.Clone(l), strings.Clone(h)}
	}
	return bounds
}

// manifestFiles returns the manifest entries' data files of the lake keys
// in keys, reading only the manifests that list them.
func (c *Catalog) manifestFiles(fs icebergio.IO, keys []string, listed map[string]fileEntry) (map[string]iceberg.DataFile, error) {
	want := map[string]iceberg.ManifestFile{}
	for _, k := range keys {
		e, ok := listed[k]
		if !ok {
			return nil, fmt.Errorf("data file %s is not in the table", k)
		}
		want[e.manifest.FilePath()] = e.manifest
	}
	need := map[string]bool{}
	for _, k := range keys {
		need[k] = true
	}
	out := make(map[string]iceberg.DataFile, len(keys))
	for _, m := range want {
		for e, err := range m.Entries(fs, true) {
			if err != nil {
				return nil, fmt.Errorf("manifest %s: %w", m.FilePath(), err)
			}
			if k := c.lakeKey(e.DataFile().FilePath()); need[k] {
				out[k] = e.DataFile()
			}
		}
	}
	for _, k := range keys {
		if out[k] == nil {
			return nil, fmt.Errorf("data file %s is not in its manifest", k)
		}
	}
	return out, nil
}

// newDataFiles reads the footers of Parquet objects to add (lake keys)
// into data files of the table, side by side.
func (c *Catalog) newDataFiles(ctx context.Context, tbl *table.Table, fs icebergio.IO, keys []string) ([]iceberg.DataFile, error) {
	out := make([]iceberg.DataFile, len(keys))
	uris := c.uris(keys)
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, uri := range uris {
		g.Go(func() error {
			df, err := table.FileToDataFile(ctx, fs, uri, tbl.Schema(), tbl.Spec(), 0, tbl.Properties())
			if err != nil {
				return fmt.Errorf("data file %s: %w", uri, err)
			}
			out[i] = df
			return nil
		})
	}
	return out, g.Wait()
}
