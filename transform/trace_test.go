package transform

import (
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
)

// TestProcessCarriesTrace: every message processing a raw message gives,
// processed batches and dead letters alike, carries one child span of the
// raw message's trace; a raw message without one, or with an invalid one,
// starts a trace its outputs share.
func TestProcessCarriesTrace(t *testing.T) {
	parent := trace.New()
	for _, tc := range []struct {
		name   string
		header string // "" for none
		same   bool   // outputs continue parent's trace
	}{
		{"traced", parent.String(), true},
		{"untraced", "", false},
		{"invalid", "00-" + parent.TraceID.String() + "-0000000000000000-01", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gc, m := goldenMessage(t, "daily", 0)
			if tc.header != "" {
				m.Headers = append(m.Headers, kafka.Header{Key: stream.HeaderTraceparent, Value: []byte(tc.header)})
			}
			now := gc.Now
			p := &Processor{Cleaner: &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(now)}, Metrics: metrics.New()}
			out, err := p.Process(m)
			if err != nil {
				t.Fatal(err)
			}
			var first trace.Context
			dead := 0
			for i, o := range out {
				c, err := stream.TraceOf(o)
				if err != nil || !c.IsValid() {
					t.Fatalf("%s message %d carries no valid trace: %v", o.Topic, i, err)
				}
				if o.Topic == stream.DeadLetter {
					dead++
				}
				if i == 0 {
					first = c
				} else if c != first {
					t.Errorf("message %d has trace %s, message 0 %s: want one span", i, c, first)
				}
			}
			if dead == 0 || dead == len(out) {
				t.Fatalf("%d of %d messages are dead letters, want both kinds", dead, len(out))
			}
			if got := first.TraceID == parent.TraceID; got != tc.same {
				t.Errorf("outputs in trace %s, parent %s: same trace %v, want %v", first.TraceID, parent.TraceID, got, tc.same)
			}
			if first.SpanID == parent.SpanID {
				t.Error("outputs reuse the raw message's span id")
			}
		})
	}
}
