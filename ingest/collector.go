package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// Collector consumes task-queue in one consumer group and publishes what its
// Source fetches to the raw topics. A task's offset is committed only after
// everything it produced is acknowledged, so a crash re-runs the task; the
// duplicates that causes are removed downstream by natural key.
type Collector struct {
	Source  Source
	Kafka   stream.Cluster
	Group   string // consumer group, default "collector"
	Log     *slog.Logger
	Metrics *metrics.Set
	// PublishBatch is how many messages are sent per produce call (default 200).
	PublishBatch int
	// Clock holds deferred tasks until their NotBefore (default the system clock).
	Clock ratelimit.Clock
}

// Run consumes tasks until ctx ends.
func (c *Collector) Run(ctx context.Context) error {
	if c.Group == "" {
		c.Group = "collector"
	}
	if c.PublishBatch == 0 {
		c.PublishBatch = 200
	}
	if c.Clock == nil {
		c.Clock = ratelimit.System{}
	}
	if in, ok := c.Source.(Instrumented); ok {
		in.Instrument(c.Log, NewProviderMetrics(c.Metrics))
	}
	r := stream.NewReader(stream.ReaderConfig{Kafka: c.Kafka, Group: c.Group, Topics: []string{stream.TaskQueue}})
	w := stream.NewWriter(c.Kafka, "")
	defer func() {
		if err := w.Close(); err != nil {
			c.Log.Warn("close producer", "err", err)
		}
	}()
	defer func() {
		if err := r.Close(); err != nil {
			c.Log.Warn("close task reader", "err", err)
		}
	}()
	c.Log.Info("collector started", "source", c.Source.Name(), "group", c.Group)
	for {
		m, err := stream.FetchMessage(ctx, r)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fetch task: %w", err)
		}
		if err := c.handle(ctx, w, m); err != nil {
			if ctx.Err() != nil {
				return nil // the task is not committed and will be redelivered
			}
			return err
		}
		if err := stream.CommitMessages(context.WithoutCancel(ctx), r, m); err != nil {
			return fmt.Errorf("commit task %s: %w", stream.Origin(m), err)
		}
	}
}

func (c *Collector) handle(ctx context.Context, w *kafka.Writer, m kafka.Message) error {
	task, err := DecodeTask(m.Value)
	if err != nil {
		c.Log.Warn("reject task", "origin", stream.Origin(m), "err", err)
		c.Metrics.Tasks.WithLabelValues("unknown", "rejected").Inc()
		return c.deadLetter(ctx, w, m, "bad_task", err)
	}
	if wait := task.NotBefore.Sub(c.Clock.Now()); wait > 0 {
		// Holding the task holds its partition: nothing else of this kind
		// could be collected before the credits return anyway.
		c.Log.Info("task deferred", "task", task.Short(), "not_before", task.NotBefore)
		if err := c.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	start := time.Now()
	var buf []kafka.Message
	n := 0
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := stream.WriteMessages(ctx, w, buf...); err != nil {
			return fmt.Errorf("publish %d messages of task %s: %w", len(buf), task.ID, err)
		}
		for _, b := range buf {
			c.Metrics.Ingested.WithLabelValues(b.Topic, c.Source.Name()).Inc()
		}
		n += len(buf)
		buf = buf[:0]
		return nil
	}
	err = c.Source.Fetch(ctx, task, func(raw Raw) error {
		buf = append(buf, kafka.Message{Topic: raw.Topic, Key: []byte(raw.Symbol), Value: raw.Value, Headers: raw.Headers})
		if len(buf) >= c.PublishBatch {
			return flush()
		}
		return nil
	})
	if ferr := flush(); err == nil {
		err = ferr
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if ie, ok := AsIncomplete(err); ok && len(ie.Left) > 0 {
			if err := c.deferRest(ctx, w, task, ie); err != nil {
				return err
			}
			if len(ie.Failed) == 0 {
				return nil
			}
		}
		c.Metrics.Tasks.WithLabelValues(string(task.Kind), "failed").Inc()
		c.Log.Error("task failed", "task", task.Short(), "published", n, "err", err)
		return c.deadLetter(ctx, w, m, "task_failed", err)
	}
	c.Metrics.Tasks.WithLabelValues(string(task.Kind), "done").Inc()
	c.Log.Info("task done", "task", task.Short(), "messages", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (c *Collector) deadLetter(ctx context.Context, w *kafka.Writer, m kafka.Message, reason string, cause error) error {
	c.Metrics.DeadLettered.WithLabelValues(m.Topic, reason).Inc()
	dl := kafka.Message{Topic: stream.DeadLetter, Key: m.Key, Value: m.Value,
		Headers: append(stream.Headers(stream.HeaderReason, reason, stream.HeaderDetail, cause.Error(),
			stream.HeaderOrigin, stream.Origin(m)), m.Headers...)}
	if err := stream.WriteMessages(ctx, w, dl); err != nil {
		return fmt.Errorf("dead-letter %s: %w", stream.Origin(m), err)
	}
	return nil
}

// deferRest publishes the rest of a task that ran out of daily credits, to run
// when they return.
func (c *Collector) deferRest(ctx context.Context, w *kafka.Writer, task Task, ie *IncompleteError) error {
	rest := task.Rest(ie.Left, ie.Resume)
	m, err := rest.Message()
	if err != nil {
		return err
	}
	if err := stream.WriteMessages(ctx, w, m); err != nil {
		return fmt.Errorf("publish the rest of task %s: %w", task.ID, err)
	}
	c.Metrics.Tasks.WithLabelValues(string(task.Kind), "deferred").Inc()
	c.Log.Warn("daily credits exhausted; rest of the task deferred", "task", task.Short(),
		"left", len(ie.Left), "symbols", strings.Join(ie.Left, ","), "resume", ie.Resume, "rest", rest.Short())
	return nil
}
