package transform

import (
	"context"
	"log/slog"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/stream"
)

// traced puts one child span of m's trace on every message processing m
// gave, dead letters included, and logs it at debug level. A raw message
// without a trace (an older producer) starts one; one with an invalid
// traceparent starts one too and says so.
func (p *Processor) traced(m kafka.Message, out []kafka.Message) []kafka.Message {
	tc, err := stream.ContinueTrace(m)
	h := stream.TraceHeader(tc)
	for i := range out {
		out[i].Headers = append(out[i].Headers, h)
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
