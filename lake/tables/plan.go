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

// A commit plans against the table's current data files. Reading every
// manifest for each commit makes a commit cost grow with the table, so the
// catalog keeps, per table, what planning needs of each data file (its
// key and key bounds) by manifest: a manifest never changes once written,
// and a commit keeps most of its parent's manifests, so a commit reads only
// the manifest list and the manifests written since the last one it saw.
// Only the manifests of the snapshot last planned against are kept: the
// memory is that of one table's file list, a few hundred bytes a file.

// fileEntry is what planning needs of one data file of a table.
type fileEntry struct {
	key      string         // lake key
	bounds   lake.KeyRanges // natural key bounds; nil when the manifest has none
	manifest iceberg.ManifestFile
}

// liveFiles returns the data files of the table's current snapshot,
// reading only the manifests it has not read before.
func (c *Catalog) liveFiles(ctx context.Context, tbl *table.Table, ds *market.Dataset) ([]fileEntry, error) {
	name := strings.Join(tbl.Identifier(), ".")
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return nil, nil
	}
	fs, manifests, err := currentManifests(ctx, tbl)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	seen := c.manifests[ds.Name]
	c.mu.Unlock()
	next := make(map[string][]fileEntry, len(manifests))
	var out []fileEntry
	sc := tbl.Schema()
	for _, m := range manifests {
		if m.ManifestContent() != iceberg.ManifestContentData {
			// The lake writes no delete files (it rewrites instead): rows
			// they hide would count as live here.
			return nil, fmt.Errorf("iceberg table %s: manifest %s holds delete files, which tickerlake does not write", name, m.FilePath())
		}
		files, ok := seen[m.FilePath()]
		if !ok {
			for e, err := range m.Entries(fs, true) {
				if err != nil {
					return nil, fmt.Errorf("iceberg table %s: manifest %s: %w", name, m.FilePath(), err)
				}
				df := e.DataFile()
				files = append(files, fileEntry{
					key:      strings.Clone(c.lakeKey(df.FilePath())),
					bounds:   keyBounds(ds, sc, df),
					manifest: m,
				})
			}
		}
		next[m.FilePath()] = files
		out = append(out, files...)
	}
	c.mu.Lock()
	c.manifests[ds.Name] = next
	c.mu.Unlock()
	return out, nil
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
