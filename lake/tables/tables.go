// Package tables keeps an Apache Iceberg (format v2) table per dataset in a
// SQL catalog, registering the lake's own Parquet objects as data files, so
// that engines other than tickerlake read what its commits made visible.
package tables

import (
	"context"
	"database/sql"
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

// CommitProperty names, in an Iceberg snapshot's summary, the lake commit
// record the snapshot registers; a replayed commit finds it and adds nothing.
const CommitProperty = "tickerlake.commit"

// Catalog registers lake commits in Iceberg tables.
type Catalog struct {
	cat   *sqlcat.Catalog
	db    *sql.DB
	root  string // the lake's location as a URI, without a trailing slash
	aws   *lake.S3
	log   *slog.Logger
	retry int // commit attempts on a catalog conflict (default 10)

	mu     sync.Mutex
	tables map[string]*table.Table
}

// Open opens the SQL catalog named by uri and the tables of the lake in
// store. uri is a SQLite file (a path, or sqlite:///path) or a PostgreSQL
// URL (postgres://user:pass@host/db).
func Open(ctx context.Context, uri string, store lake.Store, log *slog.Logger) (*Catalog, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{log: log, retry: 10, tables: map[string]*table.Table{}}
	props := iceberg.Properties{}
	switch st := store.(type) {
	case *lake.Dir:
		c.root = "file://" + st.Root
	case *lake.S3:
		c.root = "s3://" + st.Bucket() + "/" + strings.TrimSuffix(st.Prefix(), "/")
		c.root = strings.TrimSuffix(c.root, "/")
		c.aws = st
		if ep := st.Endpoint(); ep != "" {
			props[icebergio.S3EndpointURL] = ep
		}
		props[icebergio.S3ForceVirtualAddressing] = strconv.FormatBool(!st.PathStyle())
		cfg := st.AWSConfig()
		props[icebergio.S3Region] = cfg.Region
	default:
		return nil, fmt.Errorf("iceberg tables: lake store %s is neither a directory nor s3", store)
	}
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
	cat, err := sqlcat.NewCatalog("tickerlake", db, dialect, props)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open catalog %s: %w", Redact(uri), err), db.Close())
	}
	c.cat, c.db = cat, db
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
func (c *Catalog) ioContext(ctx context.Context) context.Context {
	if c.aws == nil {
		return ctx
	}
	cfg := c.aws.AWSConfig()
	return utils.WithAwsConfig(ctx, &cfg)
}

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
		tbl, err = c.cat.CreateTable(ctx, id, sc,
			catalog.WithLocation(c.Location(dataset)),
			catalog.WithProperties(iceberg.Properties{
				"format-version":                   "2",
				table.ManifestMergeEnabledKey:      "true",
				table.ParquetCompressionKey:        "zstd",
				"tickerlake.natural-key":           strings.Join(ds.Key(), ","),
				"tickerlake.replays-collapse-by":   "ingested_at",
				table.CommitNumRetriesKey:          "10",
				table.CommitTotalRetryTimeoutMsKey: strconv.Itoa(int((2 * time.Minute).Milliseconds())),
			}))
		if errors.Is(err, catalog.ErrTableAlreadyExists) {
			tbl, err = c.cat.LoadTable(ctx, id) // another writer created it first
		}
		if err == nil {
			err = c.writeVersionHint(ctx, tbl)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("iceberg table %s: %w", strings.Join(id, "."), err)
	}
	c.mu.Lock()
	c.tables[dataset] = tbl
	c.mu.Unlock()
	return tbl, nil
}

// Commit registers one lake commit: its Parquet objects become data files
// and the objects it replaces stop being data files, in one snapshot. A
// commit already registered is skipped, so replays add nothing twice; on a
// conflict with another writer it reloads the table and tries again.
func (c *Catalog) Commit(ctx context.Context, cm lake.Commit) error {
	ctx = c.ioContext(ctx)
	var add, del []string
	for _, f := range cm.Files {
		if f.Format == "parquet" {
			add = append(add, c.root+"/"+f.Key)
		}
	}
	for _, k := range cm.Replaces {
		if path.Ext(k) == ".parquet" {
			del = append(del, c.root+"/"+k)
		}
	}
	if len(add) == 0 && len(del) == 0 {
		return nil
	}
	tbl, err := c.Table(ctx, cm.Dataset)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		if registered(tbl, cm.Key()) {
			return nil
		}
		next, err := c.commit(ctx, tbl, cm, add, del)
		if err == nil {
			c.mu.Lock()
			c.tables[cm.Dataset] = next
			c.mu.Unlock()
			if err := c.writeVersionHint(ctx, next); err != nil {
				return err
			}
			c.log.Debug("iceberg commit", "table", cm.Dataset, "commit", cm.Key(), "added", len(add), "removed", len(del),
				"snapshot", next.CurrentSnapshot().SnapshotID)
			return nil
		}
		if !conflict(err) || attempt >= c.retry {
			return fmt.Errorf("iceberg commit %s: %w", cm.Key(), err)
		}
		c.log.Info("iceberg commit conflict; retrying on the new snapshot", "table", cm.Dataset, "commit", cm.Key(), "attempt", attempt)
		if tbl, err = c.load(ctx, cm.Dataset); err != nil {
			return err
		}
	}
}

// conflict reports whether a commit lost a race with another writer. The
// SQL catalog checks a transaction's requirements against the table as it
// loads it, and says so of a moved branch with a plain error.
func conflict(err error) bool {
	return errors.Is(err, table.ErrCommitFailed) || strings.Contains(err.Error(), "requirement failed")
}

func (c *Catalog) commit(ctx context.Context, tbl *table.Table, cm lake.Commit, add, del []string) (*table.Table, error) {
	props := iceberg.Properties{CommitProperty: cm.Key()}
	if cm.Kind != "" {
		props["tickerlake.kind"] = cm.Kind
	}
	txn := tbl.NewTransaction()
	if len(del) > 0 {
		present, err := c.DataFiles(ctx, tbl)
		if err != nil {
			return nil, err
		}
		del = keep(del, func(p string) bool { return present[p] })
		add = keep(add, func(p string) bool { return !present[p] })
	}
	var err error
	switch {
	case len(del) == 0 && len(add) == 0:
		return tbl, nil
	case len(del) == 0:
		err = txn.AddFiles(ctx, add, props, true)
	default:
		err = txn.ReplaceDataFiles(ctx, del, add, props)
	}
	if err != nil {
		return nil, err
	}
	return txn.Commit(ctx)
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

// DataFiles returns the paths of the current snapshot's data files.
func (c *Catalog) DataFiles(ctx context.Context, tbl *table.Table) (map[string]bool, error) {
	ctx = c.ioContext(ctx)
	out := map[string]bool{}
	if tbl.CurrentSnapshot() == nil {
		return out, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", strings.Join(tbl.Identifier(), "."), err)
	}
	for _, t := range tasks {
		out[t.File.FilePath()] = true
	}
	return out, nil
}

func keep(paths []string, pred func(string) bool) []string {
	var out []string
	for _, p := range paths {
		if pred(p) {
			out = append(out, p)
		}
	}
	return out
}

// registered reports whether a snapshot of tbl names the commit record key.
func registered(tbl *table.Table, key string) bool {
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary != nil && s.Summary.Properties[CommitProperty] == key {
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
