package lake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
)

// Compactor merges each Hive partition's small committed files into one
// Parquet and one CSV object, keeping one row per natural key (the most
// recently ingested); in a dataset of UTCDays, each UTC day's files of a
// partition into one object of that day. See the package doc for why
// readers never see a row twice or lose one. A partition is merged in
// memory: a day of a full universe's option snapshots needs about a
// gigabyte, so run it where that is available. With Tables, as the
// commands run it, it plans from each table's current snapshot and commits
// each merge to the table alone, as a replace; the janitor deletes the
// replaced objects once no live snapshot holds them. Without, it plans
// from the commit records, writes one per merge and later deletes what it
// replaced.
type Compactor struct {
	Store Store
	Log   *slog.Logger
	Clock clock.Clock // default the system clock
	// MinFiles is how many visible Parquet files a partition needs before
	// it is merged (default 2).
	MinFiles int
	// Settle leaves files committed less than this long ago alone, so a
	// partition still being written is merged once, not on every run
	// (default 0: merge everything committed).
	Settle time.Duration
	// Grace is how long, in a lake without tables, replaced objects and
	// retired commit records stay after the commit that replaced them, for
	// readers that listed the old state (default 10m). With tables, the
	// janitor's SnapshotKeep and Grace protect those readers.
	Grace time.Duration
	// LockTTL is when another compactor's lock counts as abandoned
	// (default 1h).
	LockTTL time.Duration
	// Datasets limits the run (default all); Partitions, when set, limits
	// it to those partitions ("date=2026-11-20").
	Datasets   []*market.Dataset
	Partitions []string
	// BeforeCommit, when set, runs after the merged objects are written and
	// before the commit that swaps them in; tests use it to look at the
	// lake in between.
	BeforeCommit func(Commit) error
	// Tables, when set, are what each compaction is committed to, as a
	// replace of the merged files by the new one, with no commit record. A
	// dataset with commit records and no table is refused (ErrNotMigrated).
	Tables Tables
}

// CompactReport says what one run did.
type CompactReport struct {
	Partitions    int // partitions merged (in a dataset of UTCDays, UTC days of one)
	FilesReplaced int // Parquet files replaced by merged ones
	RowsIn        int64
	RowsOut       int64
	// ObjectsDeleted counts the replaced objects and retired commit
	// records deleted, in a lake without tables: with tables, the janitor
	// deletes what compaction replaced and counts it among its orphans.
	ObjectsDeleted int
}

func (c *Compactor) defaults() {
	c.Clock = clock.Or(c.Clock)
	if c.MinFiles < 2 {
		c.MinFiles = 2
	}
	if c.Grace == 0 {
		c.Grace = 10 * time.Minute
	}
	if c.LockTTL == 0 {
		c.LockTTL = time.Hour
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if len(c.Datasets) == 0 {
		c.Datasets = market.Datasets()
	}
}

// Run merges every eligible partition and, without tables, then deletes
// what earlier runs replaced once their grace period is over. Running it
// again changes nothing: a merged partition has one file, and merged
// objects and their commits are named after what they replace.
func (c *Compactor) Run(ctx context.Context) (CompactReport, error) {
	c.defaults()
	var rep CompactReport
	var refused []error // datasets not migrated (ErrNotMigrated)
	for _, ds := range c.Datasets {
		unlock, err := lock(ctx, c.Store, "compact-"+ds.Name, c.Clock.Now(), c.LockTTL)
		if errors.Is(err, errLocked) {
			c.Log.Info("compaction skipped: another compactor holds the lock", "dataset", ds.Name)
			continue
		}
		if err != nil {
			return rep, err
		}
		err = c.dataset(ctx, ds, &rep)
		if uerr := unlock(); err == nil {
			err = uerr
		}
		if errors.Is(err, ErrNotMigrated) {
			// The other datasets are compacted all the same.
			refused = append(refused, err)
			continue
		}
		if err != nil {
			return rep, err
		}
	}
	return rep, errors.Join(refused...)
}

func (c *Compactor) dataset(ctx context.Context, ds *market.Dataset, rep *CompactReport) error {
	if c.Tables != nil {
		groups, err := c.planTable(ctx, ds)
		if err != nil {
			return err
		}
		return c.mergeAll(ctx, ds, groups, rep)
	}
	cat := &Catalog{Store: c.Store}
	snap, err := cat.Snapshot(ctx, ds.Name)
	if err != nil {
		return err
	}
	if err := c.mergeAll(ctx, ds, c.plan(ds, snap), rep); err != nil {
		return err
	}
	n, err := collect(ctx, c.Store, cat, ds, c.Clock.Now().Add(-c.Grace))
	rep.ObjectsDeleted += n
	return err
}

func (c *Compactor) mergeAll(ctx context.Context, ds *market.Dataset, groups []mergeGroup, rep *CompactReport) error {
	for _, g := range groups {
		if err := c.merge(ctx, ds, g, rep); err != nil {
			return fmt.Errorf("compact %s/%s: %w", ds.Name, g.partition, err)
		}
	}
	return nil
}

// mergeGroup is one partition's files to merge: in a dataset of UTCDays,
// those of one UTC day.
type mergeGroup struct {
	partition string
	day       string   // the UTC day, "" for datasets not split by it
	parquet   []string // in commit order
	replaces  []string // parquet and their CSV siblings, sorted
}

// planTable plans from the current snapshot of the dataset's table (see
// tableObjects): each partition's data files, added at least Settle ago,
// with the CSV objects beside the lake objects they descend from.
func (c *Compactor) planTable(ctx context.Context, ds *market.Dataset) ([]mergeGroup, error) {
	objs, err := tableObjects(ctx, c.Tables, c.Store, ds)
	if err != nil {
		return nil, err
	}
	cutoff := c.Clock.Now().Add(-c.Settle)
	g := newGrouping(ds, c.Partitions)
	for _, o := range objs {
		if c.Settle == 0 || !o.added.After(cutoff) {
			g.add(o.key, o.format, o.keys)
		}
	}
	return g.groups(c.MinFiles), nil
}

// tableObject is a data file of a table ("parquet"), the lake object a
// rewritten one descends from ("rewritten"), or the CSV object beside
// that object ("csv").
type tableObject struct {
	key, format string
	added       time.Time // when its data file was added to the table
	keys        KeyRanges // its data file's key bounds
}

// tableObjects lists the data files of the current snapshot of a
// dataset's table, each followed by the CSV object beside the lake object
// it descends from when that is present. Without a table for the dataset
// there are none, unless the lake holds commit records of it, which a
// table created now would hide: ErrNotMigrated.
func tableObjects(ctx context.Context, t Tables, st Store, ds *market.Dataset) (objs []tableObject, err error) {
	_, files, ok, err := t.Visible(ctx, ds.Name, "")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noRecords(ctx, st, ds.Name)
	}
	present, err := st.List(ctx, ds.Name+"/")
	if err != nil {
		return nil, err
	}
	exists := make(map[string]bool, len(present))
	for _, k := range present {
		exists[k] = true
	}
	for _, f := range files {
		objs = append(objs, tableObject{key: f.Key, format: "parquet", added: f.Added, keys: f.Keys})
		// A rewrite's object and CSV hold rows the table dropped: they go
		// with it, but are not read. Each once, however many rewrites
		// descend from them.
		o := Origin(f.Key)
		if o != f.Key && exists[o] {
			objs = append(objs, tableObject{key: o, format: "rewritten", added: f.Added, keys: f.Keys})
			exists[o] = false
		}
		if csv := strings.TrimSuffix(o, ".parquet") + ".csv"; exists[csv] {
			objs = append(objs, tableObject{key: csv, format: "csv", added: f.Added, keys: f.Keys})
			exists[csv] = false
		}
	}
	return objs, nil
}

// grouping gathers files to merge by partition and, in a dataset of
// UTCDays, by UTC day.
type grouping struct {
	ds     *market.Dataset
	utc    bool
	only   []string
	byPart map[string]*mergeGroup
	order  []string
	seen   map[string]bool
}

func newGrouping(ds *market.Dataset, only []string) *grouping {
	return &grouping{ds: ds, utc: UTCDays(ds), only: only, byPart: map[string]*mergeGroup{}, seen: map[string]bool{}}
}

// add adds an object, whose key bounds (or its Parquet sibling's) are
// keys. In a dataset of UTCDays it joins the group of the UTC day of its
// first instant: every file the writer or a compaction made since holds
// one day's rows, so a merge of one day's makes one of that day. An
// object without bounds joins the partition's group of no day, and one
// spanning two days, which an older writer made, the group of its first.
func (gr *grouping) add(key, format string, keys KeyRanges) {
	p := partitionOfKey(gr.ds.Name, key)
	if p == "" || (len(gr.only) > 0 && !contains(gr.only, p)) || gr.seen[key] {
		return
	}
	gr.seen[key] = true
	label, day := p, ""
	if gr.utc {
		day, _, _ = UTCDaysOf(gr.ds, keys)
		label += daySep + day
	}
	g := gr.byPart[label]
	if g == nil {
		g = &mergeGroup{partition: p, day: day}
		gr.byPart[label] = g
		gr.order = append(gr.order, label)
	}
	if format == "parquet" {
		g.parquet = append(g.parquet, key)
	}
	g.replaces = append(g.replaces, key)
}

// groups are the groups with at least minFiles Parquet files.
func (gr *grouping) groups(minFiles int) []mergeGroup {
	order, byPart := gr.order, gr.byPart
	sort.Strings(order)
	var out []mergeGroup
	for _, p := range order {
		g := byPart[p]
		if len(g.parquet) < minFiles {
			continue
		}
		sort.Strings(g.replaces)
		out = append(out, *g)
	}
	return out
}

// plan plans from the commit records, for a lake without tables.
func (c *Compactor) plan(ds *market.Dataset, snap *Snapshot) []mergeGroup {
	g := newGrouping(ds, c.Partitions)
	cutoff := c.Clock.Now().Add(-c.Settle)
	for _, cm := range snap.Commits {
		if c.Settle > 0 && cm.CommittedAt.After(cutoff) {
			continue
		}
		for _, f := range cm.Files {
			if !snap.isReplaced(f.Key) {
				g.add(f.Key, f.Format, f.Keys)
			}
		}
	}
	return g.groups(c.MinFiles)
}

func (c *Compactor) merge(ctx context.Context, ds *market.Dataset, g mergeGroup, rep *CompactReport) error {
	recs, rowsIn, err := ReadParquet(ctx, c.Store, ds, g.parquet)
	if err != nil {
		return err
	}
	merged, err := dedupe(ctx, ds, recs)
	for _, r := range recs {
		r.Release()
	}
	if err != nil {
		return err
	}
	defer merged.Release()
	pq, err := encodeParquet(nil, ds, []arrow.RecordBatch{merged})
	if err != nil {
		return err
	}
	cv, err := encodeCSV(nil, ds, []arrow.RecordBatch{merged})
	if err != nil {
		return err
	}
	name := "compact-" + digest(g.replaces)
	cm := Commit{Dataset: ds.Name, Kind: KindCompaction, Rows: merged.NumRows(), Replaces: g.replaces, SchemaVersion: market.SchemaVersion,
		key: path.Join(CommitPrefix, ds.Name, "compact-"+g.partition+"-"+digest(g.replaces)+".json")}
	if times, err := ds.TimesOf(merged); err == nil && len(times) > 0 {
		cm.MinTime, cm.MaxTime = times[0], times[0]
		for _, t := range times {
			if t.Before(cm.MinTime) {
				cm.MinTime = t
			}
			if t.After(cm.MaxTime) {
				cm.MaxTime = t
			}
		}
	}
	keys := KeyRangesOf(ds, []arrow.RecordBatch{merged})
	for _, f := range []struct {
		format string
		data   []byte
	}{{"parquet", pq}, {"csv", cv}} {
		key := path.Join(ds.Name, g.partition, name+"."+f.format)
		if _, err := c.Store.PutIfAbsent(ctx, key, f.data); err != nil {
			return err
		}
		cm.Files = append(cm.Files, File{Key: key, Format: f.format, Rows: cm.Rows, Keys: keys})
	}
	if c.BeforeCommit != nil {
		if err := c.BeforeCommit(cm); err != nil {
			return err
		}
	}
	cm.CommittedAt = c.Clock.Now().UTC()
	// With tables the commit's key, named after what it replaces, is the
	// snapshot's: a rerun after a crash commits nothing twice.
	if err := commitTo(ctx, c.Tables, c.Store, cm); err != nil {
		return err
	}
	rep.Partitions++
	rep.FilesReplaced += len(g.parquet)
	rep.RowsIn += rowsIn
	rep.RowsOut += cm.Rows
	c.Log.Info("compacted", "dataset", ds.Name, "partition", g.partition, "utc_day", g.day, "files", len(g.parquet), "rows_in", rowsIn, "rows_out", cm.Rows)
	return nil
}

// ReadParquet reads Parquet objects of ds as record batches, checking they
// hold its columns. The caller releases the batches.
func ReadParquet(ctx context.Context, st Store, ds *market.Dataset, keys []string) ([]arrow.RecordBatch, int64, error) {
	var (
		recs []arrow.RecordBatch
		rows int64
	)
	for _, k := range keys {
		b, err := st.Get(ctx, k)
		if err != nil {
			return nil, 0, err
		}
		tbl, err := pqarrow.ReadTable(ctx, bytes.NewReader(b), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", k, err)
		}
		if err := sameColumns(tbl.Schema(), ds.ArrowSchema()); err != nil {
			tbl.Release()
			return nil, 0, fmt.Errorf("read %s: %w", k, err)
		}
		tr := array.NewTableReader(tbl, 1<<20)
		for tr.Next() {
			r := tr.RecordBatch()
			r.Retain()
			recs = append(recs, r)
			rows += r.NumRows()
		}
		tr.Release()
		tbl.Release()
	}
	return recs, rows, nil
}

// sameColumns checks a file holds the dataset's columns, in order, with
// their types; metadata may differ.
func sameColumns(got, want *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("%d columns, want %d", got.NumFields(), want.NumFields())
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
			return fmt.Errorf("column %d is %s %s, want %s %s", i, g.Name, g.Type, f.Name, f.Type)
		}
	}
	return nil
}

// dedupe concatenates recs and keeps one row per natural key, the one with
// the latest ingested_at (the later input on a tie), sorted by key.
func dedupe(ctx context.Context, ds *market.Dataset, recs []arrow.RecordBatch) (arrow.RecordBatch, error) {
	schema := ds.ArrowSchema()
	cols := make([]arrow.Array, len(ds.Columns))
	for i := range ds.Columns {
		parts := make([]arrow.Array, len(recs))
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		if len(parts) == 0 {
			return array.NewRecordBatch(schema, nil, 0), nil
		}
		a, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			return nil, fmt.Errorf("concatenate %s: %w", ds.Columns[i].Name, err)
		}
		defer a.Release()
		cols[i] = a
	}
	var keyCols []arrow.Array
	var ingested *array.Timestamp
	for i, c := range ds.Columns {
		if c.Key {
			keyCols = append(keyCols, cols[i])
		}
		if c.Name == "ingested_at" {
			ingested, _ = cols[i].(*array.Timestamp)
		}
	}
	if ingested == nil {
		return nil, fmt.Errorf("dataset %s has no ingested_at timestamp column", ds.Name)
	}
	n := cols[0].Len()
	best := map[string]int{}
	for i := 0; i < n; i++ {
		k := RowKey(keyCols, i)
		if j, ok := best[k]; !ok || ingested.Value(i) >= ingested.Value(j) {
			best[k] = i
		}
	}
	keys := make([]string, 0, len(best))
	for k := range best {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ib := array.NewInt64Builder(memory.DefaultAllocator)
	defer ib.Release()
	for _, k := range keys {
		ib.Append(int64(best[k]))
	}
	idx := ib.NewArray()
	defer idx.Release()
	out := make([]arrow.Array, len(cols))
	for i, col := range cols {
		a, err := compute.TakeArray(ctx, col, idx)
		if err != nil {
			for _, o := range out[:i] {
				o.Release()
			}
			return nil, fmt.Errorf("take %s: %w", ds.Columns[i].Name, err)
		}
		out[i] = a
	}
	rec := array.NewRecordBatch(schema, out, int64(len(keys)))
	for _, o := range out {
		o.Release()
	}
	return rec, nil
}

// RowKey joins a row's key values; timestamps and dates render in sortable
// ISO form, so the merged file is ordered by key.
func RowKey(cols []arrow.Array, i int) string {
	var b strings.Builder
	for j, c := range cols {
		if j > 0 {
			b.WriteByte(0)
		}
		b.WriteString(c.ValueStr(i))
	}
	return b.String()
}

// partitionOfKey returns the Hive partition element of a data object key
// ("daily_bars/year=2026/x.parquet" -> "year=2026").
func partitionOfKey(dataset, key string) string {
	rest, ok := strings.CutPrefix(key, dataset+"/")
	if !ok {
		return ""
	}
	p, _, ok := strings.Cut(rest, "/")
	if !ok || !strings.Contains(p, "=") {
		return ""
	}
	return p
}

// digest names an object after the set of objects it stands for.
func digest(keys []string) string {
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// commitTo commits a compaction or retention: to the tables alone when
// there are tables, else by its commit record.
func commitTo(ctx context.Context, t Tables, st Store, cm Commit) error {
	if t != nil {
		return t.Commit(ctx, cm)
	}
	body, err := json.MarshalIndent(cm, "", "  ")
	if err != nil {
		return fmt.Errorf("encode commit %s: %w", cm.Key(), err)
	}
	_, err = st.PutIfAbsent(ctx, cm.Key(), body)
	return err
}

// collect deletes, in a lake without tables, for readers that can no
// longer be looking at them, the commit records every file of which is
// replaced and the replaced objects, once the replacing commit is older
// than cutoff. It returns how many objects it deleted.
func collect(ctx context.Context, st Store, cat *Catalog, ds *market.Dataset, cutoff time.Time) (int, error) {
	snap, err := cat.Snapshot(ctx, ds.Name)
	if err != nil {
		return 0, err
	}
	present, err := st.List(ctx, ds.Name+"/")
	if err != nil {
		return 0, err
	}
	exists := make(map[string]bool, len(present))
	for _, k := range present {
		exists[k] = true
	}
	n := 0
	// Records first: a crash in between leaves objects nothing names,
	// which the janitor removes, never a record naming a missing object
	// that a reader could see.
	named := map[string]bool{}
	for _, cm := range snap.Retired {
		due := true
		for _, f := range cm.Files {
			if snap.Replaced[f.Key].CommittedAt.After(cutoff) {
				due = false
			}
		}
		if !due {
			for _, f := range cm.Files {
				named[f.Key] = true
			}
			continue
		}
		if err := st.Delete(ctx, cm.Key()); err != nil {
			return n, err
		}
		n++
	}
	for _, cm := range snap.Commits {
		for _, f := range cm.Files {
			named[f.Key] = true
		}
	}
	replaced := make([]string, 0, len(snap.Replaced))
	for k := range snap.Replaced {
		replaced = append(replaced, k)
	}
	sort.Strings(replaced)
	for _, k := range replaced {
		if !exists[k] || snap.Replaced[k].CommittedAt.After(cutoff) {
			continue
		}
		if err := st.Delete(ctx, k); err != nil {
			return n, err
		}
		n++
	}
	// A retention record replaces objects with nothing; once no record
	// names what it replaced, it has nothing left to hide.
	for _, cm := range snap.Commits {
		if cm.Kind != KindRetention || cm.CommittedAt.After(cutoff) {
			continue
		}
		live := false
		for _, k := range cm.Replaces {
			if named[k] {
				live = true
				break
			}
		}
		if !live {
			if err := st.Delete(ctx, cm.Key()); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
