package otlp_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/internal/logbuf"
	"github.com/tickerlake/tickerlake/stream/trace"
	"github.com/tickerlake/tickerlake/stream/trace/otlp"
	"github.com/tickerlake/tickerlake/stream/trace/otlp/otlptest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// logLines is a logger that keeps its lines.
type logLines struct{ logbuf.Buffer }

func (l *logLines) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// count is how many lines at level have msg in them.
func (l *logLines) count(level, msg string) int {
	n := 0
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, "level="+level) && strings.Contains(line, msg) {
			n++
		}
	}
	return n
}

func TestExportKeepsTheIDs(t *testing.T) {
	rcv := otlptest.NewReceiver(t)
	var logs logLines
	e := otlp.Start(otlp.Config{Endpoint: rcv.URL, Service: "tickerlake-test", Log: logs.logger(),
		Resource: []trace.Attr{trace.String("tickerlake.command", "up")}})
	if e == nil {
		t.Fatal("Start returned nil for a valid endpoint")
	}
	root := trace.New()
	child := root.Child()
	other := trace.New()
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	e.Record(trace.Span{Context: root, Name: "collect response", Start: t0, End: t0.Add(time.Millisecond),
		Attrs: []trace.Attr{trace.String("topic", "raw-daily"), trace.Int("records", 3)}})
	commit, ok := trace.BatchSpan([]trace.Context{child, other}, "lake commit", t0, t0.Add(time.Second))
	if !ok {
		t.Fatal("BatchSpan of two contexts gave no span")
	}
	commit.Err = errors.New("put object: slow down")
	e.Record(commit)
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rcv.Spans()
	if len(got) != 2 || e.Sent() != 2 || e.Dropped() != 0 {
		t.Fatalf("received %d spans, sent %d, dropped %d; want 2, 2, 0", len(got), e.Sent(), e.Dropped())
	}
	if rcv.Resource()["service.name"] != "tickerlake-test" || rcv.Resource()["tickerlake.command"] != "up" {
		t.Errorf("resource attributes %v", rcv.Resource())
	}
	r, c := got[0], got[1]
	if !bytes.Equal(r.TraceId, root.TraceID[:]) || !bytes.Equal(r.SpanId, root.SpanID[:]) || len(r.ParentSpanId) != 0 {
		t.Errorf("root span ids %x/%x parent %x, want %s/%s and none", r.TraceId, r.SpanId, r.ParentSpanId, root.TraceID, root.SpanID)
	}
	if r.Name != "collect response" || r.StartTimeUnixNano != uint64(t0.UnixNano()) || r.EndTimeUnixNano != uint64(t0.Add(time.Millisecond).UnixNano()) {
		t.Errorf("root span %q %d..%d", r.Name, r.StartTimeUnixNano, r.EndTimeUnixNano)
	}
	if len(r.Attributes) != 2 || r.Attributes[0].Value.GetStringValue() != "raw-daily" || r.Attributes[1].Value.GetIntValue() != 3 {
		t.Errorf("root attributes %v", r.Attributes)
	}
	if !bytes.Equal(c.TraceId, child.TraceID[:]) || !bytes.Equal(c.ParentSpanId, child.SpanID[:]) || bytes.Equal(c.SpanId, child.SpanID[:]) {
		t.Errorf("commit span %x/%x parent %x: want trace %s, parent %s and a span of its own", c.TraceId, c.SpanId, c.ParentSpanId, child.TraceID, child.SpanID)
	}
	if len(c.Links) != 1 || !bytes.Equal(c.Links[0].TraceId, other.TraceID[:]) || !bytes.Equal(c.Links[0].SpanId, other.SpanID[:]) {
		t.Errorf("commit links %v, want the other record's span", c.Links)
	}
	if c.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || c.Status.GetMessage() != "put object: slow down" {
		t.Errorf("commit status %v", c.Status)
	}
	if n := logs.count("WARN", "otlp"); n != 0 {
		t.Errorf("%d warnings exporting to a working endpoint:\n%s", n, logs.String())
	}
}

func TestInvalidEndpointWarnsOnceAndStaysOff(t *testing.T) {
	for _, endpoint := range []string{"localhost:4318", "otel collector:4318", "ftp://collector:4318", "http://", "::"} {
		t.Run(endpoint, func(t *testing.T) {
			var logs logLines
			e := otlp.Start(otlp.Config{Endpoint: endpoint, Log: logs.logger()})
			if e != nil {
				t.Fatalf("Start(%q) exports", endpoint)
			}
			e.Record(trace.Span{Context: trace.New()}) // a nil Exporter takes spans and drops them
			if err := e.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := logs.count("WARN", "otlp export off: the endpoint is invalid"); n != 1 || strings.Count(logs.String(), "\n") != 1 {
				t.Errorf("want one warning line, got:\n%s", logs.String())
			}
		})
	}
}

func TestTracesURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://otel:4318":           "http://otel:4318/v1/traces",
		"http://otel:4318/":          "http://otel:4318/v1/traces",
		"https://otel.example/otlp":  "https://otel.example/otlp/v1/traces",
		"http://otel:4318/v1/traces": "http://otel:4318/v1/traces",
		" http://127.0.0.1:4318 ":    "http://127.0.0.1:4318/v1/traces",
		"https://u:p@otel:443/x/":    "https://u:p@otel:443/x/v1/traces",
	} {
		got, err := otlp.TracesURL(in)
		if err != nil || got != want {
			t.Errorf("otlp.TracesURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// unreachable is an address nothing listens on: a port just closed.
func unreachable(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func TestFailingEndpointWarnsOnce(t *testing.T) {
	var logs logLines
	// Batch 1: every span is a request of its own, each of which fails.
	e := otlp.Start(otlp.Config{Endpoint: unreachable(t), Log: logs.logger(), Batch: 1, Queue: 8})
	if e == nil {
		t.Fatal("Start returned nil for a valid endpoint")
	}
	const n = 200
	for range n {
		e.Record(trace.Span{Context: trace.New(), Name: "process record"})
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.Sent() != 0 || e.Dropped() != n {
		t.Errorf("sent %d, dropped %d; want 0 and %d", e.Sent(), e.Dropped(), n)
	}
	if got := logs.count("WARN", ""); got != 1 || logs.count("WARN", "otlp export failing") != 1 {
		t.Errorf("want one warning, got %d:\n%s", got, logs.String())
	}
}

func TestRecoveryIsLogged(t *testing.T) {
	var logs logLines
	var down atomic.Bool // the endpoint answers 503
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "collector starting", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	e := otlp.Start(otlp.Config{Endpoint: srv.URL, Log: logs.logger(), Batch: 1})
	e.Record(trace.Span{Context: trace.New()})
	e.Record(trace.Span{Context: trace.New()})
	for e.Dropped() < 2 {
		time.Sleep(time.Millisecond) // the loop posts in the background
	}
	down.Store(false)
	e.Record(trace.Span{Context: trace.New()})
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.Sent() != 1 || logs.count("WARN", "503 Service Unavailable") != 1 || logs.count("INFO", "otlp export recovered") != 1 {
		t.Errorf("sent %d, want 1; log:\n%s", e.Sent(), logs.String())
	}
}
