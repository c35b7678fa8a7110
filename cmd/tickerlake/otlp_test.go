package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink/sinktest"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
	"github.com/tickerlake/tickerlake/stream/trace/otlp"
	"github.com/tickerlake/tickerlake/stream/trace/otlp/otlptest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// tracedRun is a pipeline over the synthetic market, with the spans of
// --otlp-endpoint set as main sets them.
type tracedRun struct {
	g     *Globals
	kc    stream.Cluster
	m     *metrics.Set
	logs  *logLines
	p     *Pipeline
	done  chan error
	close func() // stops the pipeline, then the exporter
}

func startTracedRun(t *testing.T, endpoint string, sinks func(context.Context, stream.Cluster, *slog.Logger, *metrics.Set) []sinkRole) *tracedRun {
	t.Helper()
	dir := t.TempDir()
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, dir+"/kafka")
	r := &tracedRun{g: &Globals{OTLP: endpoint}, kc: stream.Cluster{Brokers: []string{b.Addr()}}, m: metrics.New(), logs: &logLines{}, done: make(chan error, 1)}
	log := slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	closeSpans := r.g.startSpans("up", log)
	ctx, cancel := context.WithCancel(context.Background())
	r.p = &Pipeline{Kafka: r.kc, Store: store, Source: ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 5})),
		Log: log, Metrics: r.m, Spans: r.g.spans}
	if sinks != nil {
		r.p.Sinks = sinks(ctx, r.kc, log, r.m)
	}
	go func() { r.done <- r.p.Run(ctx) }()
	stopped := false
	r.close = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("pipeline: %v", err)
		}
		closeSinks(r.p.Sinks)
		closeSpans()
	}
	t.Cleanup(r.close)
	return r
}

func (r *tracedRun) publish(t *testing.T, tasks ...ingest.Task) {
	t.Helper()
	w := stream.NewWriter(r.kc, stream.TaskQueue)
	defer w.Close()
	if err := jobs.Publish(context.Background(), w, tasks...); err != nil {
		t.Fatal(err)
	}
}

// dailyTask is 10 sessions of daily bars for three symbols.
func dailyTask() ingest.Task {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	return ingest.NewTask(ingest.Daily, day.AddDate(0, 0, -10), day.AddDate(0, 0, 1), "AAPL", "MSFT", "JPM")
}

// TestOTLPMisconfiguredEndpoint runs the pipeline with --otlp-endpoint set
// to an address nothing listens on and to one that is no URL: the daily
// task's rows all reach the lake, and the log holds one warning about the
// endpoint, however many spans the run made.
func TestOTLPMisconfiguredEndpoint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, endpoint, warning string
		exports                 bool
	}{
		{"unreachable", closed, "otlp export failing", true},
		{"not a URL", "otel collector:4318", "otlp export off: the endpoint is invalid", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startTracedRun(t, tc.endpoint, nil)
			exp, _ := r.g.spans.(*otlp.Exporter)
			if (exp != nil) != tc.exports {
				t.Fatalf("exporter %v, want one: %v", exp, tc.exports)
			}
			r.publish(t, dailyTask())
			processed := r.m.Processed.WithLabelValues(dailyFeed(t).Processed)
			written := r.m.Written.WithLabelValues(market.DailyBars.Name, "lake")
			sinktest.Eventually(t, 60*time.Second, func() (bool, string) {
				p, w := testutil.ToFloat64(processed), testutil.ToFloat64(written)
				return p > 0 && p == w, fmt.Sprintf("%v rows processed, %v in the lake", p, w)
			})
			r.close()
			var dropped int64
			if exp != nil {
				dropped = exp.Dropped()
				if exp.Sent() != 0 || dropped == 0 {
					t.Errorf("%d spans sent, %d dropped; want none sent and some dropped", exp.Sent(), dropped)
				}
			}
			var warnings []string
			for _, line := range r.logs.lines(t) {
				if line["level"] == "WARN" {
					warnings = append(warnings, fmt.Sprint(line))
				}
			}
			if len(warnings) != 1 || !bytes.Contains([]byte(warnings[0]), []byte(tc.warning)) {
				t.Fatalf("want one warning, %q; got %d:\n%v", tc.warning, len(warnings), warnings)
			}
			t.Logf("%v rows in the lake; %d spans dropped; the one warning: %s", testutil.ToFloat64(written), dropped, warnings[0])
		})
	}
}

// TestOTLPSpansCarryTheHeaderIDs exports the pipeline's spans, the SQL
// sink's among them, to an OTLP/HTTP receiver and checks each against the
// traceparent the Kafka messages carry: a collector span per raw message
// with its ids, a processor span per raw message with the ids of what it
// derived and the raw message's span as parent, and lake commits and sink
// writes that continue processed messages' spans and link the others.
func TestOTLPSpansCarryTheHeaderIDs(t *testing.T) {
	pg := sinktest.PostgresDB(t, sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the OTLP test with the SQL sink"))
	rcv := otlptest.NewReceiver(t)
	r := startTracedRun(t, rcv.URL, func(ctx context.Context, kc stream.Cluster, log *slog.Logger, m *metrics.Set) []sinkRole {
		sinks, err := SinkFlags{SQLDSN: pg}.open(ctx, kc, log, m)
		if err != nil {
			t.Fatal(err)
		}
		return sinks
	})
	if r.g.spans == nil {
		t.Fatal("no exporter for a valid endpoint")
	}
	r.publish(t, dailyTask())
	feed := dailyFeed(t)
	processed := r.m.Processed.WithLabelValues(feed.Processed)
	written := r.m.Written.WithLabelValues(market.DailyBars.Name, "lake")
	sunk := r.m.Written.WithLabelValues(market.DailyBars.Name, "sql")
	sinktest.Eventually(t, 60*time.Second, func() (bool, string) {
		p, w, s := testutil.ToFloat64(processed), testutil.ToFloat64(written), testutil.ToFloat64(sunk)
		return p > 0 && p == w && p == s, fmt.Sprintf("%v rows processed, %v in the lake, %v in SQL", p, w, s)
	})
	r.close() // sends the last spans
	byName := map[string][]*tracepb.Span{}
	bySpan := map[string]*tracepb.Span{}
	for _, s := range rcv.Spans() {
		byName[s.Name] = append(byName[s.Name], s)
		bySpan[fmt.Sprintf("%x/%x", s.TraceId, s.SpanId)] = s
	}
	key := func(c trace.Context) string { return c.TraceID.String() + "/" + c.SpanID.String() }
	parentOf := map[string]string{} // processed message's span → its raw message's
	raw := readTopic(t, r.kc.Brokers, feed.Raw)
	if len(raw) != 3 {
		t.Fatalf("%d raw messages on %s, want one per symbol", len(raw), feed.Raw)
	}
	for _, m := range raw {
		tc := traceOf(t, m)
		s := bySpan[key(tc)]
		if s == nil || s.Name != "collect response" || len(s.ParentSpanId) != 0 {
			t.Errorf("raw message %s carries %s: receiver has %v, want its collect response span", m.Key, tc, s)
		}
	}
	out := readTopic(t, r.kc.Brokers, feed.Processed)
	for _, m := range out {
		tc := traceOf(t, m)
		s := bySpan[key(tc)]
		if s == nil || s.Name != "process record" {
			t.Errorf("processed message %s carries %s: receiver has %v, want its process record span", m.Key, tc, s)
			continue
		}
		parent := fmt.Sprintf("%x/%x", s.TraceId, s.ParentSpanId)
		if p := bySpan[parent]; p == nil || p.Name != "collect response" {
			t.Errorf("process record span %s continues %s, no collect response span", key(tc), parent)
		}
		parentOf[key(tc)] = parent
	}
	for _, name := range []string{"lake commit", "sink write"} {
		rows := int64(0)
		for _, s := range byName[name] {
			parent := fmt.Sprintf("%x/%x", s.TraceId, s.ParentSpanId)
			if _, ok := parentOf[parent]; !ok {
				t.Errorf("%s span continues %s, no processed message's span", name, parent)
			}
			for _, l := range s.Links {
				if _, ok := parentOf[fmt.Sprintf("%x/%x", l.TraceId, l.SpanId)]; !ok {
					t.Errorf("%s span links %x/%x, no processed message's span", name, l.TraceId, l.SpanId)
				}
			}
			for _, a := range s.Attributes {
				if a.Key == "rows" {
					rows += a.Value.GetIntValue()
				}
			}
		}
		if float64(rows) != testutil.ToFloat64(processed) {
			t.Errorf("%s spans hold %d rows, want the %v processed", name, rows, testutil.ToFloat64(processed))
		}
	}
	t.Logf("spans received: %d collect response, %d process record, %d lake commit, %d sink write; %d raw and %d processed messages",
		len(byName["collect response"]), len(byName["process record"]), len(byName["lake commit"]), len(byName["sink write"]), len(raw), len(out))
}

func traceOf(t *testing.T, m kafka.Message) trace.Context {
	t.Helper()
	tc, err := stream.TraceOf(m)
	if err != nil || !tc.IsValid() {
		t.Fatalf("message %s/%d/%d carries no valid traceparent: %v", m.Topic, m.Partition, m.Offset, err)
	}
	return tc
}

func dailyFeed(t *testing.T) market.Feed {
	t.Helper()
	f, err := market.FeedForTask(string(ingest.Daily))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
