package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
)

// Collector consumes task-queue in one consumer group and publishes what its
// Source fetches to the raw topics. Each provider (see Providers) has a lane
// of its own that runs its tasks one at a time in task-queue order, so a
// provider keeps its limits and a symbol's tasks of one kind keep their
// order, while a slow provider never holds up another. A task's offset is
// committed only after everything it produced is acknowledged, and never
// past an earlier task of its partition still in flight, so a crash re-runs
// every unfinished task; the duplicates that causes are removed downstream
// by natural key.
type Collector struct {
	Source  Source
	Kafka   stream.Cluster
	Group   string // consumer group, default "collector"
	Log     *slog.Logger
	Metrics *metrics.Set
	// PublishBatch is how many messages are sent per produce call (default 200).
	PublishBatch int
	// PublishLinger is how long a fetched message may wait for its batch to
	// fill, in clock time (default 1s): a long task publishes as it goes.
	PublishLinger time.Duration
	// Clock holds deferred tasks until their NotBefore (default the system clock).
	Clock clock.Clock
	// Spans, when set, takes a span per task attempt and per provider
	// response, with the ids their headers carry (default none).
	Spans trace.Recorder
}

// fetched is a task-queue message on its way through a lane.
type fetched struct {
	m        kafka.Message
	provider string
	at       time.Time
}

// finished reports a lane's task as handled; err is set when the collector
// must stop.
type finished struct {
	m   kafka.Message
	err error
}

// Run consumes tasks until ctx ends.
func (c *Collector) Run(ctx context.Context) error {
	if c.Group == "" {
		c.Group = "collector"
	}
	if c.PublishBatch == 0 {
		c.PublishBatch = 200
	}
	if c.PublishLinger == 0 {
		c.PublishLinger = time.Second
	}
	if c.Clock == nil {
		c.Clock = clock.System{}
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

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	msgs := make(chan kafka.Message)
	fetchErr := make(chan error, 1)
	wg.Go(func() {
		for {
			m, err := stream.FetchMessage(ctx, r)
			if err != nil {
				fetchErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	})
	done := make(chan finished)
	lanes := map[string]*lane{}
	var offsets stream.Offsets
	for {
		select {
		case m := <-msgs:
			offsets.Start(m)
			p := c.provider(m)
			l := lanes[p]
			if l == nil {
				l = &lane{wake: make(chan struct{}, 1)}
				lanes[p] = l
				wg.Go(func() { c.runLane(ctx, w, l, done) })
			}
			c.Metrics.TasksQueued.WithLabelValues(p).Inc()
			l.push(fetched{m: m, provider: p, at: c.Clock.Now()})
		case f := <-done:
			if f.err != nil {
				if ctx.Err() != nil {
					return nil // the task is not committed and will be redelivered
				}
				return f.err
			}
			if upTo, ok := offsets.Finish(f.m); ok {
				if err := stream.CommitMessages(context.WithoutCancel(ctx), r, upTo); err != nil {
					return fmt.Errorf("commit task %s: %w", stream.Origin(upTo), err)
				}
			}
		case err := <-fetchErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fetch task: %w", err)
		case <-ctx.Done():
			return nil
		}
	}
}

// provider names the lane m's task runs in: its provider, or the whole
// source's name for a source of one provider or a task that does not decode.
func (c *Collector) provider(m kafka.Message) string {
	p, ok := c.Source.(Providers)
	if !ok {
		return c.Source.Name()
	}
	task, err := DecodeTask(m.Value)
	if err != nil {
		return c.Source.Name()
	}
	return p.Provider(task.Kind)
}

// runLane handles one provider's tasks one at a time, in the order fetched.
func (c *Collector) runLane(ctx context.Context, w *kafka.Writer, l *lane, done chan<- finished) {
	for {
		f, ok := l.pop(ctx)
		if !ok {
			return
		}
		wait := c.Clock.Now().Sub(f.at)
		c.Metrics.TasksQueued.WithLabelValues(f.provider).Dec()
		c.Metrics.TaskQueueWait.WithLabelValues(f.provider).Observe(wait.Seconds())
		c.Metrics.TasksInFlight.WithLabelValues(f.provider).Inc()
		err := c.handle(ctx, w, f.m, f.provider, wait)
		c.Metrics.TasksInFlight.WithLabelValues(f.provider).Dec()
		select {
		case done <- finished{m: f.m, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// lane is one provider's queue of tasks. It grows without bound so the
// dispatcher never blocks on a busy provider: tasks are small, and those
// waiting are uncommitted, so a crash loses none of them.
type lane struct {
	mu    sync.Mutex
	queue []fetched
	wake  chan struct{}
}

func (l *lane) push(f fetched) {
	l.mu.Lock()
	l.queue = append(l.queue, f)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *lane) pop(ctx context.Context) (fetched, bool) {
	for {
		l.mu.Lock()
		if len(l.queue) > 0 {
			f := l.queue[0]
			l.queue = l.queue[1:]
			l.mu.Unlock()
			return f, true
		}
		l.mu.Unlock()
		select {
		case <-l.wake:
		case <-ctx.Done():
			return fetched{}, false
		}
	}
}

func (c *Collector) handle(ctx context.Context, w *kafka.Writer, m kafka.Message, provider string, queued time.Duration) error {
	// Each attempt at a task is a trace (a child of the task message's,
	// if it carries one) that its dead letter carries; the responses it
	// fetches start traces of their own, linked to it.
	attempt, _ := stream.ContinueTrace(m)
	task, err := DecodeTask(m.Value)
	if err != nil {
		c.Log.Warn("reject task", "origin", stream.Origin(m), "err", err, attempt.Attr())
		c.Metrics.Tasks.WithLabelValues("unknown", "rejected").Inc()
		return c.deadLetter(ctx, w, m, "bad_task", err, attempt)
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
	c.Log.Info("task started", "task", task.Short(), "provider", provider, "queue_wait", queued.Round(time.Millisecond), attempt.Attr())
	var buf []kafka.Message
	var fetchedAt []time.Time // when each of buf arrived, for its span
	var oldest time.Time      // clock time the first buffered message was emitted
	n := 0
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := stream.WriteMessages(ctx, w, buf...); err != nil {
			return fmt.Errorf("publish %d messages of task %s: %w", len(buf), task.ID, err)
		}
		debug := c.Log.Enabled(ctx, slog.LevelDebug)
		published := time.Now()
		for i, b := range buf {
			c.Metrics.Ingested.WithLabelValues(b.Topic, c.Source.Name()).Inc()
			if debug {
				c.Log.Debug("record published", "topic", b.Topic, "symbol", string(b.Key), "task", task.ID, stream.TraceAttr(b))
			}
			if c.Spans != nil {
				if tc, err := stream.TraceOf(b); err == nil && tc.IsValid() {
					c.Spans.Record(trace.Span{Context: tc, Name: "collect response", Start: fetchedAt[i], End: published,
						Links: []trace.Context{attempt}, Attrs: []trace.Attr{trace.String("topic", b.Topic),
							trace.String("symbol", string(b.Key)), trace.String("task", task.ID), trace.String("provider", provider)}})
				}
			}
		}
		n += len(buf)
		buf = buf[:0]
		fetchedAt = fetchedAt[:0]
		return nil
	}
	err = c.Source.Fetch(ctx, task, func(raw Raw) error {
		now := c.Clock.Now()
		if len(buf) == 0 {
			oldest = now
		}
		// Each provider response starts a trace that its records carry
		// through the processor to the lake and the sinks.
		headers := append(raw.Headers[:len(raw.Headers):len(raw.Headers)], stream.TraceHeader(trace.New()))
		buf = append(buf, kafka.Message{Topic: raw.Topic, Key: []byte(raw.Symbol), Value: raw.Value, Headers: headers})
		if c.Spans != nil {
			fetchedAt = append(fetchedAt, time.Now())
		}
		if len(buf) >= c.PublishBatch || now.Sub(oldest) >= c.PublishLinger {
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
		c.Log.Error("task failed", "task", task.Short(), "provider", provider, "published", n, "err", err, attempt.Attr())
		c.taskSpan(attempt, m, task, provider, start, n, err)
		return c.deadLetter(ctx, w, m, "task_failed", err, attempt)
	}
	c.Metrics.Tasks.WithLabelValues(string(task.Kind), "done").Inc()
	c.Log.Info("task done", "task", task.Short(), "provider", provider, "messages", n, "took", time.Since(start).Round(time.Millisecond), attempt.Attr())
	c.taskSpan(attempt, m, task, provider, start, n, nil)
	return nil
}

// taskSpan records the span of a task attempt, failed when err is set.
func (c *Collector) taskSpan(attempt trace.Context, m kafka.Message, task Task, provider string, start time.Time, published int, err error) {
	if c.Spans == nil {
		return
	}
	var parent trace.SpanID
	if tc, terr := stream.TraceOf(m); terr == nil && tc.IsValid() {
		parent = tc.SpanID
	}
	c.Spans.Record(trace.Span{Context: attempt, Parent: parent, Name: "collect task", Start: start, End: time.Now(), Err: err,
		Attrs: []trace.Attr{trace.String("task", task.ID), trace.String("kind", string(task.Kind)),
			trace.String("provider", provider), trace.Int("published", published)}})
}

// deadLetter publishes a task that failed, with the trace of its attempt in
// place of any the task message carried.
func (c *Collector) deadLetter(ctx context.Context, w *kafka.Writer, m kafka.Message, reason string, cause error, attempt trace.Context) error {
	c.Metrics.DeadLettered.WithLabelValues(m.Topic, reason).Inc()
	headers := stream.Headers(stream.HeaderReason, reason, stream.HeaderDetail, cause.Error(), stream.HeaderOrigin, stream.Origin(m))
	for _, h := range m.Headers {
		if h.Key != stream.HeaderTraceparent {
			headers = append(headers, h)
		}
	}
	dl := kafka.Message{Topic: stream.DeadLetter, Key: m.Key, Value: m.Value, Headers: append(headers, stream.TraceHeader(attempt))}
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
