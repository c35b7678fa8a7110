package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Tail returns up to the last n messages of each partition of topic, oldest
// first within a partition, without joining a consumer group or committing
// anything. A topic that does not exist yet has no messages.
func Tail(ctx context.Context, k Cluster, topic string, n int) ([]kafka.Message, error) {
	c, err := k.Client(10 * time.Second)
	if err != nil {
		return nil, fmt.Errorf("tail %s: %w", topic, err)
	}
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("tail %s: metadata: %w", topic, err)
	}
	var parts []kafka.OffsetRequest
	for _, t := range meta.Topics {
		if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
			return nil, nil
		}
		if t.Error != nil {
			return nil, fmt.Errorf("tail %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	offs, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: parts}})
	if err != nil {
		return nil, fmt.Errorf("tail %s: offsets: %w", topic, err)
	}
	var out []kafka.Message
	for _, p := range offs.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("tail %s/%d: offsets: %w", topic, p.Partition, p.Error)
		}
		msgs, err := tailPartition(ctx, c, topic, p.Partition, max(p.FirstOffset, p.LastOffset-int64(n)), p.LastOffset)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

// tailPartition reads the messages of one partition in [from, to).
func tailPartition(ctx context.Context, c *kafka.Client, topic string, partition int, from, to int64) ([]kafka.Message, error) {
	var out []kafka.Message
	for off := from; off < to; {
		resp, err := c.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: partition, Offset: off,
			MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 200 * time.Millisecond})
		if err == nil {
			err = resp.Error
		}
		if err != nil {
			return nil, fmt.Errorf("tail %s/%d at %d: %w", topic, partition, off, err)
		}
		start := off
		for {
			r, err := resp.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("tail %s/%d at %d: %w", topic, partition, off, err)
			}
			if r.Offset < off || r.Offset >= to {
				continue // a batch may start before the offset asked for
			}
			m, err := message(topic, partition, r)
			if err != nil {
				return nil, fmt.Errorf("tail %s/%d at %d: %w", topic, partition, r.Offset, err)
			}
			out = append(out, m)
			off = r.Offset + 1
		}
		if off == start {
			// Nothing readable below the high watermark (compacted or
			// transaction markers): what was read is the tail.
			break
		}
	}
	return out, nil
}

func message(topic string, partition int, r *kafka.Record) (kafka.Message, error) {
	m := kafka.Message{Topic: topic, Partition: partition, Offset: r.Offset, Time: r.Time}
	var err error
	if r.Key != nil {
		if m.Key, err = protocol.ReadAll(r.Key); err != nil {
			return m, err
		}
	}
	if r.Value != nil {
		if m.Value, err = protocol.ReadAll(r.Value); err != nil {
			return m, err
		}
	}
	m.Headers = append(m.Headers, r.Headers...)
	return m, nil
}
