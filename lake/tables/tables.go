// Package tables keeps an Apache Iceberg (format v2) table per dataset in a
// SQL catalog, registering the lake's own Parquet objects as data files, so
// that engines other than tickerlake read what its commits made visible.
package tables

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	icebergio "github.com/apache/iceberg-go/io"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // s3:// data and metadata
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/utils"
	_ "github.com/jackc/pgx/v5/stdlib" // the cluster's PostgreSQL catalog
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	_ "modernc.org/sqlite" // the embedded catalog, pure Go
)

// Namespace holds one table per dataset, named like its view.
const Namespace = "tickerlake"

// catalogName is the SQL catalog's name: its rows in iceberg_tables carry
// it, and so must other engines' catalog settings.
const catalogName = "tickerlake"

// CommitProperty names, in an Iceberg snapshot's summary, the lake commit
// record the snapshot registers; a replayed commit finds it and adds nothing.
const CommitProperty = "tickerlake.commit"

// Catalog registers lake commits in Iceberg tables.
type Catalog struct {
	cat         *sqlcat.Catalog
	db          *sql.DB
	dialect     sqlcat.SupportedDialect
	store       lake.Store
	root        string // the lake's location as a URI, without a trailing slash
	aws         *lake.S3
	log         *slog.Logger
	maxAttempts int // commit attempts on a catalog conflict (default 10)
	// wrapIO, when set, stands between the tables this catalog loads and
	// their file IO: benchmarks count reads through it.
	wrapIO func(icebergio.IO) icebergio.IO

	mu        sync.Mutex
	tables    map[string]*table.Table
	manifests map[string]map[string]manifestFiles // per dataset, by manifest path (see liveFiles)
}

// Open opens the SQL catalog named by uri and the tables of the lake in
// store. uri is a SQLite file (a path, or sqlite:///path) or a PostgreSQL
// URL (postgres://user:pass@host/db).
func Open(ctx context.Context, uri string, store lake.Store, log *slog.Logger) (*Catalog, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{log: log, maxAttempts: 10, tables: map[string]*table.Table{}, manifests: map[string]map[string]manifestFiles{}, store: store}
	root, aws, props, err := storeIO(store)
	if err != nil {
		return nil, err
	}
	c.root, c.aws = root, aws
	driver, dialect, dsn, err := parseCatalogURI(uri)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", Redact(uri), err)
	}
	if driver == "sqlite" {
		// The file's folder (the data dir, by default) may not exist yet,
		// as in a fresh pod's emptyDir.
		if dir := filepath.Dir(strings.TrimPrefix(strings.TrimPrefix(uri, "sqlite://"), "file:")); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, errors.Join(fmt.Errorf("open catalog %s: %w", Redact(uri), err), db.Close())
			}
		}
		// One connection: SQLite serialises writers anyway, and a second
		// connection would see SQLITE_BUSY instead of waiting.
		db.SetMaxOpenConns(1)
	}
	cat, err := sqlcat.NewCatalog(catalogName, db, dialect, props)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open catalog %s: %w", Redact(uri), err), db.Close())
	}
	c.cat, c.db, c.dialect = cat, db, dialect
	if err := cat.CreateNamespace(ctx, table.Identifier{Namespace}, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		return nil, errors.Join(fmt.Errorf("create namespace %s: %w", Namespace, err), c.Close())
	}
	return c, nil
}

// Close closes the catalog's database.
func (c *Catalog) Close() error {
	return errors.Join(c.cat.Close(), c.db.Close())
}

// parseCatalogURI returns the database/sql driver, the catalog's dialect and
// the driver's DSN.
func parseCatalogURI(uri string) (driver string, dialect sqlcat.SupportedDialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(uri, "postgres://"), strings.HasPrefix(uri, "postgresql://"):
		return "pgx", sqlcat.Postgres, uri, nil
	case strings.HasPrefix(uri, "sqlite://"):
		uri = strings.TrimPrefix(uri, "sqlite://")
	case strings.Contains(uri, "://"), uri == "":
		return "", "", "", fmt.Errorf("catalog %q: want a SQLite file or postgres://", Redact(uri))
	}
	// WAL and a busy timeout let two processes share one catalog file.
	return "sqlite", sqlcat.SQLite, "file:" + uri + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)", nil
}

// storeIO is the location of the lake in store as a URI (without a
// trailing slash), its S3 store if it is one, and the file IO properties
// that reach it.
func storeIO(store lake.Store) (root string, aws *lake.S3, props iceberg.Properties, err error) {
	props = iceberg.Properties{}
	switch st := store.(type) {
	case *lake.Dir:
		// iceberg-go parses locations as URLs: a '#' would start a fragment,
		// a '?' a query, and a '%' an escape, each naming another folder.
		if i := strings.IndexAny(st.Root, "#?%"); i >= 0 {
			return "", nil, nil, fmt.Errorf("iceberg tables: lake directory %q has %q, which a table location cannot carry; choose a directory without '#', '?' or '%%'", st.Root, st.Root[i])
		}
		return "file://" + st.Root, nil, props, nil
	case *lake.S3:
		root = strings.TrimSuffix("s3://"+st.Bucket()+"/"+strings.TrimSuffix(st.Prefix(), "/"), "/")
		if ep := st.Endpoint(); ep != "" {
			props[icebergio.S3EndpointURL] = ep
		}
		props[icebergio.S3ForceVirtualAddressing] = strconv.FormatBool(!st.PathStyle())
		cfg := st.AWSConfig()
		props[icebergio.S3Region] = cfg.Region
		return root, st, props, nil
	}
	return "", nil, nil, fmt.Errorf("iceberg tables: lake store %s is neither a directory nor s3", store)
}

// withAWS carries an S3 store's AWS settings (credentials, HTTP client) to
// iceberg-go's S3 file IO.
func withAWS(ctx context.Context, aws *lake.S3) context.Context {
	if aws == nil {
		return ctx
	}
	cfg := aws.AWSConfig()
	return utils.WithAwsConfig(ctx, &cfg)
}

// Redact hides a catalog URL's password.
func Redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil {
		return uri
	}
	return u.Redacted()
}

// ioContext carries the S3 store's AWS settings (credentials, HTTP client)
// to iceberg-go's S3 file IO.
func (c *Catalog) ioContext(ctx context.Context) context.Context { return withAWS(ctx, c.aws) }

// Location is the table location of a dataset: its folder in the lake.
func (c *Catalog) Location(dataset string) string { return c.root + "/" + dataset }

// Identifier names a dataset's table.
func Identifier(dataset string) table.Identifier { return table.Identifier{Namespace, dataset} }

// Table loads a dataset's table, creating it empty if it is missing.
func (c *Catalog) Table(ctx context.Context, dataset string) (*table.Table, error) {
	ctx = c.ioContext(ctx)
	c.mu.Lock()
	tbl, ok := c.tables[dataset]
	c.mu.Unlock()
	if ok {
		return tbl, nil
	}
	return c.load(ctx, dataset)
}

func (c *Catalog) load(ctx context.Context, dataset string) (*table.Table, error) {
	return c.open(ctx, dataset, false)
}

// open loads a dataset's table, creating it if it is missing: with
// partitionSpec, or unpartitioned when plain.
func (c *Catalog) open(ctx context.Context, dataset string, plain bool) (*table.Table, error) {
	ds, ok := market.DatasetByName(dataset)
	if !ok {
		return nil, fmt.Errorf("iceberg table: unknown dataset %q", dataset)
	}
	id := Identifier(dataset)
	tbl, err := c.cat.LoadTable(ctx, id)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		var sc *iceberg.Schema
		sc, err = table.ArrowSchemaToIcebergWithFreshIDs(ds.ArrowSchema(), false)
		if err != nil {
			return nil, fmt.Errorf("iceberg schema %s: %w", dataset, err)
		}
		spec := *iceberg.UnpartitionedSpec
		if !plain {
			if spec, err = partitionSpec(ds, sc); err != nil {
				return nil, fmt.Errorf("iceberg partition spec %s: %w", dataset, err)
			}
		}
		tbl, err = c.cat.CreateTable(ctx, id, sc,
			catalog.WithLocation(c.Location(dataset)),
			catalog.WithPartitionSpec(&spec),
			catalog.WithProperties(iceberg.Properties{
				"format-version":                     "2",
				table.ManifestMergeEnabledKey:        "true",
				table.MetadataPreviousVersionsMaxKey: keepMetadata,
				table.ParquetCompressionKey:          "zstd",
				"tickerlake.natural-key":             strings.Join(ds.Key(), ","),
				"tickerlake.replays-collapse-by":     "ingested_at",
				table.CommitNumRetriesKey:            "10",
				table.CommitTotalRetryTimeoutMsKey:   strconv.Itoa(int((2 * time.Minute).Milliseconds())),
			}))
		if errors.Is(err, catalog.ErrTableAlreadyExists) {
			tbl, err = c.cat.LoadTable(ctx, id) // another writer created it first
		}
		if err == nil {
			err = c.writeVersionHint(ctx, tbl)
		}
	}
	if err != nil {
		if loc := c.metadataLocation(ctx, dataset); loc != "" && !strings.Contains(err.Error(), loc) {
			return nil, fmt.Errorf("iceberg table %s: metadata file %s: %w", strings.Join(id, "."), loc, err)
		}
		return nil, fmt.Errorf("iceberg table %s: %w", strings.Join(id, "."), err)
	}
	tbl = c.own(tbl)
	c.mu.Lock()
	c.tables[dataset] = tbl
	c.mu.Unlock()
	return tbl, nil
}

// own puts wrapIO between a loaded table and its file IO; the tables its
// commits return keep it.
func (c *Catalog) own(tbl *table.Table) *table.Table {
	if c.wrapIO == nil {
		return tbl
	}
	fsF := func(ctx context.Context) (icebergio.IO, error) {
		fs, err := tbl.FS(ctx)
		if err != nil {
			return nil, err
		}
		return c.wrapIO(fs), nil
	}
	return table.New(tbl.Identifier(), tbl.Metadata(), tbl.MetadataLocation(), fsF, c.cat)
}

// metadataLocation is the metadata file the catalog names for a dataset's
// table, "" when it cannot tell: errors reading the table name it.
func (c *Catalog) metadataLocation(ctx context.Context, dataset string) string {
	q := "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?"
	if c.dialect == sqlcat.Postgres {
		q = "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3"
	}
	var loc sql.NullString
	if err := c.db.QueryRowContext(ctx, q, catalogName, Namespace, dataset).Scan(&loc); err != nil {
		return ""
	}
	return loc.String
}

// Commit registers one lake commit: its Parquet objects become data files
// and the objects it replaces stop being data files, in one snapshot, which
// also rewrites the files whose keys the new rows repeat (see resolve). A
// commit already registered is skipped, so replays add nothing twice; on a
// conflict with another writer it reloads the table and tries again.
func (c *Catalog) Commit(ctx context.Context, cm lake.Commit) error {
	ctx = c.ioContext(ctx)
	var add, del []string
	for _, f := range cm.Files {
		if f.Format == "parquet" {
			add = append(add, f.Key)
		}
	}
	for _, k := range cm.Replaces {
		if path.Ext(k) == ".parquet" {
			del = append(del, k)
		}
	}
	if len(add) == 0 && len(del) == 0 {
		return nil
	}
	tbl, err := c.Table(ctx, cm.Dataset)
	if err != nil {
		return err
	}
	if err := fitsSpec(tbl, cm); err != nil {
		return err
	}
	return c.update(ctx, tbl, cm.Dataset, cm.Key(), func(tbl *table.Table) (change, error) {
		if registered(tbl, cm) {
			return change{}, nil
		}
		ch, err := c.replace(ctx, tbl, cm.Key(), del, add, false)
		// A compaction's rows are those it replaces: a rewrite, which
		// readers of changes (incremental scans) skip.
		ch.rewrite = cm.Kind == lake.KindCompaction
		ch.props[CommitProperty] = cm.Key()
		if cm.Kind != "" {
			ch.props["tickerlake.kind"] = cm.Kind
		}
		if k, last := throughProperty(cm); k != "" {
			ch.setProps = iceberg.Properties{k: strconv.FormatInt(last, 10)}
		}
		return ch, err
	})
}

// change is one snapshot to commit: data files to remove and to add (lake
// keys), its summary properties and table properties to set with it.
type change struct {
	drop, add []string
	props     iceberg.Properties
	setProps  iceberg.Properties
	rewrite   bool                 // the same rows in other files: an Iceberg "replace"
	listed    map[string]fileEntry // the table's data files the plan saw, by lake key
}

func (ch change) empty() bool { return len(ch.drop) == 0 && len(ch.add) == 0 }

// update commits the change plan makes of the table as it is, again on
// the table as it then is when another writer committed first.
func (c *Catalog) update(ctx context.Context, tbl *table.Table, dataset, what string, plan func(*table.Table) (change, error)) error {
	return c.retry(ctx, tbl, dataset, "commit "+what, func(tbl *table.Table) (*table.Table, error) {
		ch, err := plan(tbl)
		if err != nil || ch.empty() {
			return tbl, err
		}
		next, err := c.apply(ctx, tbl, ch)
		if err == nil {
			c.log.Debug("iceberg commit", "table", dataset, "commit", what, "added", len(ch.add), "removed", len(ch.drop),
				"snapshot", next.CurrentSnapshot().SnapshotID)
		}
		return next, err
	})
}

// conflict reports whether a commit lost a race with another writer. The
// SQL catalog checks a transaction's requirements against the table as it
// loads it, and says so of a moved branch with a plain error.
func conflict(err error) bool {
	return errors.Is(err, table.ErrCommitFailed) || strings.Contains(err.Error(), "requirement failed")
}

// replace plans a snapshot that removes the data files descending from the
// objects in del, adds the objects in add that the table lacks, and keeps
// natural keys unique. With exact, del is ignored and every data file not
// descending from an object in add is removed instead: the table comes to
// hold exactly those objects.
func (c *Catalog) replace(ctx context.Context, tbl *table.Table, tag string, del, add []string, exact bool) (change, error) {
	ch := change{props: iceberg.Properties{}, listed: map[string]fileEntry{}}
	ds, ok := market.DatasetByName(tbl.Identifier()[len(tbl.Identifier())-1])
	if !ok {
		return ch, fmt.Errorf("unknown dataset of table %s", strings.Join(tbl.Identifier(), "."))
	}
	current, err := c.liveFiles(ctx, tbl, ds)
	if err != nil {
		return ch, err
	}
	for _, f := range current {
		ch.listed[f.key] = f
	}
	gone := map[string]bool{}
	for _, k := range del {
		gone[k] = true
	}
	wanted := map[string]bool{}
	for _, k := range add {
		wanted[k] = true
	}
	present := map[string]bool{} // objects with a data file descending from them
	var rest []fileEntry
	for _, f := range current {
		k := f.key
		o := origin(k)
		if gone[o] || gone[k] || (exact && !wanted[o]) {
			ch.drop = append(ch.drop, k)
			continue
		}
		present[o] = true
		rest = append(rest, f)
	}
	var fresh []string
	for _, k := range add {
		if !present[k] {
			fresh = append(fresh, k)
		}
	}
	if len(fresh) == 0 {
		return ch, nil
	}
	res, err := c.resolve(ctx, ds, rest, fresh, tag)
	if err != nil {
		return ch, err
	}
	ch.drop = append(ch.drop, res.drop...)
	ch.add = res.add
	// The commit skips iceberg-go's own check (a scan of every manifest).
	for _, k := range ch.add {
		if _, ok := ch.listed[k]; ok {
			return ch, fmt.Errorf("cannot add %s: the table holds it already", k)
		}
	}
	return ch, nil
}

// apply commits a planned change as one snapshot. The transaction requires
// the branch to be where the plan found it: iceberg-go would otherwise
// replay it on a newer snapshot whose files the plan did not look at.
func (c *Catalog) apply(ctx context.Context, tbl *table.Table, ch change) (*table.Table, error) {
	txn := tbl.NewTransaction()
	if err := txn.AssertRefSnapshotID(table.MainBranch); err != nil {
		return nil, err
	}
	if len(ch.setProps) > 0 {
		if err := txn.SetProperties(ch.setProps); err != nil {
			return nil, err
		}
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case ch.rewrite && len(ch.drop) > 0:
		err = c.rewrite(ctx, tbl, fs, txn, ch)
	case len(ch.drop) == 0:
		// The plan saw every data file: no need for iceberg-go to read
		// every manifest again to find duplicates.
		var dfs []iceberg.DataFile
		if dfs, err = c.newDataFiles(ctx, tbl, fs, ch.add); err == nil {
			err = txn.AddDataFiles(ctx, dfs, ch.props, table.WithoutDuplicateCheck())
		}
	default:
		err = txn.ReplaceDataFiles(ctx, c.uris(ch.drop), c.uris(ch.add), ch.props)
	}
	if err != nil {
		return nil, err
	}
	return txn.Commit(ctx)
}

// rewrite stages a change as an Iceberg rewrite (operation "replace").
func (c *Catalog) rewrite(ctx context.Context, tbl *table.Table, fs icebergio.IO, txn *table.Transaction, ch change) error {
	old, err := c.manifestFiles(fs, ch.drop, ch.listed)
	if err != nil {
		return err
	}
	added, err := c.newDataFiles(ctx, tbl, fs, ch.add)
	if err != nil {
		return err
	}
	rw := txn.NewRewrite(ch.props)
	for _, k := range ch.drop {
		rw.DeleteFile(old[k])
	}
	for _, df := range added {
		rw.AddDataFile(df)
	}
	return rw.Commit(ctx)
}

// uris turns lake keys into the table's file locations.
func (c *Catalog) uris(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = c.root + "/" + k
	}
	return out
}

// lakeKey turns a file location of the table into a lake key.
func (c *Catalog) lakeKey(uri string) string { return strings.TrimPrefix(uri, c.root+"/") }

// throughProperty names the table property that records, for the commit's
// topic partition, the last offset registered. The writer registers a
// partition's ranges in offset order and stops on a failure, so every
// offset up to it is in the table, whether or not the snapshot that says
// so has expired since.
func throughProperty(cm lake.Commit) (string, int64) {
	if cm.Kind != "" || cm.Topic == "" {
		return "", 0
	}
	return throughPrefix + cm.Topic + "." + strconv.Itoa(cm.Partition), cm.LastOffset
}

// Reload loads a dataset's table as the catalog has it now.
func (c *Catalog) Reload(ctx context.Context, dataset string) (*table.Table, error) {
	return c.load(c.ioContext(ctx), dataset)
}

// Read scans the current snapshot of a table into memory, as any Iceberg
// reader would: tests compare it with what the lake's views show.
func (c *Catalog) Read(ctx context.Context, tbl *table.Table) (arrow.Table, error) {
	out, err := tbl.Scan().ToArrowTable(c.ioContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", strings.Join(tbl.Identifier(), "."), err)
	}
	return out, nil
}

// VersionHint returns what the table's version-hint.text holds.
func (c *Catalog) VersionHint(ctx context.Context, tbl *table.Table) (string, error) {
	fs, err := tbl.FS(c.ioContext(ctx))
	if err != nil {
		return "", err
	}
	loc := tbl.MetadataLocation()
	key := strings.TrimSuffix(loc, path.Base(loc)) + "version-hint.text"
	f, err := fs.Open(key)
	if err != nil {
		return "", fmt.Errorf("version hint %s: %w", key, err)
	}
	b, err := io.ReadAll(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("version hint %s: %w", key, err)
	}
	return string(b), nil
}

// DataFiles returns the locations of the current snapshot's data files.
func (c *Catalog) DataFiles(ctx context.Context, tbl *table.Table) (map[string]bool, error) {
	if tbl.CurrentSnapshot() == nil {
		return map[string]bool{}, nil
	}
	tasks, err := tbl.Scan().PlanFiles(c.ioContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", strings.Join(tbl.Identifier(), "."), err)
	}
	out := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		out[t.File.FilePath()] = true
	}
	return out, nil
}

// digest names an object after what it stands for.
func digest(parts []string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// registered reports whether the table holds a commit already: a snapshot
// names its record, or the offsets of its topic partition are registered.
func registered(tbl *table.Table, cm lake.Commit) bool {
	if k, last := throughProperty(cm); k != "" {
		if v, err := strconv.ParseInt(tbl.Properties()[k], 10, 64); err == nil && v >= last {
			return true
		}
	}
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary != nil && s.Summary.Properties[CommitProperty] == cm.Key() {
			return true
		}
	}
	return false
}

// writeVersionHint points path-based readers (DuckDB's iceberg_scan of the
// table's folder) at the current metadata file: it holds the file's name
// without ".metadata.json", which they try as given.
func (c *Catalog) writeVersionHint(ctx context.Context, tbl *table.Table) error {
	loc := tbl.MetadataLocation()
	fs, err := tbl.FS(ctx)
	if err != nil {
		return fmt.Errorf("version hint %s: %w", loc, err)
	}
	wfs, ok := fs.(icebergio.WriteFileIO)
	if !ok {
		return fmt.Errorf("version hint %s: file IO is read-only", loc)
	}
	hint := strings.TrimSuffix(path.Base(loc), ".metadata.json")
	key := strings.TrimSuffix(loc, path.Base(loc)) + "version-hint.text"
	if err := wfs.WriteFile(key, []byte(hint)); err != nil {
		return fmt.Errorf("version hint %s: %w", key, err)
	}
	return nil
}
