// Package wire holds the providers' response shapes as they travel on the raw
// topics (Twelve Data time_series, Yahoo options) and their parsers. The
// sources in ingest write them and the processor in transform reads them, so
// both import this package and transform needs nothing else from ingest.
package wire
