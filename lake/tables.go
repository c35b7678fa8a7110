package lake

import "context"

// Tables mirrors the lake's commits into open tables that other engines
// read (Apache Iceberg, see lake/tables): the same data objects, registered
// in a catalog after the commit record that makes them visible here. It must
// be idempotent: a replayed range registers the same commit again.
type Tables interface {
	Commit(ctx context.Context, cm Commit) error
}

// MetadataDir is the folder under a dataset's own where its open table's
// metadata lives: not data objects, so the janitor leaves it alone.
const MetadataDir = "metadata"
