package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/stream"
)

// ConsumerLag is a collector that asks the brokers, at scrape time, how far
// each consumer group's committed offsets trail the partitions' high
// watermarks. It reads only broker state, so any process that can reach the
// brokers (the api role, a standalone exporter) reports the lag of every
// group, not just of consumers running in-process.
type ConsumerLag struct {
	Kafka stream.Cluster
	// Groups maps each consumer group to the topics it consumes.
	Groups map[string][]string
	// Optional groups run only where they are configured (the SQL and
	// InfluxDB sinks): their lag is reported once they have committed an
	// offset, so a sink that is not deployed shows no lag rather than all.
	Optional map[string]bool
	// Timeout bounds one scrape's broker round trips (default 3s).
	Timeout time.Duration
	Log     *slog.Logger

	lag    *prometheus.Desc
	errors *prometheus.Desc
}

// NewConsumerLag returns the collector; register it on a Set's Registry.
func NewConsumerLag(k stream.Cluster, groups map[string][]string, log *slog.Logger) *ConsumerLag {
	return &ConsumerLag{
		Kafka: k, Groups: groups, Timeout: 3 * time.Second, Log: log,
		lag: prometheus.NewDesc("tickerlake_kafka_consumer_group_lag",
			"Messages a consumer group has not yet committed, by group, topic and partition.",
			[]string{"group", "topic", "partition"}, nil),
		errors: prometheus.NewDesc("tickerlake_kafka_consumer_group_lag_scrape_errors",
			"1 when the last lag scrape of a group failed, else 0.", []string{"group"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *ConsumerLag) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.errors
}

// Collect implements prometheus.Collector.
func (c *ConsumerLag) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	groups := make([]string, 0, len(c.Groups))
	for g := range c.Groups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		lags, err := c.GroupLag(ctx, g, c.Groups[g])
		failed := 0.0
		if err != nil {
			failed = 1
			if c.Log != nil {
				c.Log.Warn("consumer lag scrape", "group", g, "err", err)
			}
		}
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.GaugeValue, failed, g)
		if c.Optional[g] && !anyCommitted(lags) {
			continue
		}
		for _, l := range lags {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(l.Lag), g, l.Topic, strconv.Itoa(l.Partition))
		}
	}
}

func anyCommitted(lags []PartitionLag) bool {
	for _, l := range lags {
		if l.Committed >= 0 {
			return true
		}
	}
	return false
}

// PartitionLag is one partition's lag for one group.
type PartitionLag struct {
	Topic         string
	Partition     int
	HighWatermark int64
	Committed     int64 // -1 when the group has committed nothing there
	Lag           int64
}

// GroupLag computes a group's lag on every partition of topics. A partition
// the group never committed on counts as lagging by its whole content.
func (c *ConsumerLag) GroupLag(ctx context.Context, group string, topics []string) ([]PartitionLag, error) {
	cl, err := c.Kafka.Client(c.Timeout)
	if err != nil {
		return nil, err
	}
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("metadata for %v: %w", topics, err)
	}
	parts := map[string][]int{}
	firstReq, lastReq := map[string][]kafka.OffsetRequest{}, map[string][]kafka.OffsetRequest{}
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("metadata for %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			parts[t.Name] = append(parts[t.Name], p.ID)
			firstReq[t.Name] = append(firstReq[t.Name], kafka.FirstOffsetOf(p.ID))
			lastReq[t.Name] = append(lastReq[t.Name], kafka.LastOffsetOf(p.ID))
		}
	}
	// Brokers refuse a partition listed twice in one request, so the log
	// start and the high watermark take one request each.
	firsts, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: firstReq})
	if err != nil {
		return nil, fmt.Errorf("list log start offsets: %w", err)
	}
	offs, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: lastReq})
	if err != nil {
		return nil, fmt.Errorf("list high watermarks: %w", err)
	}
	start := map[string]map[int]int64{}
	for t, ps := range firsts.Topics {
		start[t] = map[int]int64{}
		for _, p := range ps {
			start[t][p.Partition] = max(0, p.FirstOffset)
		}
	}
	committed, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: parts})
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	// A group that has never committed is unknown to some brokers: it lags
	// by everything.
	if committed.Error != nil && !errors.Is(committed.Error, kafka.GroupIdNotFound) {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, committed.Error)
	}
	done := map[string]map[int]int64{}
	for t, ps := range committed.Topics {
		done[t] = map[int]int64{}
		for _, p := range ps {
			if p.Error == nil {
				done[t][p.Partition] = p.CommittedOffset
			}
		}
	}
	var out []PartitionLag
	for t, ps := range offs.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return out, fmt.Errorf("offsets of %s/%d: %w", t, p.Partition, p.Error)
			}
			l := PartitionLag{Topic: t, Partition: p.Partition, HighWatermark: p.LastOffset, Committed: -1}
			if off, ok := done[t][p.Partition]; ok && off >= 0 {
				l.Committed = off
			}
			from := l.Committed
			if from < 0 {
				from = start[t][p.Partition]
			}
			l.Lag = max(0, l.HighWatermark-from)
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out, nil
}
