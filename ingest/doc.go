// Package ingest collects market data: collection tasks arrive on task-queue,
// a Source fetches them within its limits, and the collector publishes the
// source's own JSON shapes to the raw topics.
package ingest
