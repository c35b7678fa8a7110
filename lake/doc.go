// Package lake is the lake's storage: the object-store seam (a local
// directory or an S3 bucket), the writer role that turns processed topics
// into committed Parquet and CSV objects, and the jobs that keep the lake
// small: compaction, retention and the janitor. What readers see is decided
// by one Iceberg table per dataset (see lake/tables and Open tables below);
// the commit records described next decide only in a lake without tables,
// which the commands no longer write (`tickerlake migrate` registers one).
//
// Commit protocol. For each (topic, partition, first offset, last offset)
// range a batch covers, the writer puts one Parquet and one CSV object per
// Hive partition under keys derived from that range, each created only if
// absent (a hard link on disk, If-None-Match: * on S3), then commits the
// range (with Tables, an Iceberg commit; without, a commit record under
// _commits/<dataset>/ naming the objects), and only then commits the Kafka
// offsets. A batch's ranges put their data objects side by side; their
// commits follow one at a time, in range order, each after its own range's
// objects. Readers read only the objects a commit names, so a crash leaves
// at worst orphans that nobody reads and the janitor removes after a grace
// period; a replay of the same range rewrites nothing and commits nothing
// again, and a replay under a different range adds rows that replace the
// same keys (latest ingested_at wins).
//
// Replacing files. A commit record may also list objects it Replaces. A
// reader takes one listing of a dataset's commit records and drops every
// replaced object, whichever record names it (Catalog.Snapshot). Because
// one record both adds the merged object and retires the small ones, the
// swap is as atomic as a single PUT: a reader whose listing includes the new
// record sees only the merged file, one whose listing does not sees only the
// old files, never both and never neither. Compaction writes the merged
// Parquet and CSV first (named after the set they replace, so a rerun after
// a crash reuses them), then the record; a crash before the record leaves an
// orphan and the old files visible. Nothing is deleted until the replacing
// record is older than the grace period, so a reader that listed the old
// state (or a view still bound to it) can finish: then the records every
// file of which is replaced go first and the replaced objects after them.
// The writer never touches another range's objects, so compaction is safe
// while it runs; new commits simply are not part of this run's merge. Two
// compactors are kept apart by a lock object under _locks/.
//
// Retention uses the same mechanism: a record with no files that replaces
// an expired partition's objects, so the partition disappears at once and
// its objects go after the grace period.
//
// Open tables. When Tables are set (see lake/tables), the writer commits
// each range only through them: it writes no commit record, and its
// Iceberg commit, in an Apache Iceberg table per dataset, comes before the
// Kafka offsets. The same Parquet objects become data files, with the rows
// whose natural keys a commit repeats removed from the older files in the
// same snapshot, so other engines read what the views show. The table
// property tickerlake.through.<topic>.<partition> holds the last offset
// registered, so a replayed range adds nothing, even after its snapshot
// expired. While the catalog fails the writer retries and commits no
// offsets. A dataset's table, once it exists, alone decides what is
// visible: the query engine reads its current snapshot, the compactor and
// retention plan from it and commit to it alone (a replace, a delete;
// still no record), and the janitor expires old snapshots and removes
// what no live snapshot references, whatever the commit records say: the
// objects compaction and retention replaced among them. The records decide
// only in a lake without tables. A dataset with records and no table is
// an older lake not migrated yet: the writer, the compactor, retention and
// the janitor refuse it (ErrNotMigrated) rather than create a table that
// would hide its rows, until `tickerlake migrate` registers it.
package lake
