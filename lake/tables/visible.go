package tables

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
)

// Reader reads the lake's tables as path-based readers do: each table's
// metadata folder holds version-hint.text, which names its current
// metadata file. It needs no catalog, so query replicas need no catalog
// credentials; the writer writes the hint after every commit it makes.
type Reader struct {
	store lake.Store
	root  string
	aws   *lake.S3
	props iceberg.Properties
	err   error // why the tables of this store cannot be read, if they cannot
}

// NewReader reads the tables of the lake in store. A store that is
// neither a directory nor S3 (a wrapper, say) can only be read while it
// holds no table: Visible fails once one has a version hint.
func NewReader(store lake.Store) *Reader {
	root, aws, props, err := storeIO(store)
	return &Reader{store: store, root: root, aws: aws, props: props, err: err}
}

// Visible returns the data files of the current snapshot of a dataset's
// table and the metadata file that names them. When that file is since,
// it reads nothing more and returns no files. ok is false when the lake
// has no table for the dataset.
func (r *Reader) Visible(ctx context.Context, dataset, since string) (version string, files []lake.TableFile, ok bool, err error) {
	loc, tbl, ok, err := r.current(ctx, dataset, since)
	if err != nil || !ok || tbl == nil {
		return loc, nil, ok, err
	}
	if files, err = tableFiles(withAWS(ctx, r.aws), tbl, r.root); err != nil {
		return "", nil, false, err
	}
	return loc, files, true, nil
}

// Committed is when the current snapshot of a dataset's table was
// committed, read from its metadata file alone: zero while the table has
// no snapshot. ok is false when the lake has no table for the dataset.
func (r *Reader) Committed(ctx context.Context, dataset string) (at time.Time, ok bool, err error) {
	_, tbl, ok, err := r.current(ctx, dataset, "")
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return time.Time{}, true, nil
	}
	return time.UnixMilli(snap.TimestampMs).UTC(), true, nil
}

// current reads the version hint of a dataset's table and loads the
// metadata file it names, unless that file is since: then tbl is nil. ok
// is false when the lake has no table for the dataset.
func (r *Reader) current(ctx context.Context, dataset, since string) (loc string, tbl *table.Table, ok bool, err error) {
	hintKey := path.Join(dataset, lake.MetadataDir, lake.VersionHint)
	// A hint on a local disk is rewritten in place: one caught half
	// written is read again.
	for attempt := 0; ; attempt++ {
		b, err := r.store.Get(ctx, hintKey)
		if errors.Is(err, lake.ErrNotFound) {
			return "", nil, false, nil
		}
		if err != nil {
			return "", nil, false, fmt.Errorf("version hint %s: %w", hintKey, err)
		}
		if r.err != nil {
			return "", nil, false, fmt.Errorf("%s: %w", hintKey, r.err)
		}
		hint := strings.TrimSpace(string(b))
		loc := r.root + "/" + path.Join(dataset, lake.MetadataDir, hint+".metadata.json")
		if loc == since {
			return since, nil, true, nil
		}
		if hint != "" {
			tbl, err = table.NewFromLocation(withAWS(ctx, r.aws), Identifier(dataset), loc, icebergio.LoadFSFunc(r.props, loc), nil)
		}
		if hint == "" || err != nil {
			if attempt < 3 && ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if hint == "" {
				return "", nil, false, fmt.Errorf("version hint %s is empty", hintKey)
			}
			return "", nil, false, fmt.Errorf("iceberg table %s: metadata file %s (named by %s): %w", dataset, loc, hintKey, err)
		}
		return loc, tbl, true, nil
	}
}

// Visible is Reader.Visible through the catalog, which names the current
// metadata file itself.
func (c *Catalog) Visible(ctx context.Context, dataset, since string) (version string, files []lake.TableFile, ok bool, err error) {
	ctx = c.ioContext(ctx)
	tbl, err := c.cat.LoadTable(ctx, Identifier(dataset))
	if errors.Is(err, catalog.ErrNoSuchTable) {
		return "", nil, false, nil
	}
	if err != nil {
		if loc := c.metadataLocation(ctx, dataset); loc != "" && !strings.Contains(err.Error(), loc) {
			return "", nil, false, fmt.Errorf("iceberg table %s: metadata file %s: %w", dataset, loc, err)
		}
		return "", nil, false, fmt.Errorf("iceberg table %s: %w", dataset, err)
	}
	if loc := tbl.MetadataLocation(); loc == since {
		return since, nil, true, nil
	}
	ds, ok := market.DatasetByName(dataset)
	if !ok {
		return "", nil, false, fmt.Errorf("iceberg table %s: unknown dataset", dataset)
	}
	// Through the commits' cache of the manifests: retention and
	// compaction plan from here, and commit to the same snapshot.
	entries, err := c.liveFiles(ctx, c.own(tbl), ds)
	if err != nil {
		return "", nil, false, err
	}
	return tbl.MetadataLocation(), tableFilesOf(tbl, entries), true, nil
}

// Exists reports whether the lake has a table for a dataset from the
// catalog's row for it alone: no metadata file or manifest is read. A
// table is never dropped, so one this catalog has loaded is there.
func (c *Catalog) Exists(ctx context.Context, dataset string) (bool, error) {
	c.mu.Lock()
	_, loaded := c.tables[dataset]
	c.mu.Unlock()
	if loaded {
		return true, nil
	}
	ok, err := c.cat.CheckTableExists(ctx, Identifier(dataset))
	if err != nil {
		return false, fmt.Errorf("iceberg table %s: %w", dataset, err)
	}
	return ok, nil
}

// currentManifests opens the manifest list of a table's current snapshot,
// which the caller has checked is there; errors name the table.
func currentManifests(ctx context.Context, tbl *table.Table) (icebergio.IO, []iceberg.ManifestFile, error) {
	name := strings.Join(tbl.Identifier(), ".")
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("iceberg table %s: %w", name, err)
	}
	snap := tbl.CurrentSnapshot()
	manifests, err := snap.Manifests(fs)
	if err != nil {
		return nil, nil, fmt.Errorf("iceberg table %s: manifest list %s: %w", name, snap.ManifestList, err)
	}
	return fs, manifests, nil
}

// tableFiles reads the manifests of a table's current snapshot into what
// planning needs of each data file; nothing of the manifests is kept.
func tableFiles(ctx context.Context, tbl *table.Table, root string) ([]lake.TableFile, error) {
	name := strings.Join(tbl.Identifier(), ".")
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return nil, nil
	}
	ds, ok := market.DatasetByName(tbl.Identifier()[len(tbl.Identifier())-1])
	if !ok {
		return nil, fmt.Errorf("iceberg table %s: unknown dataset", name)
	}
	fs, manifests, err := currentManifests(ctx, tbl)
	if err != nil {
		return nil, err
	}
	sc := tbl.Schema()
	var out []lake.TableFile
	for _, m := range manifests {
		if m.ManifestContent() != iceberg.ManifestContentData {
			// The lake writes no delete files (it rewrites instead): rows
			// they would hide cannot be read correctly here.
			return nil, fmt.Errorf("iceberg table %s: manifest %s holds delete files, which tickerlake does not read", name, m.FilePath())
		}
		entries, err := readManifest(fs, name, m, ds, sc, root)
		if err != nil {
			return nil, err
		}
		out = append(out, tableFilesOf(tbl, entries)...)
	}
	return out, nil
}

// tableFilesOf turns data files of a table into what readers plan with:
// each is added when the snapshot that added it was committed, zero when
// that snapshot has expired.
func tableFilesOf(tbl *table.Table, entries []fileEntry) []lake.TableFile {
	out := make([]lake.TableFile, len(entries))
	added := map[int64]time.Time{}
	for i, f := range entries {
		tf := lake.TableFile{Key: f.key, Rows: f.rows, Columns: f.columns, Keys: f.bounds}
		if t, ok := added[f.snapshot]; ok {
			tf.Added = t
		} else if s := tbl.Metadata().SnapshotByID(f.snapshot); s != nil {
			tf.Added = time.UnixMilli(s.TimestampMs).UTC()
			added[f.snapshot] = tf.Added
		}
		out[i] = tf
	}
	return out
}
