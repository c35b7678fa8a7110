package lake

import (
	"context"
	"path"
	"strings"
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
	// call: the janitor deletes those no commit record names either.
	Unreferenced(ctx context.Context, dataset string) (map[string]bool, error)
	// Visible returns the data files of the current snapshot of a
	// dataset's table and the metadata file naming them (version); when
	// that is since, it returns no files. ok is false when the lake has
	// no table for the dataset.
	Visible(ctx context.Context, dataset, since string) (version string, files []TableFile, ok bool, err error)
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
