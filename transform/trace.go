package transform

import (
	"context"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
)

// traced puts one child span of m's trace on every message processing m
// gave, dead letters included, records it when p.Spans is set and logs it
// at debug level. A raw message without a trace (an older producer) starts
// one; one with an invalid traceparent starts one too and says so.
func (p *Processor) traced(m kafka.Message, start time.Time, out []kafka.Message) []kafka.Message {
	tc, err := stream.ContinueTrace(m)
	h := stream.TraceHeader(tc)
	for i := range out {
		out[i].Headers = append(out[i].Headers, h)
	}
	if p.Spans != nil {
		var parent trace.SpanID
		if in, perr := stream.TraceOf(m); perr == nil && in.IsValid() {
			parent = in.SpanID
		}
		p.Spans.Record(trace.Span{Context: tc, Parent: parent, Name: "process record", Start: start, End: time.Now(),
			Attrs: []trace.Attr{trace.String("topic", m.Topic), trace.String("symbol", string(m.Key)),
				trace.String("origin", stream.Origin(m)), trace.Int("messages", len(out))}})
	}
	if p.Log == nil {
		return out
	}
	if err != nil {
		p.Log.Warn("invalid trace context on a raw message; a new trace starts here", "origin", stream.Origin(m), "err", err, tc.Attr())
	}
	if p.Log.Enabled(context.Background(), slog.LevelDebug) {
		p.Log.Debug("record processed", "origin", stream.Origin(m), "symbol", string(m.Key), "messages", len(out), tc.Attr())
	}
	return out
}
