package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// Kind is what a task collects.
type Kind string

const (
	Daily      Kind = "daily"      // daily bars of the session dates in [From, To), dates at 00:00 UTC
	Intraday   Kind = "15min"      // 15-minute bars starting in [From, To)
	Historical Kind = "historical" // daily bars, far back, to historical-data
	Options    Kind = "options"    // one option-chain snapshot at To
	Actions    Kind = "actions"    // dividends and splits with ex-dates in [From, To)
)

// Kinds lists every task kind, from the registry (market.Feeds).
func Kinds() []Kind {
	var out []Kind
	for _, k := range market.TaskKinds() {
		out = append(out, Kind(k))
	}
	return out
}

// Task is one unit of collection work. Its ID is deterministic from its
// content, so publishing the same work twice is recognisable downstream.
type Task struct {
	ID      string    `json:"id"`
	Kind    Kind      `json:"kind"`
	Symbols []string  `json:"symbols,omitempty"` // empty means the whole universe
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// NotBefore defers the task: a collector holds it until then. Only the
	// collector sets it, on the rest of a task that ran out of daily
	// credits, so it stays out of the API's schema.
	NotBefore time.Time `json:"not_before,omitzero" hidden:"true"`
}

// NewTask builds a task with its deterministic ID.
func NewTask(kind Kind, from, to time.Time, symbols ...string) Task {
	t := Task{Kind: kind, From: from.UTC(), To: to.UTC()}
	for _, s := range symbols {
		t.Symbols = append(t.Symbols, market.CanonicalSymbol(s))
	}
	t.ID = fmt.Sprintf("%s:%s:%s", kind, t.From.Format(time.RFC3339), t.To.Format(time.RFC3339))
	if len(t.Symbols) > 0 {
		t.ID += fmt.Sprintf(":%v", t.Symbols)
	}
	return t
}

// Validate reports what is wrong with a task.
func (t Task) Validate() error {
	if _, err := market.FeedForTask(string(t.Kind)); err != nil {
		return fmt.Errorf("task %q: unknown kind %q", t.ID, t.Kind)
	}
	if t.To.Before(t.From) {
		return fmt.Errorf("task %q: window ends before it starts", t.ID)
	}
	return nil
}

// DecodeTask parses a task-queue message.
func DecodeTask(b []byte) (Task, error) {
	var t Task
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("decode task: %w", err)
	}
	return t, t.Validate()
}

// Topic is the raw topic a task's records go to.
func (k Kind) Topic() (string, error) {
	f, err := market.FeedForTask(string(k))
	if err != nil {
		return "", err
	}
	return f.Raw, nil
}

// Window is a collection trigger's default window for the kind: a task
// naming no start covers this much time before its end.
func (k Kind) Window() (time.Duration, error) {
	f, err := market.FeedForTask(string(k))
	if err != nil {
		return 0, err
	}
	return f.Window, nil
}
