package transform

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// Processor consumes the raw topics in one consumer group, cleans each
// message and publishes the valid records as one Arrow batch to the processed
// topic and each rejected record to the dead-letter topic. Offsets are
// committed after both are acknowledged.
type Processor struct {
	Cleaner *Cleaner
	Brokers []string
	Group   string // default "processor"
	Log     *slog.Logger
	Metrics *metrics.Set
	// BatchSize and BatchWindow bound one fetch-process-commit cycle
	// (defaults 256 messages, 50ms).
	BatchSize   int
	BatchWindow time.Duration
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
	r := stream.NewReader(stream.ReaderConfig{Brokers: p.Brokers, Group: p.Group, Topics: stream.RawTopics()})
	w := stream.NewWriter(p.Brokers, "")
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
	for {
		batch, err := stream.FetchBatch(ctx, r, p.BatchSize, p.BatchWindow)
		if len(batch) == 0 {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fetch raw: %w", err)
		}
		// Finish the batch even when asked to stop: it is already fetched.
		wctx := context.WithoutCancel(ctx)
		var out []kafka.Message
		for _, m := range batch {
			msgs, err := p.Process(m)
			if err != nil {
				return err
			}
			out = append(out, msgs...)
		}
		if err := w.WriteMessages(wctx, out...); err != nil {
			return fmt.Errorf("publish %d processed messages: %w", len(out), err)
		}
		if err := r.CommitMessages(wctx, batch...); err != nil {
			return fmt.Errorf("commit raw offsets: %w", err)
		}
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("fetch raw: %w", err)
		}
	}
}

// Process turns one raw message into processed and dead-letter messages.
func (p *Processor) Process(m kafka.Message) ([]kafka.Message, error) {
	var (
		ds      *market.Dataset
		rows    any
		n       int
		rejects []Reject
	)
	out, _ := stream.ProcessedFor(m.Topic)
	if v := stream.Header(m, stream.HeaderSchemaVersion); v != "" && v != "1" {
		return p.deadLetters(m, []Reject{{Reason: ReasonSchemaVersion, Detail: "schema version " + v, Payload: m.Value}}), nil
	}
	switch m.Topic {
	case stream.DailyData, stream.HistoricalData, stream.IntradayData:
		ts, err := ingest.DecodeTimeSeries(m.Value)
		if err != nil {
			return p.deadLetters(m, []Reject{{Reason: ReasonDecode, Detail: err.Error(), Symbol: string(m.Key), Payload: m.Value}}), nil
		}
		if m.Topic == stream.IntradayData {
			bars, rj := p.Cleaner.IntradayBars(ts)
			ds, rows, n, rejects = market.IntradayBars, bars, len(bars), rj
		} else {
			bars, rj := p.Cleaner.DailyBars(ts)
			ds, rows, n, rejects = market.DailyBars, bars, len(bars), rj
		}
	case stream.OptionData:
		res, err := ingest.DecodeOptionChain(m.Value)
		if err != nil {
			return p.deadLetters(m, []Reject{{Reason: ReasonDecode, Detail: err.Error(), Symbol: string(m.Key), Payload: m.Value}}), nil
		}
		snap, err := snapshotOf(m, res)
		if err != nil {
			return p.deadLetters(m, []Reject{{Reason: ReasonBadTimestamp, Detail: err.Error(), Symbol: string(m.Key), Payload: m.Value}}), nil
		}
		quotes, rj := p.Cleaner.Options(res, snap)
		ds, rows, n, rejects = market.OptionQuotes, quotes, len(quotes), rj
	default:
		return nil, fmt.Errorf("processor: message from unexpected topic %s", m.Topic)
	}
	msgs := p.deadLetters(m, rejects)
	if n == 0 {
		return msgs, nil
	}
	value, err := EncodeBatch(ds, rows)
	if err != nil {
		return nil, err
	}
	p.Metrics.Processed.WithLabelValues(out).Add(float64(n))
	msgs = append(msgs, kafka.Message{Topic: out, Key: m.Key, Value: value, Headers: stream.Headers(
		stream.HeaderEncoding, stream.EncodingArrow,
		stream.HeaderSchema, ds.Name,
		stream.HeaderSchemaVersion, strconv.Itoa(market.SchemaVersion),
		stream.HeaderOrigin, stream.Origin(m),
	)})
	return msgs, nil
}

func snapshotOf(m kafka.Message, res ingest.OptionResult) (time.Time, error) {
	if h := stream.Header(m, stream.HeaderSnapshot); h != "" {
		return time.Parse(time.RFC3339Nano, h)
	}
	if t := res.Quote.RegularMarketTime; t != nil {
		return time.Unix(*t, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("option chain has no snapshot time")
}

func (p *Processor) deadLetters(m kafka.Message, rejects []Reject) []kafka.Message {
	out := make([]kafka.Message, 0, len(rejects))
	for _, r := range rejects {
		p.Metrics.DeadLettered.WithLabelValues(m.Topic, r.Reason).Inc()
		key := r.Symbol
		if key == "" {
			key = string(m.Key)
		}
		out = append(out, kafka.Message{Topic: stream.DeadLetter, Key: []byte(key), Value: r.Payload, Headers: stream.Headers(
			stream.HeaderReason, r.Reason,
			stream.HeaderDetail, r.Detail,
			stream.HeaderOrigin, stream.Origin(m),
			stream.HeaderSchema, stream.Header(m, stream.HeaderSchema),
		)})
	}
	return out
}

// EncodeBatch encodes rows of a dataset as an Arrow IPC stream.
func EncodeBatch(ds *market.Dataset, rows any) ([]byte, error) {
	rec, err := ds.Record(memory.DefaultAllocator, rows)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("encode %s batch: %w", ds.Name, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode %s batch: %w", ds.Name, err)
	}
	return buf.Bytes(), nil
}
