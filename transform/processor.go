package transform

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/internal/workers"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
)

// Processor consumes the raw topics in one consumer group, cleans each
// message and publishes the valid records as one Arrow batch to the processed
// topic and each rejected record to the dead-letter topic. Offsets are
// committed after both are acknowledged; the next batch is processed
// meanwhile.
type Processor struct {
	Cleaner *Cleaner
	Kafka   stream.Cluster
	Group   string // default "processor"
	Log     *slog.Logger
	Metrics *metrics.Set
	// BatchSize and BatchWindow bound one fetch-process-commit cycle
	// (defaults 256 messages, 50ms).
	BatchSize   int
	BatchWindow time.Duration
	// Spans, when set, takes a span per raw message, with the ids the
	// messages derived from it carry (default none).
	Spans trace.Recorder

	rulesOnce sync.Once
	rules     ruleMetrics
	rulesErr  error
}

func (p *Processor) init() error {
	p.rulesOnce.Do(func() { p.rules, p.rulesErr = newRuleMetrics(p.Metrics.Registry) })
	if p.rulesErr != nil {
		return fmt.Errorf("processor metrics: %w", p.rulesErr)
	}
	return nil
}

// Run processes until ctx ends; a batch in hand when it ends is finished.
func (p *Processor) Run(ctx context.Context) error {
	if p.Group == "" {
		p.Group = "processor"
	}
	if p.BatchSize == 0 {
		p.BatchSize = 256
	}
	if p.BatchWindow == 0 {
		p.BatchWindow = 50 * time.Millisecond
	}
	if err := p.init(); err != nil {
		return err
	}
	if p.Cleaner.Dividends == nil {
		// Trailing yields come from the dividends cleaned before: read them
		// before the first option chain, so a restart does not price with 0.
		n, err := p.Cleaner.WarmDividends(ctx, p.Kafka)
		if err != nil {
			return err
		}
		p.Log.Info("dividends read for trailing yields", "dividends", n)
	}
	r := stream.NewReader(stream.ReaderConfig{Kafka: p.Kafka, Group: p.Group, Topics: stream.RawTopics()})
	w := stream.NewProcessedWriter(p.Kafka)
	defer func() {
		if err := w.Close(); err != nil {
			p.Log.Warn("close producer", "err", err)
		}
	}()
	defer func() {
		if err := r.Close(); err != nil {
			p.Log.Warn("close raw reader", "err", err)
		}
	}()
	p.Log.Info("processor started", "group", p.Group)
	// The next batch is processed while this one's produce acks are
	// outstanding; offsets are committed in order, each after its batch's
	// acks (RunAhead). Batches in hand when ctx ends are finished: they
	// are already fetched.
	loop := stream.Consume{Name: "raw", BatchSize: p.BatchSize, BatchWindow: p.BatchWindow}
	return loop.RunAhead(ctx, r, func(_ context.Context, batch []kafka.Message) (stream.Finish, error) {
		out, err := p.processBatch(batch)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			if err := stream.WriteMessages(ctx, w, out...); err != nil {
				return fmt.Errorf("publish %d processed messages: %w", len(out), err)
			}
			// Acknowledged, so the producer is done with them.
			recycleValues(out)
			return nil
		}, nil
	})
}

// processBatch processes a batch on every core. Messages of one key (one
// symbol) stay in order on one worker, because gap filling reads a running
// mean per symbol; the output keeps the batch's order.
func (p *Processor) processBatch(batch []kafka.Message) ([]kafka.Message, error) {
	byKey := map[string][]int{}
	var keys []string
	for i, m := range batch {
		k := string(m.Key)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	results := make([][]kafka.Message, len(batch))
	err := workers.Each(len(keys), func(n int) error {
		for _, i := range byKey[keys[n]] {
			msgs, err := p.process(batch[i], true)
			if err != nil {
				return err
			}
			results[i] = msgs
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []kafka.Message
	for _, r := range results {
		out = append(out, r...)
	}
	return out, nil
}

// Process turns one raw message into processed and dead-letter messages.
// It is safe for concurrent use.
func (p *Processor) Process(m kafka.Message) ([]kafka.Message, error) {
	return p.process(m, false)
}

// process is Process; with pooled, the processed messages' values are
// encoded into buffers of arrowValues, for the caller to hand back with
// recycleValues once the producer is done with them.
func (p *Processor) process(m kafka.Message, pooled bool) ([]kafka.Message, error) {
	start := time.Now()
	if v := stream.Header(m, stream.HeaderSchemaVersion); v != "" && v != "1" {
		return p.traced(m, start, p.deadLetters(m, []Reject{{Reason: ReasonSchemaVersion, Detail: "schema version " + v, Payload: m.Value}})), nil
	}
	if err := p.init(); err != nil {
		return nil, err
	}
	feed, err := market.FeedForRaw(m.Topic)
	if err != nil {
		return nil, fmt.Errorf("processor: %w", err)
	}
	smiles, err := market.FeedOf(market.IVSmiles)
	if err != nil {
		return nil, fmt.Errorf("processor: %w", err)
	}
	res, err := p.Cleaner.Clean(m.Topic, m.Value, stream.Header(m, stream.HeaderSnapshot))
	if err != nil {
		return nil, err
	}
	for i := range res.Rejects {
		if res.Rejects[i].Symbol == "" {
			res.Rejects[i].Symbol = string(m.Key)
		}
	}
	p.count(res)
	origin := []byte(stream.Origin(m))
	msgs := make([]kafka.Message, 0, len(res.Rejects)+2)
	msgs = p.appendDeadLetters(msgs, m, origin, res.Rejects)
	for _, b := range [...]struct {
		topic string
		ds    *market.Dataset
		rows  any
		n     int
	}{{feed.Processed, res.Dataset, res.Rows, res.N}, {smiles.Processed, market.IVSmiles, res.Smiles, len(res.Smiles)}} {
		if b.n == 0 {
			continue
		}
		var buf []byte
		if pooled {
			buf = arrowValue()
		}
		value, err := stream.AppendBatch(buf, b.ds, b.rows)
		if err != nil {
			return nil, err
		}
		p.Metrics.Processed.WithLabelValues(b.topic).Add(float64(b.n))
		msgs = append(msgs, kafka.Message{Topic: b.topic, Key: m.Key, Value: value, Headers: append(make([]kafka.Header, 0, 5),
			kafka.Header{Key: stream.HeaderEncoding, Value: encodingArrow},
			kafka.Header{Key: stream.HeaderSchema, Value: []byte(b.ds.Name)},
			kafka.Header{Key: stream.HeaderSchemaVersion, Value: schemaVersion},
			kafka.Header{Key: stream.HeaderOrigin, Value: origin},
		)})
	}
	// Encoded: the rows are not needed any more.
	if quotes, ok := res.Rows.([]market.OptionQuote); ok {
		recycleQuotes(quotes)
	}
	return p.traced(m, start, msgs), nil
}

// arrowValues keeps the buffers of processed messages' values once the
// producer is done with them, for the next messages' Arrow batches. The
// processor allocated them anew for every message, some 5 MB a snapshot of
// 12,880 contracts, and the quotes (quoteBuffers) as much again: with both
// kept, BenchmarkProcessorRun allocates 105 to 109 MB a run of four
// snapshots, the broker's share included, against 147 before.
var arrowValues sync.Pool // of *[]byte

// arrowValue returns an empty buffer, recycled if one is at hand.
func arrowValue() []byte {
	if b, ok := arrowValues.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// recycleValues hands back the values of the processed messages among
// msgs, which process encoded pooled; nothing may use them afterwards. A
// dead letter's value is its raw payload, which is not the pool's.
func recycleValues(msgs []kafka.Message) {
	for i := range msgs {
		if msgs[i].Topic != stream.DeadLetter && cap(msgs[i].Value) > 0 {
			v := msgs[i].Value
			arrowValues.Put(&v)
			msgs[i].Value = nil
		}
	}
}

// The values of the processed messages' fixed headers, which they share: no
// one writes to a header's value.
var (
	encodingArrow = []byte(stream.EncodingArrow)
	schemaVersion = []byte(strconv.Itoa(market.SchemaVersion))
)

// Result is what cleaning one raw message gave.
type Result struct {
	Dataset *market.Dataset
	Rows    any // a slice of Dataset's row type
	N       int // len(Rows)
	Smiles  []market.IVSmile
	Rejects []Reject
	Report  Report
}

// step is one cleaning step of the registry (market.Cleaning): it decodes
// and cleans one raw message of feed.
type step func(c *Cleaner, feed market.Feed, value []byte, snapshot string) Result

// steps holds the cleaning steps by name; each step registers itself
// (register), so a new dataset's cleaning needs no edit here.
var steps = map[market.Cleaning]step{}

// register adds a cleaning step; a name registered twice is a programming
// error.
func register(name market.Cleaning, s step) {
	if _, dup := steps[name]; dup {
		panic("transform: cleaning step " + string(name) + " registered twice")
	}
	steps[name] = s
}

// decodeErr is the result of a raw message that does not decode.
func decodeErr(value []byte, reason string, err error) Result {
	return Result{Rejects: []Reject{{Reason: reason, Detail: err.Error(), Payload: value}}}
}

func init() {
	bars := func(c *Cleaner, feed market.Feed, value []byte, _ string) Result {
		ts, err := wire.DecodeTimeSeries(value)
		if err != nil {
			return decodeErr(value, ReasonDecode, err)
		}
		if feed.Clean == market.CleanIntradayBars {
			bars, rj, rep := c.intradayBars(ts)
			return Result{Dataset: feed.Dataset, Rows: bars, N: len(bars), Rejects: rj, Report: rep}
		}
		bars, rj, rep := c.dailyBars(ts)
		return Result{Dataset: feed.Dataset, Rows: bars, N: len(bars), Rejects: rj, Report: rep}
	}
	register(market.CleanDailyBars, bars)
	register(market.CleanIntradayBars, bars)
	register(market.CleanOptionChain, func(c *Cleaner, feed market.Feed, value []byte, snapshot string) Result {
		res, err := wire.DecodeOptionChain(value)
		if err != nil {
			return decodeErr(value, ReasonDecode, err)
		}
		snap, err := snapshotOf(snapshot, res)
		if err != nil {
			return decodeErr(value, ReasonBadTimestamp, err)
		}
		quotes, rj, rep := c.options(res, snap)
		return Result{Dataset: feed.Dataset, Rows: quotes, N: len(quotes), Smiles: c.Smiles(quotes), Rejects: rj, Report: rep}
	})
}

// Clean decodes and cleans one raw message of a raw topic. snapshot is the
// tl-snapshot-ts header of an option chain ("" to use the quote's time).
// Undecodable input is a reject, not an error; only a topic the processor
// does not read is an error.
func (c *Cleaner) Clean(topic string, value []byte, snapshot string) (Result, error) {
	feed, err := market.FeedForRaw(topic)
	if err != nil {
		return Result{}, fmt.Errorf("processor: %w", err)
	}
	s, ok := steps[feed.Clean]
	if !ok {
		return Result{}, fmt.Errorf("processor: topic %s has cleaning step %q, which the processor does not know", topic, feed.Clean)
	}
	return s(c, feed, value, snapshot), nil
}

func (p *Processor) count(res Result) {
	if res.Dataset == nil {
		return
	}
	name := res.Dataset.Name
	for f, n := range res.Report.Filled {
		if n > 0 {
			p.rules.imputed.WithLabelValues(name, Fill(f).String()).Add(float64(n))
		}
	}
	if n := res.Report.GapBars; n > 0 {
		p.rules.gapBars.WithLabelValues(name).Add(float64(n))
	}
	if n := res.Report.Deduplicated; n > 0 {
		p.rules.deduplicated.WithLabelValues(name).Add(float64(n))
	}
	// Counted even when zero, so the series exists before the first
	// unsolved quote and dashboards and alerts over it have data.
	if res.Dataset == market.OptionQuotes {
		for u, n := range res.Report.UnsolvedBy {
			p.rules.unsolved.WithLabelValues(name, Unsolved(u).String()).Add(float64(n))
		}
	}
}

func snapshotOf(header string, res wire.OptionResult) (time.Time, error) {
	if header != "" {
		t, err := time.Parse(time.RFC3339Nano, header)
		if err != nil {
			return t, fmt.Errorf("snapshot header: %w", err)
		}
		return t.UTC(), nil
	}
	if t := res.Quote.RegularMarketTime; t != nil {
		return time.Unix(*t, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("option chain has no snapshot time")
}

func (p *Processor) deadLetters(m kafka.Message, rejects []Reject) []kafka.Message {
	return p.appendDeadLetters(make([]kafka.Message, 0, len(rejects)), m, []byte(stream.Origin(m)), rejects)
}

// appendDeadLetters appends the dead letters of rejects to out; origin is
// stream.Origin(m), which they share (no one writes to a header's value).
func (p *Processor) appendDeadLetters(out []kafka.Message, m kafka.Message, origin []byte, rejects []Reject) []kafka.Message {
	if len(rejects) == 0 {
		return out
	}
	schema := []byte(stream.Header(m, stream.HeaderSchema))
	for _, r := range rejects {
		p.Metrics.DeadLettered.WithLabelValues(m.Topic, r.Reason).Inc()
		key := r.Symbol
		if key == "" {
			key = string(m.Key)
		}
		// Room for the trace header traced adds.
		out = append(out, kafka.Message{Topic: stream.DeadLetter, Key: []byte(key), Value: r.Payload, Headers: append(make([]kafka.Header, 0, 5),
			kafka.Header{Key: stream.HeaderReason, Value: []byte(r.Reason)},
			kafka.Header{Key: stream.HeaderDetail, Value: []byte(r.Detail)},
			kafka.Header{Key: stream.HeaderOrigin, Value: origin},
			kafka.Header{Key: stream.HeaderSchema, Value: schema},
		)})
	}
	return out
}
