// Package query answers SQL over the lake with DuckDB: one view per dataset
// over the data files of its Apache Iceberg table's current snapshot,
// refreshed as snapshots land and planned per query from the manifests'
// key bounds, plus a hardened read-only database for SQL that arrives over
// the API. A lake without tables is read from its commit records.
package query

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// Options tune an Engine; the zero value suits a local lake.
type Options struct {
	// CacheDir is where a remote lake's objects are mirrored (default a
	// folder under the OS temporary directory named after the lake).
	CacheDir string
	// Files overrides how objects are made readable (default NewFiles).
	Files Files
	// CacheSize bounds the cache of a remote lake, in bytes (default
	// DefaultCacheSize; negative: unbounded). Least recently used files go
	// first; those an open query holds stay.
	CacheSize int64
	// Tables say what is visible (default: each table's version hint in
	// the lake, tables.NewReader).
	Tables Tables
	// ReadOnly limits ReadOnlyQuery.
	ReadOnly Limits
	Log      *slog.Logger
}

// Limits bound one read-only query.
type Limits struct {
	Timeout     time.Duration // statement timeout (default 30s)
	MaxRows     int           // rows returned at most; more set Result.Truncated (default 10000)
	MemoryLimit string        // DuckDB memory_limit of the read-only database (default "512MB")
	Threads     int           // DuckDB threads of the read-only database (default 2)
}

func (l *Limits) defaults() {
	if l.Timeout <= 0 {
		l.Timeout = 30 * time.Second
	}
	if l.MaxRows <= 0 {
		l.MaxRows = 10000
	}
	if l.MemoryLimit == "" {
		l.MemoryLimit = "512MB"
	}
	if l.Threads <= 0 {
		l.Threads = 2
	}
}

// Tables are the lake's Apache Iceberg tables, one per dataset: the data
// files of a table's current snapshot are what its view shows. The tables
// package implements it, with a catalog (tables.Catalog) or without one
// (tables.Reader).
type Tables interface {
	// Visible returns the data files of the current snapshot of a
	// dataset's table and the metadata file naming them (version); when
	// that is since, it returns no files. ok is false when the lake has
	// no table for the dataset.
	Visible(ctx context.Context, dataset, since string) (version string, files []lake.TableFile, ok bool, err error)
}

// Engine runs SQL over the lake.
type Engine struct {
	db        *sql.DB // plans every statement: see plannedConnector
	raw       *sql.DB // the same database, unplanned, for the engine's own statements
	connector *duckdb.Connector
	ro        *readOnlyDB
	tables    Tables
	catalog   *lake.Catalog // commit records, for a lake without tables
	files     Files
	log       *slog.Logger
	// RefreshEvery throttles how often the commit list is re-read (default 500ms).
	RefreshEvery time.Duration

	mu        sync.Mutex
	refreshed time.Time
	layouts   map[string]*layout  // per dataset, at the last refresh
	viewFiles map[string]string   // fingerprint of each dataset's visible files at the last refresh
	listed    map[string][32]byte // digest of each dataset's commit record keys at the last refresh
	versions  map[string]string   // the metadata file of each dataset's table at the last refresh
	want      map[string]bool     // every visible file, for the cache to keep

	vmu      sync.Mutex
	verdicts map[[32]byte]bool // a set of files -> whether no key repeats among them; files never change
	checked  int               // files read to check keys, for tests
}

// maxVerdicts bounds the remembered key checks; past it they start over.
const maxVerdicts = 100000

// Open starts an in-memory DuckDB whose views read the lake in store.
func Open(store lake.Store) (*Engine, error) { return OpenWith(store, Options{}) }

// OpenWith is Open with options.
func OpenWith(store lake.Store, opts Options) (*Engine, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	files := opts.Files
	if files == nil {
		dir := opts.CacheDir
		if dir == "" {
			sum := sha256.Sum256([]byte(store.String()))
			dir = filepath.Join(os.TempDir(), "tickerlake-cache", hex.EncodeToString(sum[:6]))
		}
		var err error
		if files, err = NewFilesWith(store, dir, opts.CacheSize); err != nil {
			return nil, err
		}
	}
	tbls := opts.Tables
	if tbls == nil {
		tbls = tables.NewReader(store)
	}
	c, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		for _, s := range []string{"SET TimeZone = 'UTC'"} {
			if _, err := ex.ExecContext(context.Background(), s, nil); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	e := &Engine{raw: sql.OpenDB(c), connector: c, tables: tbls, catalog: &lake.Catalog{Store: store}, files: files, log: opts.Log,
		RefreshEvery: 500 * time.Millisecond, layouts: map[string]*layout{}, viewFiles: map[string]string{}, listed: map[string][32]byte{}, versions: map[string]string{}, verdicts: map[[32]byte]bool{}}
	e.db = sql.OpenDB(&plannedConnector{inner: c, e: e})
	opts.ReadOnly.defaults()
	if e.ro, err = openReadOnly(e, files.Roots(), opts.ReadOnly); err != nil {
		e.db.Close()
		e.raw.Close()
		c.Close()
		return nil, err
	}
	for _, db := range []*sql.DB{e.raw, e.ro.raw} {
		if err := unplannedViews(db); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// unplannedViews creates each view in the main schema as one that fails:
// queries read the temporary views planned for them, and a read the
// planner missed says so rather than answering from the wrong files.
func unplannedViews(db *sql.DB) error {
	for _, ds := range market.Datasets() {
		cols := make([]string, len(ds.Columns))
		for i, c := range ds.Columns {
			cols[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type.SQL(), quoteIdent(c.Name))
		}
		q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s WHERE error(%s)", quoteIdent(ds.Name), strings.Join(cols, ", "),
			quoteString("view "+ds.Name+" was read without a plan of its files; name it directly in the query"))
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("create view %s: %w", ds.Name, err)
		}
	}
	return nil
}

// Close releases DuckDB.
func (e *Engine) Close() error {
	err := e.db.Close()
	if rerr := e.raw.Close(); err == nil {
		err = rerr
	}
	if cerr := e.connector.Close(); err == nil {
		err = cerr
	}
	if rerr := e.ro.Close(); err == nil {
		err = rerr
	}
	return err
}

// DB is the underlying database with the lake's views: each statement is
// planned first, so it reads only the files it may need. It is not
// restricted: SQL from outside goes through ReadOnlyQuery.
func (e *Engine) DB() *sql.DB { return e.db }

// Files is how the engine reads the lake's objects.
func (e *Engine) Files() Files { return e.files }

// Refresh reads which data files each dataset's table holds at its
// current snapshot, so that the next queries see new commits, and
// compaction or retention swapping files. It reads the table's manifests
// only when the table has a new snapshot, and no data. A dataset of a lake
// without tables is read from its commit records.
func (e *Engine) Refresh(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if time.Since(e.refreshed) < e.RefreshEvery && len(e.viewFiles) > 0 {
		return nil
	}
	changed := false
	for _, ds := range market.Datasets() {
		since := e.versions[ds.Name]
		version, files, ok, err := e.tables.Visible(ctx, ds.Name, since)
		if err != nil {
			return fmt.Errorf("read table %s: %w", ds.Name, err)
		}
		if ok {
			if version != since || e.layouts[ds.Name] == nil {
				e.layouts[ds.Name] = tableLayout(ds, files)
				e.versions[ds.Name] = version
				e.viewFiles[ds.Name] = version
				delete(e.listed, ds.Name)
				changed = true
				e.log.Debug("view refreshed", "dataset", ds.Name, "snapshot", version, "files", len(files))
			}
			continue
		}
		delete(e.versions, ds.Name)
		// Commit records never change: the same listing is the same
		// snapshot, and a listing is all a quiet lake costs.
		records, err := e.catalog.Store.List(ctx, path.Join(lake.CommitPrefix, ds.Name)+"/")
		if err != nil {
			return fmt.Errorf("list %s: %w", ds.Name, err)
		}
		listed := sha256.Sum256([]byte(fingerprint(records)))
		if old, ok := e.listed[ds.Name]; ok && old == listed {
			continue
		}
		snap, err := e.catalog.Snapshot(ctx, ds.Name)
		if err != nil {
			return fmt.Errorf("list %s: %w", ds.Name, err)
		}
		e.listed[ds.Name] = listed
		keys := snap.Files("parquet")
		fp := fingerprint(keys)
		if old, ok := e.viewFiles[ds.Name]; ok && old == fp {
			continue
		}
		e.layouts[ds.Name] = newLayout(ds, snap)
		e.viewFiles[ds.Name] = fp
		changed = true
		e.log.Debug("view refreshed", "dataset", ds.Name, "files", len(keys))
	}
	if changed || e.want == nil {
		e.want = map[string]bool{}
		for _, l := range e.layouts {
			for _, f := range l.files {
				e.want[f.key] = true
			}
		}
	}
	want := e.want
	if err := e.files.Settle(want); err != nil {
		e.log.Warn("evict cached files", "err", err)
	}
	e.refreshed = time.Now()
	return nil
}

// viewsFor plans q (see plan) and returns, for each view it reads, the
// SELECT over the files it may need, with those files held in the cache
// until release.
func (e *Engine) viewsFor(ctx context.Context, q string, args []driver.NamedValue) (map[string]installed, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, err
	}
	var tree string
	if err := e.raw.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", q).Scan(&tree); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tree = "" // not a statement DuckDB serializes: every view it names is read whole
	}
	out := map[string]installed{}
	fail := func(err error) (map[string]installed, error) {
		for _, v := range out {
			v.release()
		}
		return nil, err
	}
	for ds, nds := range plan(q, tree, args) {
		v, err := e.view(ctx, ds, nds)
		if err != nil {
			return fail(err)
		}
		out[ds.Name] = v
	}
	return out, nil
}

// view is the SELECT of one view over the files the needs may read.
func (e *Engine) view(ctx context.Context, ds *market.Dataset, nds []need) (installed, error) {
	e.mu.Lock()
	l := e.layouts[ds.Name]
	e.mu.Unlock()
	if l == nil {
		l = emptyLayout(ds)
	}
	picked := l.pick(nds)
	keys := make([]string, len(picked))
	for i, f := range picked {
		keys[i] = f.key
	}
	paths, release, err := e.files.Acquire(ctx, keys)
	if err != nil {
		return installed{}, fmt.Errorf("read %s: %w", ds.Name, err)
	}
	q, err := e.viewSQL(ctx, l, picked, paths)
	if err != nil {
		release()
		return installed{}, err
	}
	return installed{sql: q, release: release}, nil
}

// viewSQL is the SELECT behind a dataset's view. Replays are rare, so most
// files hold keys no other file holds: their rows are read as they are,
// which lets DuckDB push filters into the Parquet scan. Only files that
// share a key with another (or repeat one themselves) are collapsed by
// natural key (ds.ViewSQL). A partition is a function of the key, so
// duplicates never span partitions. Within one, the commit records bound
// each file's key columns: files whose ranges are disjoint in some column
// cannot share a key, so the partition falls into groups of files whose
// ranges overlap, and only a group is read to check (its key columns
// only, once per set of files, the verdict kept). A new commit thus costs
// a look at its own file and those it overlaps, not at the whole
// partition; a file without ranges (from before they were recorded)
// groups its partition as a whole, and a compaction's file alone is
// unique by construction.
func (e *Engine) viewSQL(ctx context.Context, l *layout, files []fileMeta, paths []string) (string, error) {
	ds := l.ds
	if l.unique {
		return readFiles(ds, paths, files), nil
	}
	keys := make([]string, len(files))
	compacted := map[string]bool{}
	version := map[string]int{}
	ranges := map[string]lake.KeyRanges{}
	for i, f := range files {
		keys[i] = f.key
		compacted[f.key] = f.compacted
		version[f.key] = f.version
		ranges[f.key] = l.ranges(f)
	}
	var dirs []string
	byDir := map[string][]int{}
	for i, k := range keys {
		d := path.Dir(k)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], i)
	}
	type group struct {
		keys, paths []string
		fp          [32]byte
		unique      bool
		known       bool
	}
	var groups []*group
	var pending []string // paths of the groups not yet checked
	e.vmu.Lock()
	defer e.vmu.Unlock()
	if len(e.verdicts) > maxVerdicts {
		e.verdicts = map[[32]byte]bool{}
	}
	for _, d := range dirs {
		for _, idx := range overlapGroups(ds, byDir[d], keys, ranges) {
			g := &group{}
			for _, i := range idx {
				g.keys, g.paths = append(g.keys, keys[i]), append(g.paths, paths[i])
			}
			g.fp = sha256.Sum256([]byte(fingerprint(g.keys)))
			g.unique, g.known = e.verdicts[g.fp]
			if len(g.keys) == 1 && compacted[g.keys[0]] {
				g.unique, g.known = true, true
			}
			if !g.known {
				pending = append(pending, g.paths...)
			}
			groups = append(groups, g)
		}
	}
	// Groups cannot share a key, so one scan over all the unchecked ones
	// finds every file holding a repeated key.
	var repeated map[string]bool
	if len(pending) > 0 {
		var err error
		if repeated, err = e.filesRepeatingKeys(ctx, ds, pending); err != nil {
			return "", err
		}
	}
	var clean, dirty []string
	versions := map[int]bool{}
	for _, g := range groups {
		if !g.known {
			g.unique = !slices.ContainsFunc(g.paths, func(p string) bool { return repeated[p] })
		}
		e.verdicts[g.fp] = g.unique
		if g.unique {
			for _, k := range g.keys {
				versions[version[k]] = true
			}
			clean = append(clean, g.paths...)
		} else {
			dirty = append(dirty, g.paths...)
		}
	}
	if len(clean) == 0 {
		return ds.ViewSQL(dirty), nil
	}
	q := selectFiles(ds, clean, len(versions) > 1)
	if len(dirty) > 0 {
		q += " UNION ALL " + ds.ViewSQL(dirty)
	}
	return q, nil
}

// readFiles is the SELECT of a view over files no two of which hold one
// natural key, as a table's are.
func readFiles(ds *market.Dataset, paths []string, files []fileMeta) string {
	if len(paths) == 0 {
		return ds.ViewSQL(nil)
	}
	mixed := slices.ContainsFunc(files, func(f fileMeta) bool { return f.version != files[0].version })
	return selectFiles(ds, paths, mixed)
}

// selectFiles reads the view's columns from files as they are.
func selectFiles(ds *market.Dataset, paths []string, mixed bool) string {
	names := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		names[i] = quoteIdent(c.Name)
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = quoteString(p)
	}
	// Matching columns by name costs a look at every file's schema before
	// the scan; files of one schema need no such care.
	opts := ""
	if mixed {
		opts = ", union_by_name=true"
	}
	return fmt.Sprintf("SELECT %s FROM read_parquet([%s]%s)", strings.Join(names, ", "), strings.Join(quoted, ", "), opts)
}

// overlapGroups splits one partition's files (indexes into keys) into
// groups that cannot share a natural key with one another: the connected
// groups of files whose key ranges overlap, in the order of their first
// file. Files are swept in the order of their time column's lower bound,
// so a file is compared only with those still open at its start. When a
// file has no ranges the partition is one group.
func overlapGroups(ds *market.Dataset, files []int, keys []string, ranges map[string]lake.KeyRanges) [][]int {
	sweep := ds.TimeCol
	for _, i := range files {
		if _, ok := ranges[keys[i]][sweep]; !ok {
			return [][]int{files}
		}
	}
	parent := make(map[int]int, len(files))
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	order := slices.Clone(files)
	for _, i := range order {
		parent[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return strings.Compare(ranges[keys[a]][sweep][0], ranges[keys[b]][sweep][0])
	})
	var open []int
	for _, i := range order {
		r := ranges[keys[i]]
		still := open[:0]
		for _, j := range open {
			if ranges[keys[j]][sweep][1] < r[sweep][0] {
				continue // ends before this file starts, and before every later one
			}
			still = append(still, j)
			if r.Overlap(ranges[keys[j]], ds) {
				parent[find(i)] = find(j)
			}
		}
		open = append(still, i)
	}
	byRoot := map[int]int{}
	var groups [][]int
	for _, i := range files {
		root := find(i)
		g, ok := byRoot[root]
		if !ok {
			g = len(groups)
			byRoot[root] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// filesRepeatingKeys returns which of files hold a natural key that
// occurs more than once among them, reading only the key columns.
func (e *Engine) filesRepeatingKeys(ctx context.Context, ds *market.Dataset, files []string) (map[string]bool, error) {
	key := make([]string, 0, len(ds.Key()))
	for _, k := range ds.Key() {
		key = append(key, quoteIdent(k))
	}
	quoted := make([]string, len(files))
	for i, p := range files {
		quoted[i] = quoteString(p)
	}
	q := fmt.Sprintf("SELECT DISTINCT unnest(list(filename)) FROM read_parquet([%s], union_by_name=true, filename=true) GROUP BY %s HAVING count(*) > 1",
		strings.Join(quoted, ", "), strings.Join(key, ", "))
	e.checked += len(files)
	rows, err := e.raw.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("check %s keys: %w", ds.Name, err)
	}
	defer rows.Close()
	asked := make(map[string]bool, len(files))
	for _, f := range files {
		asked[f] = true
	}
	out := map[string]bool{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, fmt.Errorf("check %s keys: %w", ds.Name, err)
		}
		if !asked[f] {
			// DuckDB spelled a file otherwise than it was asked for:
			// which one repeats keys is unknown, so all may.
			e.log.Warn("key check names an unknown file", "dataset", ds.Name, "file", f)
			return asked, nil
		}
		out[f] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check %s keys: %w", ds.Name, err)
	}
	return out, nil
}

// fingerprint identifies a set of files: compaction can swap files without
// changing their number.
func fingerprint(keys []string) string { return strings.Join(keys, "\x00") }

// Result is a query's answer.
type Result struct {
	Columns []string
	Types   []string
	Rows    [][]any
	// Truncated says more rows matched than were returned.
	Truncated bool
}

// Query refreshes the views and runs q, returning at most limit rows
// (0 means all). Names of the lake's objects (s3://bucket/prefix/...) in
// string literals are rewritten to where the engine reads them. Query is
// for trusted callers (the CLI, the API's own queries); SQL from users goes
// through ReadOnlyQuery.
func (e *Engine) Query(ctx context.Context, q string, limit int, args ...any) (*Result, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, err
	}
	q, err := rewriteNames(ctx, q, e.files)
	if err != nil {
		return nil, err
	}
	rows, err := e.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collectRows(rows, limit)
}

// collectRows reads at most limit rows (0: all).
func collectRows(rows *sql.Rows, limit int) (*Result, error) {
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, c := range cols {
		res.Columns = append(res.Columns, c.Name())
		res.Types = append(res.Types, c.DatabaseTypeName())
	}
	// Rows are carved from blocks of values rather than allocated one by
	// one: a chain's hundreds of rows cost as much to collect as to scan.
	ptrs := make([]any, len(cols))
	var block []any
	for rows.Next() {
		if limit > 0 && len(res.Rows) >= limit {
			res.Truncated = true
			break
		}
		if len(block) < len(cols) {
			block = make([]any, 64*len(cols))
		}
		vals := block[:len(cols):len(cols)]
		block = block[len(cols):]
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteString quotes an SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// errorOf unwraps DuckDB's error type, if any.
func errorOf(err error) (duckdb.ErrorType, bool) {
	var de *duckdb.Error
	if errors.As(err, &de) {
		return de.Type, true
	}
	return 0, false
}
