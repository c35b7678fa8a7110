package ingest

import (
	"context"

	"github.com/segmentio/kafka-go"
)

// Raw is one message for a raw topic, in its source's own shape.
type Raw struct {
	Topic   string
	Symbol  string // canonical; the message key
	Value   []byte
	Headers []kafka.Header
}

// Source fetches the data a task asks for and hands it to emit one message
// at a time. Fetch returns when the task is done or cannot be finished; the
// collector publishes what was emitted either way and re-delivery of the task
// is harmless because every sink is idempotent.
type Source interface {
	Name() string
	Fetch(ctx context.Context, t Task, emit func(Raw) error) error
}
