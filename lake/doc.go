// Package lake is the lake's storage: the object-store seam, the writer role
// that turns processed topics into committed Parquet and CSV objects, and
// the commit records that decide what readers see.
//
// Commit protocol. For each (topic, partition, first offset, last offset)
// range a batch covers, the writer puts one Parquet and one CSV object per
// Hive partition under keys derived from that range, each created only if
// absent, then puts a commit record under _commits/<dataset>/ naming them,
// and only then commits the Kafka offsets. Readers list commit records and
// read only the objects they name, so a crash leaves at worst orphans that
// nobody reads; a replay of the same range rewrites nothing, and a replay
// under a different range adds rows that readers collapse by natural key.
package lake
