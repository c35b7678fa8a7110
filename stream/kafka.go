package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// NewWriter returns a producer for topic that waits for all in-sync replicas
// and routes by key hash, so a symbol's records stay in one partition.
func NewWriter(k Cluster, topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(k.Brokers...),
		Transport:    k.roundTripper(),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    500,
		// A produce batch must stay under the broker's message.max.bytes
		// (1 MiB by default); zstd keeps the JSON chains well inside it.
		BatchBytes:  900 << 10,
		Compression: kafka.Zstd,
		// WriteMessages blocks until its batch is acknowledged; callers hand
		// whole batches, so a long linger only adds latency.
		BatchTimeout: 5 * time.Millisecond,
		WriteTimeout: 30 * time.Second,
		MaxAttempts:  10,
	}
}

// NewProcessedWriter returns NewWriter's producer for the processor's
// output, each message naming its topic: the processed topics' Arrow
// batches and the dead letters. It compresses with lz4 where the raw
// topics use zstd: on a snapshot's processed option batches
// (BenchmarkCodecs, one core) lz4 compresses and decompresses them in
// about 7 ms of CPU against 13 to 18 at zstd's fastest level, for about
// 16% more bytes (ratio 2.93 against 3.40), whereas on the raw JSON
// zstd's ratio is 7.25 against lz4's 4.22. Dead letters are rare enough
// that their codec does not matter.
func NewProcessedWriter(k Cluster) *kafka.Writer {
	w := NewWriter(k, "")
	w.Compression = kafka.Lz4
	return w
}

// ReaderConfig configures a consumer-group reader.
type ReaderConfig struct {
	Kafka  Cluster
	Group  string
	Topics []string
	// MaxWait bounds how long the broker holds a fetch that finds no data
	// (default 200ms), and so how long Close takes while the brokers answer:
	// Close waits for the fetches in flight. A broker that does not answer
	// holds Close up to fetchMargin longer.
	MaxWait time.Duration
	// ClientID names the reader to the brokers (default ClientID()), which is
	// how GroupMember finds it among the group's members.
	ClientID string
}

// fetchMargin is how much longer than MaxWait a reader waits for a fetch's
// answer before it drops the connection. kafka-go gives the read MaxWait
// and asks the broker to answer a round trip allowance earlier: a second
// if MaxWait is a second or more, a quarter of MaxWait below that. At
// 200ms a broker answer more than 50ms late (a busy process, a collection)
// closed the connection and the reader dialled, listed offsets and seeked
// again: an idle partition polls about six times a second, and under the
// options pipeline's load that was about 40 connections a snapshot. With
// the read given MaxWait and a second, the broker is asked to answer within
// MaxWait and a late answer has a second to arrive.
const fetchMargin = time.Second

// fetchMaxBytes bounds the bytes one fetch of a partition asks for: the
// broker's message.max.bytes, the largest record batch a producer may send
// (a fetch returns at least one batch however large). Larger fetches cost
// more, not less: the broker gathers the batches into one growing buffer,
// then copies it into the response. Reading a topic's backlog back
// (BenchmarkConsume, backlog, one core, alternating runs), the processed
// option batches took 4.9 to 6.1 ms of CPU a snapshot at this size against
// 10.6 to 11.0 at the 32 MiB fetched before (commit 6eea4cf), allocating 31.7 kB a message
// against 47.9; the raw JSON 7.2 to 8.1 ms against 8.2 to 10.4.
const fetchMaxBytes = 1 << 20

// NewReader returns a consumer-group reader. Offsets are committed only by
// explicit CommitMessages calls, after the sink has durably written.
func NewReader(c ReaderConfig) *kafka.Reader {
	if c.MaxWait == 0 {
		c.MaxWait = 200 * time.Millisecond
	}
	if c.ClientID == "" {
		c.ClientID = ClientID()
	}
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.Kafka.Brokers,
		// Named so readiness can find this process.
		Dialer:            c.Kafka.Dialer(c.ClientID),
		GroupID:           c.Group,
		GroupTopics:       c.Topics,
		MaxWait:           c.MaxWait + fetchMargin,
		MinBytes:          1,
		MaxBytes:          fetchMaxBytes,
		StartOffset:       kafka.FirstOffset,
		CommitInterval:    0, // synchronous commits
		SessionTimeout:    10 * time.Second,
		RebalanceTimeout:  10 * time.Second,
		HeartbeatInterval: time.Second,
		ReadBackoffMin:    10 * time.Millisecond,
		ReadBackoffMax:    200 * time.Millisecond,
	})
}

// Outage is how long FetchMessage keeps retrying while the brokers fail
// before it gives up: a role rides out a broker restart (its /readyz says
// not ready meanwhile) and stops after a longer outage.
const Outage = 5 * time.Minute

// FetchMessage fetches the next message, retrying with backoff while the
// brokers fail, for up to Outage.
func FetchMessage(ctx context.Context, r *kafka.Reader) (kafka.Message, error) {
	var m kafka.Message
	err := Retry(ctx, func(ctx context.Context) error {
		var err error
		m, err = r.FetchMessage(ctx)
		return err
	})
	return m, err
}

// CommitMessages commits offsets, retrying while the brokers fail, for up
// to Outage: what it commits is already durably handled, so a commit that
// rides out a broker restart saves the work of handling it again.
func CommitMessages(ctx context.Context, r *kafka.Reader, msgs ...kafka.Message) error {
	return Retry(ctx, func(ctx context.Context) error { return r.CommitMessages(ctx, msgs...) })
}

// WriteMessages publishes msgs, retrying while the brokers fail, for up to
// Outage. A retry may publish a message twice; every consumer downstream
// is idempotent.
func WriteMessages(ctx context.Context, w *kafka.Writer, msgs ...kafka.Message) error {
	return Retry(ctx, func(ctx context.Context) error { return w.WriteMessages(ctx, msgs...) })
}

// Retry runs op until it succeeds or ctx ends, backing off from 100 ms to
// 5 s; after Outage of failures it returns the last error.
func Retry(ctx context.Context, op func(context.Context) error) error {
	var since time.Time
	backoff := 100 * time.Millisecond
	for {
		err := op(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		if since.IsZero() {
			since = time.Now()
		} else if time.Since(since) > Outage {
			return fmt.Errorf("brokers failing for %s: %w", Outage, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// FetchBatch blocks for one message, then keeps fetching until max messages
// or window has passed since the first. When ctx ends with messages in hand
// it returns them with a nil error, so the caller can finish and commit them
// before it stops.
func FetchBatch(ctx context.Context, r *kafka.Reader, max int, window time.Duration) ([]kafka.Message, error) {
	m, err := FetchMessage(ctx, r)
	if err != nil {
		return nil, err
	}
	batch := []kafka.Message{m}
	wctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	for len(batch) < max {
		m, err := r.FetchMessage(wctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				break
			}
			return batch, err
		}
		batch = append(batch, m)
	}
	return batch, nil
}

// Header returns the value of header k, or "".
func Header(m kafka.Message, k string) string {
	for _, h := range m.Headers {
		if h.Key == k {
			return string(h.Value)
		}
	}
	return ""
}

// Headers builds message headers from key/value pairs.
func Headers(kv ...string) []kafka.Header {
	hs := make([]kafka.Header, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, kafka.Header{Key: kv[i], Value: []byte(kv[i+1])})
	}
	return hs
}

// Origin names a message's position, for dead letters and logs.
func Origin(m kafka.Message) string {
	return fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset)
}
