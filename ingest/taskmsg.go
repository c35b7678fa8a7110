package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/stream"
)

// Message is the task-queue message carrying t, keyed by kind.
func (t Task) Message() (kafka.Message, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return kafka.Message{}, fmt.Errorf("encode task %s: %w", t.ID, err)
	}
	return kafka.Message{Topic: stream.TaskQueue, Key: []byte(t.Kind), Value: b,
		Headers: stream.Headers(stream.HeaderTask, t.ID)}, nil
}

// Rest is the task for the symbols of t left undone, to start no earlier
// than notBefore. Its ID is deterministic too, so publishing it twice is
// harmless.
func (t Task) Rest(symbols []string, notBefore time.Time) Task {
	r := NewTask(t.Kind, t.From, t.To, symbols...)
	r.NotBefore = notBefore.UTC()
	return r
}

// Short names t for logs: its ID, with a long symbol list shortened to a count.
func (t Task) Short() string {
	if len(t.ID) <= 100 || len(t.Symbols) == 0 {
		return t.ID
	}
	return fmt.Sprintf("%s:%s:%s:[%d symbols]", t.Kind, t.From.Format(time.RFC3339), t.To.Format(time.RFC3339), len(t.Symbols))
}
