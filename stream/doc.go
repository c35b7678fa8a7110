// Package stream is tickerlake's Kafka layer: the topic names, the embedded
// kfake broker, producers and consumer groups with the delivery rules every
// role follows, and the headers that describe each message's encoding.
//
// Encoding. Raw topics (daily-data, 15min-data, historical-data, option-data)
// carry the sources' own JSON shapes, one message per symbol (per expiration
// for options), keyed by the canonical symbol. Processed topics carry typed
// batches: each message value is an Arrow IPC stream holding one record batch
// of the dataset's schema. Headers say which: tl-encoding is "json" or
// "arrow-ipc-stream", tl-schema names the dataset or source shape and
// tl-schema-version its version; a consumer rejects versions it does not know.
package stream
