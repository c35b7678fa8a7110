// Package otlp sends the spans of package trace to an OpenTelemetry
// collector over OTLP/HTTP (protobuf). Export is optional and never holds
// up the pipeline: spans wait in a bounded queue and are dropped when it is
// full or the endpoint fails, which one warning line says.
package otlp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/stream/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TracesPath is the OTLP/HTTP path of traces, appended to an endpoint that
// does not already end with it.
const TracesPath = "/v1/traces"

// Config says where and how to export. Only Endpoint is required.
type Config struct {
	// Endpoint is the collector's base URL, http(s)://host:port, as
	// OTEL_EXPORTER_OTLP_ENDPOINT is; TracesPath is appended unless the
	// URL already ends with it.
	Endpoint string
	// Service is the service.name resource attribute (default "tickerlake").
	Service string
	// Resource are more resource attributes, such as the command that runs.
	Resource []trace.Attr
	// Log takes the one warning of a failing endpoint (default slog.Default).
	Log *slog.Logger
	// Client sends the requests (default: one with a 5 s timeout).
	Client *http.Client
	// Queue is how many spans wait for export before more are dropped
	// (default 4096).
	Queue int
	// Batch is the most spans per request (default 512).
	Batch int
	// Interval is the longest a span waits for a request (default 2 s).
	Interval time.Duration
	// Clock times Interval (default the system clock).
	Clock clock.Clock
}

// ErrEndpoint is an endpoint that is no http(s) URL.
var ErrEndpoint = errors.New("otlp endpoint is no http(s) URL")

// TracesURL checks an endpoint and returns the URL spans are posted to.
func TracesURL(endpoint string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrEndpoint, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: %q", ErrEndpoint, u.Redacted())
	}
	if !strings.HasSuffix(u.Path, TracesPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + TracesPath
	}
	return u.String(), nil
}

// Exporter is a trace.Recorder that posts spans to an OTLP/HTTP endpoint
// in the background.
type Exporter struct {
	url      string
	redacted string
	cfg      Config
	resource *resourcepb.Resource
	queue    chan trace.Span
	stop     context.CancelFunc
	done     chan struct{}
	dropped  atomic.Int64
	sent     atomic.Int64

	closeOnce sync.Once
	failing   bool         // the export loop's, then Close's
	left      []trace.Span // what the loop held when it stopped
}

// Start checks cfg.Endpoint and starts exporting to it. An endpoint that is
// no http(s) URL logs one warning and returns nil: export stays off and the
// pipeline runs as it does without it.
func Start(cfg Config) *Exporter {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	u, err := TracesURL(cfg.Endpoint)
	if err != nil {
		cfg.Log.Warn("otlp export off: the endpoint is invalid; traces stay in the Kafka headers and logs",
			"endpoint", cfg.Endpoint, "err", err)
		return nil
	}
	if cfg.Service == "" {
		cfg.Service = "tickerlake"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 4096
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 512
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	cfg.Clock = clock.Or(cfg.Clock)
	pu, _ := url.Parse(u)
	e := &Exporter{
		url: u, redacted: pu.Redacted(), cfg: cfg,
		resource: &resourcepb.Resource{Attributes: keyValues(append([]trace.Attr{trace.String("service.name", cfg.Service)}, cfg.Resource...))},
		queue:    make(chan trace.Span, cfg.Queue),
		done:     make(chan struct{}),
	}
	ctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	go e.loop(ctx)
	cfg.Log.Info("otlp export on", "url", e.redacted)
	return e
}

// Record queues s for export; it never blocks, and drops s when the queue
// is full. A nil Exporter records nothing.
func (e *Exporter) Record(s trace.Span) {
	if e == nil {
		return
	}
	select {
	case e.queue <- s:
	default:
		e.dropped.Add(1)
	}
}

// Dropped is how many spans were not delivered: the queue was full, or
// their request failed.
func (e *Exporter) Dropped() int64 { return e.dropped.Load() }

// Sent is how many spans the endpoint accepted.
func (e *Exporter) Sent() int64 { return e.sent.Load() }

// Close stops exporting after one last request for the spans queued,
// which ctx bounds.
func (e *Exporter) Close(ctx context.Context) error {
	if e == nil {
		return nil
	}
	var err error
	e.closeOnce.Do(func() {
		e.stop()
		select {
		case <-e.done:
			e.flush(ctx, e.drain(e.left))
		case <-ctx.Done():
			err = ctx.Err()
		}
	})
	return err
}

// loop batches the queue until ctx ends. Its requests do not take ctx, so
// that Close does not cut one short: the client's timeout bounds them.
func (e *Exporter) loop(ctx context.Context) {
	defer close(e.done)
	tick := make(chan struct{}, 1)
	go func() {
		for e.cfg.Clock.Sleep(ctx, e.cfg.Interval) == nil {
			select {
			case tick <- struct{}{}:
			default:
			}
		}
	}()
	batch := make([]trace.Span, 0, e.cfg.Batch)
	for {
		select {
		case <-ctx.Done():
			e.left = batch // for Close's last request, ahead of the queue
			return
		case s := <-e.queue:
			if batch = append(batch, s); len(batch) >= e.cfg.Batch {
				e.flush(context.Background(), batch)
				batch = batch[:0]
			}
		case <-tick:
			e.flush(context.Background(), batch)
			batch = batch[:0]
		}
	}
}

// drain appends the queued spans to batch.
func (e *Exporter) drain(batch []trace.Span) []trace.Span {
	for {
		select {
		case s := <-e.queue:
			batch = append(batch, s)
		default:
			return batch
		}
	}
}

// flush posts batch. The first failure after a success (or at start) logs
// the one warning; the next success logs that export recovered.
func (e *Exporter) flush(ctx context.Context, batch []trace.Span) {
	if len(batch) == 0 {
		return
	}
	err := e.post(ctx, batch)
	switch {
	case err != nil:
		e.dropped.Add(int64(len(batch)))
		if !e.failing {
			e.failing = true
			e.cfg.Log.Warn("otlp export failing; spans are dropped until the endpoint answers, the pipeline goes on",
				"url", e.redacted, "err", err)
		}
	default:
		e.sent.Add(int64(len(batch)))
		if e.failing {
			e.failing = false
			e.cfg.Log.Info("otlp export recovered", "url", e.redacted, "dropped", e.dropped.Load())
		}
	}
}

func (e *Exporter) post(ctx context.Context, batch []trace.Span) error {
	// TracesData has the wire layout of ExportTraceServiceRequest (field 1,
	// repeated ResourceSpans), without the collector package's gRPC.
	body, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: e.resource,
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "github.com/tickerlake/tickerlake/stream/trace"},
			Spans: spans(batch),
		}},
	}}})
	if err != nil {
		return fmt.Errorf("encode %d spans: %w", len(batch), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := e.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post %d spans: %s: %s", len(batch), resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

func spans(batch []trace.Span) []*tracepb.Span {
	out := make([]*tracepb.Span, len(batch))
	for i, s := range batch {
		p := &tracepb.Span{
			TraceId: bytesOf(s.TraceID[:]), SpanId: bytesOf(s.SpanID[:]),
			Flags: uint32(s.Flags), Name: s.Name, Kind: tracepb.Span_SPAN_KIND_INTERNAL,
			StartTimeUnixNano: uint64(s.Start.UnixNano()), EndTimeUnixNano: uint64(s.End.UnixNano()),
			Attributes: keyValues(s.Attrs),
		}
		if s.Parent != (trace.SpanID{}) {
			p.ParentSpanId = bytesOf(s.Parent[:])
		}
		for _, l := range s.Links {
			p.Links = append(p.Links, &tracepb.Span_Link{TraceId: bytesOf(l.TraceID[:]), SpanId: bytesOf(l.SpanID[:]), Flags: uint32(l.Flags)})
		}
		if s.Err != nil {
			p.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: s.Err.Error()}
		}
		out[i] = p
	}
	return out
}

func bytesOf(b []byte) []byte { return append([]byte(nil), b...) }

func keyValues(attrs []trace.Attr) []*commonpb.KeyValue {
	out := make([]*commonpb.KeyValue, len(attrs))
	for i, a := range attrs {
		v := &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: a.Str}}
		if a.IsInt {
			v = &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: a.Int}}
		}
		out[i] = &commonpb.KeyValue{Key: a.Key, Value: v}
	}
	return out
}
