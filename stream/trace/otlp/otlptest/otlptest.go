// Package otlptest is an OTLP/HTTP traces receiver for tests: it decodes
// what package otlp (or any OTLP exporter speaking protobuf) posts.
package otlptest

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tickerlake/tickerlake/stream/trace/otlp"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Receiver is an OTLP/HTTP traces endpoint: it decodes each request as an
// ExportTraceServiceRequest and keeps the spans. That message is field 1,
// repeated ResourceSpans, as TracesData is; the receiver checks the request
// holds nothing else and decodes it as TracesData, which spares the test
// the collector package's gRPC dependencies.
type Receiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	attrs map[string]string // resource attributes of the last request
}

// NewReceiver starts a Receiver that t closes.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{attrs: map[string]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if req.URL.Path != otlp.TracesPath || req.Header.Get("Content-Type") != "application/x-protobuf" || err != nil {
			http.Error(w, "want a protobuf POST to "+otlp.TracesPath, http.StatusBadRequest)
			return
		}
		if err := onlyField1(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var ex tracepb.TracesData
		if err := proto.Unmarshal(body, &ex); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range ex.ResourceSpans {
			for _, kv := range rs.Resource.GetAttributes() {
				r.attrs[kv.Key] = kv.Value.GetStringValue()
			}
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		// An empty ExportTraceServiceResponse: full success.
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

// onlyField1 checks a message has only length-delimited fields numbered 1.
func onlyField1(b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			return fmt.Errorf("not an ExportTraceServiceRequest: field %d, type %d", num, typ)
		}
		b = b[n:]
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil
}

// Resource is the resource attributes of the last request, as strings.
func (r *Receiver) Resource() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.attrs)
}

// Spans is what the receiver took so far, in order.
func (r *Receiver) Spans() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}
