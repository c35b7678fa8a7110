package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
)

// Sink is a store the processed rows are delivered to.
type Sink interface {
	// Name labels logs, metrics and dead-letter reasons ("sql", "influx").
	Name() string
	// Datasets are the datasets the sink stores; the consumer reads only
	// their processed topics.
	Datasets() []*market.Dataset
	// Write stores rows of one dataset durably and idempotently: writing the
	// same rows again leaves the store as it was. It wraps its error with
	// Rejected when the store refused the data itself and with Transient
	// when trying again may succeed; any other error stops the consumer.
	Write(ctx context.Context, ds *market.Dataset, rows []Row) error
}

// Reason codes a consumer puts in the tl-reason header of its dead letters.
const (
	// ReasonUndecodable: the processed message could not be decoded.
	ReasonUndecodable = "sink_decode_error"
	// ReasonRejectedSuffix follows the sink's name: "sql_rejected".
	ReasonRejectedSuffix = "_rejected"
)

// Consumer runs one sink as its own consumer group on the processed topics.
type Consumer struct {
	Sink  Sink
	Kafka stream.Cluster
	// Group is the consumer group (default "sink-" + Sink.Name()), so the
	// sink reads independently of the lake writer and of other sinks.
	Group   string
	Log     *slog.Logger
	Metrics *metrics.Set
	// BatchSize and BatchWindow bound one write-commit cycle (defaults
	// 1000 messages, 1s).
	BatchSize   int
	BatchWindow time.Duration
	// Backoff is the wait after the first transient failure (default
	// 200ms); it doubles on each further failure up to MaxBackoff (default
	// 30s). Transient failures are retried until they clear or ctx ends.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Sleep waits d or until ctx ends (default: the system clock's). Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Spans, when set, takes a span per dataset write: a child of its first
	// message's span, linking the others (default none).
	Spans trace.Recorder
}

func (c *Consumer) defaults() {
	if c.Group == "" {
		c.Group = "sink-" + c.Sink.Name()
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.BatchWindow == 0 {
		c.BatchWindow = time.Second
	}
	if c.Backoff == 0 {
		c.Backoff = 200 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.Sleep == nil {
		c.Sleep = clock.System{}.Sleep
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New()
	}
}

// Topics are the processed topics carrying the given datasets (market.Feeds).
func Topics(datasets []*market.Dataset) []string {
	if len(datasets) == 0 {
		return nil
	}
	return market.ProcessedTopics(datasets...)
}

// Run delivers until ctx ends. A batch in hand when ctx ends is finished
// unless the store is failing, in which case its offsets stay uncommitted
// and it is delivered again on the next start.
func (c *Consumer) Run(ctx context.Context) error {
	c.defaults()
	topics := Topics(c.Sink.Datasets())
	if len(topics) == 0 {
		return fmt.Errorf("sink %s stores no dataset", c.Sink.Name())
	}
	r := stream.NewReader(stream.ReaderConfig{Kafka: c.Kafka, Group: c.Group, Topics: topics})
	defer func() {
		if err := r.Close(); err != nil {
			c.Log.Warn("close processed reader", "err", err)
		}
	}()
	dlq := stream.NewWriter(c.Kafka, stream.DeadLetter)
	defer func() {
		if err := dlq.Close(); err != nil {
			c.Log.Warn("close dead-letter producer", "err", err)
		}
	}()
	c.Log.Info("sink started", "sink", c.Sink.Name(), "group", c.Group, "topics", topics)
	loop := stream.Consume{Name: "processed", BatchSize: c.BatchSize, BatchWindow: c.BatchWindow}
	err := loop.Run(ctx, r, func(wctx context.Context, batch []kafka.Message) error {
		// Delivery retries a failing store only until ctx ends; the dead
		// letters and the commit that follow it finish regardless.
		dead, err := c.Deliver(ctx, batch)
		if err != nil {
			return err
		}
		if len(dead) > 0 {
			if err := stream.WriteMessages(wctx, dlq, dead...); err != nil {
				return fmt.Errorf("publish %d dead letters: %w", len(dead), err)
			}
		}
		return nil
	})
	if errors.Is(err, stream.ErrAbandoned) && IsTransient(err) {
		c.Log.Info("sink stopped with a batch undelivered; it will be delivered again", "sink", c.Sink.Name(), "err", err)
		return nil
	}
	return err
}

// Deliver writes a batch of processed messages to the sink and returns the
// dead letters to publish before the batch's offsets are committed: one per
// undecodable message and one per row the store rejected.
func (c *Consumer) Deliver(ctx context.Context, batch []kafka.Message) ([]kafka.Message, error) {
	c.defaults()
	var (
		dead   []kafka.Message
		order  []*market.Dataset
		byData = map[*market.Dataset][]Row{}
		msgsOf = map[*market.Dataset][]kafka.Message{} // for the write's trace
		stores = map[*market.Dataset]bool{}
	)
	for _, ds := range c.Sink.Datasets() {
		stores[ds] = true
	}
	for _, m := range batch {
		ds, rows, err := Decode(m)
		if err != nil {
			c.Log.Warn("undecodable processed message", "sink", c.Sink.Name(), "origin", stream.Origin(m), "err", err, stream.TraceAttr(m))
			c.Metrics.DeadLettered.WithLabelValues(m.Topic, ReasonUndecodable).Inc()
			dead = append(dead, kafka.Message{Key: m.Key, Value: m.Value, Headers: append(stream.Headers(
				stream.HeaderReason, ReasonUndecodable,
				stream.HeaderDetail, err.Error(),
				stream.HeaderOrigin, stream.Origin(m),
			), m.Headers...)})
			continue
		}
		if !stores[ds] {
			continue // a dataset sharing the topic that this sink does not keep
		}
		if _, ok := byData[ds]; !ok {
			order = append(order, ds)
		}
		byData[ds] = append(byData[ds], rows...)
		msgsOf[ds] = append(msgsOf[ds], m)
	}
	for _, ds := range order {
		start := time.Now()
		rows := Latest(ds, byData[ds])
		rejected, err := c.store(ctx, ds, rows)
		if err != nil {
			return nil, fmt.Errorf("sink %s: write %s: %w", c.Sink.Name(), ds.Name, err)
		}
		c.Metrics.Written.WithLabelValues(ds.Name, c.Sink.Name()).Add(float64(len(rows) - len(rejected)))
		c.Metrics.CommitSeconds.WithLabelValues(c.Sink.Name()).Observe(time.Since(start).Seconds())
		stream.RecordBatch(c.Spans, msgsOf[ds], "sink write", start, trace.String("sink", c.Sink.Name()),
			trace.String("dataset", ds.Name), trace.Int("rows", len(rows)), trace.Int("rejected", len(rejected)))
		if c.Log.Enabled(ctx, slog.LevelDebug) {
			// A write carries its first message's trace and links the others.
			c.Log.LogAttrs(ctx, slog.LevelDebug, "sink write", append([]slog.Attr{slog.String("sink", c.Sink.Name()),
				slog.String("dataset", ds.Name), slog.Int("rows", len(rows)), slog.Int("rejected", len(rejected))}, stream.BatchTrace(msgsOf[ds])...)...)
		}
		for _, rj := range rejected {
			m, err := c.deadLetter(ds, rj)
			if err != nil {
				return nil, err
			}
			dead = append(dead, m)
		}
	}
	return dead, nil
}

type rejectedRow struct {
	row Row
	err error
}

// store writes rows, retrying transient failures; when the store rejects
// the data it bisects the rows to find the ones it refuses.
func (c *Consumer) store(ctx context.Context, ds *market.Dataset, rows []Row) ([]rejectedRow, error) {
	err := c.retry(ctx, ds, rows)
	switch {
	case err == nil:
		return nil, nil
	case !IsRejected(err):
		return nil, err
	case len(rows) == 1:
		c.Log.Warn("row rejected", "sink", c.Sink.Name(), "dataset", ds.Name, "origin", stream.Origin(rows[0].Origin), "err", err, stream.TraceAttr(rows[0].Origin))
		return []rejectedRow{{rows[0], err}}, nil
	}
	mid := len(rows) / 2
	left, err := c.store(ctx, ds, rows[:mid])
	if err != nil {
		return nil, err
	}
	right, err := c.store(ctx, ds, rows[mid:])
	if err != nil {
		return nil, err
	}
	return append(left, right...), nil
}

// retry calls the sink until it succeeds, rejects, fails for good, or ctx
// ends during a backoff.
func (c *Consumer) retry(ctx context.Context, ds *market.Dataset, rows []Row) error {
	wait := c.Backoff
	for attempt := 1; ; attempt++ {
		err := c.Sink.Write(context.WithoutCancel(ctx), ds, rows)
		if err == nil || !IsTransient(err) {
			return err
		}
		c.Log.Warn("sink write failed; retrying", "sink", c.Sink.Name(), "dataset", ds.Name, "rows", len(rows),
			"attempt", attempt, "backoff", max(wait, retryAfter(err)), "err", err)
		if serr := c.Sleep(ctx, max(wait, retryAfter(err))); serr != nil {
			return errors.Join(err, serr)
		}
		wait = min(2*wait, c.MaxBackoff)
	}
}

// detailLimit bounds the tl-detail header: database messages can be long.
const detailLimit = 1024

func (c *Consumer) deadLetter(ds *market.Dataset, rj rejectedRow) (kafka.Message, error) {
	value, err := Encode(ds, []Row{rj.row})
	if err != nil {
		return kafka.Message{}, err
	}
	reason := c.Sink.Name() + ReasonRejectedSuffix
	detail := rj.err.Error()
	if len(detail) > detailLimit {
		detail = detail[:detailLimit]
	}
	c.Metrics.DeadLettered.WithLabelValues(rj.row.Origin.Topic, reason).Inc()
	tc, _ := stream.ContinueTrace(rj.row.Origin) // the row's trace goes on with its dead letter
	return kafka.Message{Key: rj.row.Origin.Key, Value: value, Headers: append(stream.Headers(
		stream.HeaderReason, reason,
		stream.HeaderDetail, detail,
		stream.HeaderOrigin, stream.Origin(rj.row.Origin),
		stream.HeaderEncoding, stream.EncodingArrow,
		stream.HeaderSchema, ds.Name,
		stream.HeaderSchemaVersion, strconv.Itoa(market.SchemaVersion),
	), stream.TraceHeader(tc))}, nil
}
