package stream

import (
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/stream/trace"
)

// HeaderTraceparent carries a message's W3C trace context (package trace):
// the collector starts a trace per provider response and every stage puts
// a child span of it on what it derives, dead letters included.
const HeaderTraceparent = trace.Header

// TraceOf returns the trace context m carries: the zero Context and no
// error when it carries none, an error when its traceparent is invalid.
func TraceOf(m kafka.Message) (trace.Context, error) {
	for _, h := range m.Headers {
		if h.Key == HeaderTraceparent {
			return trace.ParseBytes(h.Value)
		}
	}
	return trace.Context{}, nil
}

// ContinueTrace is the trace context of what a stage derives from m: a
// child span of m's, or a new trace when m carries none or an invalid one
// (err says which, for the caller to log).
func ContinueTrace(m kafka.Message) (trace.Context, error) {
	c, err := TraceOf(m)
	if err != nil || !c.IsValid() {
		return trace.New(), err
	}
	return c.Child(), nil
}

// TraceHeader is the header that carries c.
func TraceHeader(c trace.Context) kafka.Header {
	return kafka.Header{Key: HeaderTraceparent, Value: c.AppendText(make([]byte, 0, 55))}
}

// TraceAttr is the log attribute of m's trace id ("" when it has none).
func TraceAttr(m kafka.Message) slog.Attr {
	c, err := TraceOf(m)
	if err != nil || !c.IsValid() {
		return slog.String(trace.LogKey, "")
	}
	return c.Attr()
}

// BatchTrace is the log attributes of a batch of messages (trace.Links):
// the first traced message's trace id and the other traces it holds.
func BatchTrace(msgs []kafka.Message) []slog.Attr {
	return trace.Links(TracesOf(msgs))
}

// TracesOf is the valid trace contexts msgs carry, in order.
func TracesOf(msgs []kafka.Message) []trace.Context {
	cs := make([]trace.Context, 0, len(msgs))
	for _, m := range msgs {
		if c, err := TraceOf(m); err == nil && c.IsValid() {
			cs = append(cs, c)
		}
	}
	return cs
}

// RecordBatch hands r the span of a batch of msgs (trace.BatchSpan), when r
// is set and a message is traced.
func RecordBatch(r trace.Recorder, msgs []kafka.Message, name string, start time.Time, attrs ...trace.Attr) {
	if r == nil {
		return
	}
	if s, ok := trace.BatchSpan(TracesOf(msgs), name, start, time.Now(), attrs...); ok {
		r.Record(s)
	}
}
