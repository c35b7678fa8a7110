package twelvedata

import (
	"context"
	"log/slog"
	"sync"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest"
)

func kafkaMsg(r ingest.Raw) kafka.Message {
	return kafka.Message{Topic: r.Topic, Key: []byte(r.Symbol), Value: r.Value, Headers: r.Headers}
}

// captureHandler keeps log records as message plus attributes, as text.
type captureHandler struct {
	mu      sync.Mutex
	records []map[string]string
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *captureHandler) WithGroup(string) slog.Handler            { return h }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	rec := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool {
		rec[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	h.records = append(h.records, rec)
	h.mu.Unlock()
	return nil
}

func (h *captureHandler) named(msg string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.records {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}
