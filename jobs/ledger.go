package jobs

import (
	"context"
	"slices"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/stream"
)

// Ledger lists the collection tasks already published, so that a run asks
// only for what they leave out.
type Ledger interface {
	// Published returns the recent published tasks of kind, in any order.
	Published(ctx context.Context, kind ingest.Kind) ([]ingest.Task, error)
}

// TaskQueue is the Ledger of a cluster: the tail of task-queue itself,
// where every run, scheduler and API trigger publishes. Reading it needs no
// store beyond the broker the run publishes to.
type TaskQueue struct {
	Kafka stream.Cluster
	// Depth is how many of each partition's last messages are read
	// (default 2000: weeks of CronJob runs).
	Depth int
}

// Published implements Ledger.
func (q TaskQueue) Published(ctx context.Context, kind ingest.Kind) ([]ingest.Task, error) {
	depth := q.Depth
	if depth <= 0 {
		depth = 2000
	}
	msgs, err := stream.Tail(ctx, q.Kafka, stream.TaskQueue, depth)
	if err != nil {
		return nil, err
	}
	var out []ingest.Task
	for _, m := range msgs {
		if string(m.Key) != string(kind) {
			continue
		}
		if t, err := ingest.DecodeTask(m.Value); err == nil && t.Kind == kind {
			out = append(out, t)
		}
	}
	return out, nil
}

// TaskLog is a Ledger in memory: the tasks appended to it.
type TaskLog []ingest.Task

// Published implements Ledger.
func (l *TaskLog) Published(_ context.Context, kind ingest.Kind) ([]ingest.Task, error) {
	var out []ingest.Task
	for _, t := range *l {
		if t.Kind == kind {
			out = append(out, t)
		}
	}
	return out, nil
}

// Uncovered returns the part of t that no task of done covers, and false
// when they cover it all. Only tasks of t's kind and symbols count, and only
// from the start of t's window on: the result starts where the published
// windows stop, so a 15-minute run asks for the bars since the last one
// published and a weekly historical run for the days since last week's. A
// snapshot (an empty window) is covered by one at the same instant.
func Uncovered(t ingest.Task, done []ingest.Task) (ingest.Task, bool) {
	var same []ingest.Task
	for _, d := range done {
		if d.Kind == t.Kind && !d.To.Before(t.From) && !d.From.After(t.To) && sameSymbols(d.Symbols, t.Symbols) {
			same = append(same, d)
		}
	}
	if t.From.Equal(t.To) {
		for _, d := range same {
			if d.From.Equal(t.From) && d.To.Equal(t.To) {
				return t, false
			}
		}
		return t, true
	}
	from := t.From
	for moved := true; moved; {
		moved = false
		for _, d := range same {
			if !d.From.After(from) && d.To.After(from) {
				from, moved = d.To, true
			}
		}
	}
	switch {
	case !from.Before(t.To):
		return t, false
	case from.Equal(t.From):
		return t, true
	}
	return ingest.NewTask(t.Kind, from, t.To, t.Symbols...), true
}

// sameSymbols compares two canonical symbol lists as sets.
func sameSymbols(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if slices.Equal(a, b) {
		return true
	}
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}
