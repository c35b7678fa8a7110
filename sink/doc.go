// Package sink delivers the processed topics to stores outside the lake (a
// SQL warehouse, InfluxDB): each sink is its own consumer group, writes
// idempotently, and sends rows its store refuses to the dead-letter topic.
//
// A Consumer fetches a batch, decodes its Arrow IPC messages into rows,
// collapses rows that share a natural key, and hands them to the Sink.
// Transient failures are retried with capped exponential backoff; when the
// store rejects the data itself the batch is split in halves until the
// offending rows are isolated, and each of them is published to the
// dead-letter topic with the store's reason. Offsets are committed only
// after the store has written every other row and the dead letters are
// acknowledged, so a crash at any point replays rather than loses.
package sink
