package lake

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"
)

// Tables are the lake's open tables (Apache Iceberg, see lake/tables),
// which decide what is visible: the writer's data objects become their data
// files by Commit, with no commit record. Commit must be idempotent: a
// replayed range commits the same range again.
type Tables interface {
	Commit(ctx context.Context, cm Commit) error
	// Expire drops a dataset's table snapshots older than keep (the newest
	// few always stay) and returns how many it dropped.
	Expire(ctx context.Context, dataset string, keep time.Duration) (int, error)
	// Unreferenced returns the keys of the objects under a dataset's
	// folder that no live snapshot of its table references, as of the
	// call: the janitor deletes those past its grace.
	Unreferenced(ctx context.Context, dataset string) (map[string]bool, error)
	// Visible returns the data files of the current snapshot of a
	// dataset's table and the metadata file naming them (version); when
	// that is since, it returns no files. ok is false when the lake has
	// no table for the dataset.
	Visible(ctx context.Context, dataset, since string) (version string, files []TableFile, ok bool, err error)
	// Exists reports whether the lake has a table for a dataset, reading
	// only what names the table (a catalog's entry, a version hint), not
	// its metadata file or manifests.
	Exists(ctx context.Context, dataset string) (bool, error)
}

// MetadataDir is the folder under a dataset's own where its open table's
// metadata lives: without tables, the janitor leaves it alone.
const MetadataDir = "metadata"

// VersionHint is the file in MetadataDir that names the current metadata
// file for readers without a catalog; no snapshot references it.
const VersionHint = "version-hint.text"

// TableFile is what a reader plans with of one data file of a table's
// snapshot, as its manifest describes it.
type TableFile struct {
	Key  string // the lake key
	Rows int64
	// Keys bounds the natural-key columns (nil when the manifest lacks a
	// bound). A string bound may be truncated, which only widens it.
	Keys KeyRanges
	// Columns counts the columns the manifest has statistics for: files
	// written with one schema agree.
	Columns int
	// Added is when the snapshot that added the file was committed.
	Added time.Time
}

// RewriteMark separates the name of a data file that the tables rewrote
// (to drop rows whose keys newer rows repeat) from the name of the lake
// object it descends from: <object>.cow-<digest>.parquet, in its folder.
const RewriteMark = ".cow-"

// Origin is the lake object a table's data file descends from: the object
// itself, or the one a rewrite started from.
func Origin(key string) string {
	dir, base := path.Split(key)
	if stem, _, ok := strings.Cut(base, RewriteMark); ok {
		return dir + stem + ".parquet"
	}
	return key
}

// ErrNotMigrated is the refusal, with tables, to commit to a dataset that
// has no table while the lake holds commit records of it: the table a
// commit would create would hide every row the records make visible. It is
// no transient fault, so the writer does not retry it; `tickerlake
// migrate` turns the records into the table.
var ErrNotMigrated = errors.New("the lake holds commit records but no table; run tickerlake migrate")

// ErrSpansPartitions is the refusal to add a data file whose rows fall in
// two partitions of its table's spec (two UTC days of a day(ts) table):
// Iceberg gives a data file one partition value. The same objects would be
// refused on every try, so the writer stops with it instead of retrying.
var ErrSpansPartitions = errors.New("an object holds rows of two partitions of its table")

// noRecords returns ErrNotMigrated, naming the dataset, when the store
// holds a commit record of it.
func noRecords(ctx context.Context, st Store, dataset string) error {
	keys, err := st.List(ctx, path.Join(CommitPrefix, dataset)+"/")
	if err != nil {
		return fmt.Errorf("list commit records of %s: %w", dataset, err)
	}
	if len(keys) > 0 {
		return fmt.Errorf("%s: %w", dataset, ErrNotMigrated)
	}
	return nil
}

// migrated remembers the datasets a process may commit to through the
// tables: those with a table, or without one and without commit records.
// A table is never dropped and, with tables, nothing writes records, so
// each dataset is checked once.
type migrated struct {
	mu sync.Mutex
	ok map[string]bool
}

// check returns ErrNotMigrated when the dataset has no table and the
// store holds a commit record of it; other errors (the catalog
// unreachable) may pass.
func (m *migrated) check(ctx context.Context, t Tables, st Store, dataset string) error {
	m.mu.Lock()
	done := m.ok[dataset]
	m.mu.Unlock()
	if done {
		return nil
	}
	ok, err := t.Exists(ctx, dataset)
	if err != nil {
		return err
	}
	if !ok {
		if err := noRecords(ctx, st, dataset); err != nil {
			return err
		}
	}
	m.mu.Lock()
	if m.ok == nil {
		m.ok = map[string]bool{}
	}
	m.ok[dataset] = true
	m.mu.Unlock()
	return nil
}
