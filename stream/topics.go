package stream

import (
	"sort"

	"github.com/tickerlake/tickerlake/market"
)

// The seed's topics, named for code that publishes to one; the lists below
// derive from the registry (market.Feeds). Every topic has Partitions partitions and is keyed by
// symbol so one symbol's records stay ordered.
const (
	TaskQueue               = "task-queue"
	DailyData               = "daily-data"
	IntradayData            = "15min-data"
	HistoricalData          = "historical-data"
	OptionData              = "option-data"
	ProcessedDailyData      = "processed-daily-data"
	ProcessedIntradayData   = "processed-15min-data"
	ProcessedHistoricalData = "processed-historical-data"
	ProcessedOptionData     = "processed-options-data"
	ProcessedIVSmile        = "processed-iv-smile" // derived from option-data: one smile per snapshot and expiration
	DeadLetter              = "dead-letter"
	Partitions              = 5
)

// Topics lists every topic the pipeline uses: the task queue, the
// registry's raw and processed topics (market.Feeds) and the dead letters.
func Topics() []string {
	out := append([]string{TaskQueue}, RawTopics()...)
	out = append(out, ProcessedTopics()...)
	return append(out, DeadLetter)
}

// TopicSpec is one topic's name, partition count and topic-level
// configuration, as `tickerlake topics` creates it, readiness checks it and a
// manifest generator declares it (Strimzi KafkaTopic).
type TopicSpec struct {
	Name       string
	Partitions int
	// Config holds the topic configs the pipeline depends on (Kafka's names
	// and values); a config not named here is the broker's default.
	Config map[string]string
}

// keepForever is the configuration of a processed topic a role replays from
// the start (market.Feed.Replayed): no time or size limit on retention.
// Compaction would not do: the processor keys each message by symbol, and a
// message holds only the actions its collection window and cleaning let
// through, so keeping the newest per symbol would drop older dividends a
// narrower window or a partly rejected answer left out.
func keepForever() map[string]string {
	return map[string]string{"retention.ms": "-1", "retention.bytes": "-1"}
}

// TopicSpecs lists every topic of Topics with its partition count and the
// configuration its registry entry asks for.
func TopicSpecs() []TopicSpec {
	replayed := map[string]bool{}
	for _, f := range market.Feeds() {
		if f.Replayed {
			replayed[f.Processed] = true
		}
	}
	names := Topics()
	specs := make([]TopicSpec, len(names))
	for i, n := range names {
		specs[i] = TopicSpec{Name: n, Partitions: Partitions}
		if replayed[n] {
			specs[i].Config = keepForever()
		}
	}
	return specs
}

// ConfigNames lists the spec's config names, sorted.
func (s TopicSpec) ConfigNames() []string {
	names := make([]string, 0, len(s.Config))
	for n := range s.Config {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RawTopics are the topics the collector writes and the processor reads.
func RawTopics() []string { return market.RawTopics() }

// ProcessedTopics are the topics the processor writes and the writer reads.
func ProcessedTopics() []string { return market.ProcessedTopics() }

// ProcessedFor maps a raw topic to its processed topic.
func ProcessedFor(raw string) (string, error) {
	f, err := market.FeedForRaw(raw)
	if err != nil {
		return "", err
	}
	return f.Processed, nil
}

// Message headers.
const (
	HeaderEncoding      = "tl-encoding"       // "json" or "arrow-ipc-stream"
	HeaderSchema        = "tl-schema"         // source shape or dataset name
	HeaderSchemaVersion = "tl-schema-version" // integer
	HeaderSource        = "tl-source"         // the source that produced a raw record
	HeaderTask          = "tl-task"           // the collection task id
	HeaderSnapshot      = "tl-snapshot-ts"    // RFC 3339 instant of an option-chain snapshot
	HeaderReason        = "tl-reason"         // dead-letter reason code
	HeaderDetail        = "tl-detail"         // dead-letter human-readable detail
	HeaderOrigin        = "tl-origin"         // topic/partition/offset a dead letter came from
)

// Encodings.
const (
	EncodingJSON  = "json"
	EncodingArrow = "arrow-ipc-stream"
)
