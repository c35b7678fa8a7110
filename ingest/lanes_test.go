package ingest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
)

// gatedSource emits one message per symbol of a task. A task with a gate
// publishes its first `before` symbols, then waits for the gate to close.
type gatedSource struct {
	name  string
	topic string
	gates map[string]gate // by task ID
	mu    sync.Mutex
	log   []string // task ID/symbol, in the order published
	step  chan string
}

type gate struct {
	before int
	open   chan struct{}
}

func (s *gatedSource) Name() string { return s.name }

func (s *gatedSource) Fetch(ctx context.Context, t ingest.Task, emit func(ingest.Raw) error) error {
	g, gated := s.gates[t.ID]
	for i, sym := range t.Symbols {
		if gated && i == g.before {
			select {
			case <-g.open:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := emit(ingest.Raw{Topic: s.topic, Symbol: sym, Value: []byte(t.ID + "/" + sym)}); err != nil {
			return err
		}
		// With PublishBatch 1, emit returns once the message is acknowledged.
		s.mu.Lock()
		s.log = append(s.log, t.ID+"/"+sym)
		s.mu.Unlock()
		if s.step != nil {
			s.step <- t.ID + "/" + sym
		}
	}
	return nil
}

// lanesStand is a broker, a task queue and the tasks on one partition of it.
type lanesStand struct {
	brokers []string
	tasks   []ingest.Task
	spans   trace.Recorder // the collector's, when set
}

// spanLog is a trace.Recorder that keeps the spans.
type spanLog struct {
	mu    sync.Mutex
	spans []trace.Span
}

func (l *spanLog) Record(s trace.Span) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.spans = append(l.spans, s)
}

// named returns the spans called name.
func (l *spanLog) named(name string) []trace.Span {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []trace.Span
	for _, s := range l.spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func newLanesStand(t *testing.T, tasks ...ingest.Task) *lanesStand {
	t.Helper()
	b, err := stream.StartBroker(freeAddr(t), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	s := &lanesStand{brokers: []string{b.Addr()}, tasks: tasks}
	w := stream.NewWriter(stream.Cluster{Brokers: s.brokers}, "")
	defer w.Close()
	// One partition for all, so a task of one kind sits behind another's.
	w.Balancer = kafka.BalancerFunc(func(kafka.Message, ...int) int { return 0 })
	for _, task := range tasks {
		m, err := task.Message()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteMessages(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *lanesStand) run(ctx context.Context, src ingest.Source, m *metrics.Set) chan error {
	done := make(chan error, 1)
	go func() {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		done <- (&ingest.Collector{Source: src, Kafka: stream.Cluster{Brokers: s.brokers}, Log: log, Metrics: m, PublishBatch: 1, Spans: s.spans}).Run(ctx)
	}()
	return done
}

// committed is the collector group's commit position on task-queue partition 0 (-1 for none).
func (s *lanesStand) committed(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	parts, err := metrics.NewConsumerLag(stream.Cluster{Brokers: s.brokers}, nil, nil).GroupLag(ctx, "collector", []string{stream.TaskQueue})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if p.Partition == 0 {
			return p.Committed
		}
	}
	return -1
}

// rawCounts counts each raw message (task ID/symbol) on topics, read to their ends.
func rawCounts(t *testing.T, ctx context.Context, brokers []string, topics ...string) map[string]int {
	t.Helper()
	r := stream.NewReader(stream.ReaderConfig{Kafka: stream.Cluster{Brokers: brokers}, Group: "count", Topics: topics})
	defer r.Close()
	lag := metrics.NewConsumerLag(stream.Cluster{Brokers: brokers}, nil, nil)
	ends, err := lag.GroupLag(ctx, "count", topics)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]int64{}
	for _, e := range ends {
		left[fmt.Sprint(e.Topic, e.Partition)] = e.HighWatermark
	}
	seen := map[string]int{}
	for {
		more := false
		for _, end := range left {
			if end > 0 {
				more = true
			}
		}
		if !more {
			return seen
		}
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("read raw topics: %v (have %v)", err, seen)
		}
		seen[string(m.Value)]++
		k := fmt.Sprint(m.Topic, m.Partition)
		if m.Offset+1 >= left[k] {
			left[k] = 0
		}
	}
}

func symbols(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

// TestCollectorSlowProviderDoesNotDelayOthers puts an options snapshot that
// cannot finish ahead of a daily task on the same task-queue partition.
// The daily task must finish while the snapshot is still in flight (the
// snapshot's gate opens only then; a collector that runs one task at a
// time never gets there), and the commit must stay before the snapshot.
func TestCollectorSlowProviderDoesNotDelayOthers(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	opt := ingest.NewTask(ingest.Options, day, day.Add(20*time.Hour), symbols("O", 4)...)
	daily := ingest.NewTask(ingest.Daily, day, day.AddDate(0, 0, 1), symbols("D", 3)...)
	s := newLanesStand(t, opt, daily)

	open := make(chan struct{})
	step := make(chan string, 16)
	yahoo := &gatedSource{name: "yahoo", topic: stream.OptionData, step: step,
		gates: map[string]gate{opt.ID: {before: 1, open: open}}}
	td := &gatedSource{name: "twelvedata", topic: stream.DailyData, step: step}
	m := metrics.New()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	done := s.run(ctx, &ingest.Router{Routes: map[ingest.Kind]ingest.Source{ingest.Options: yahoo, ingest.Daily: td}}, m)

	var order []string
	want := map[string]bool{}
	for _, sym := range daily.Symbols {
		want[daily.ID+"/"+sym] = true
	}
	for len(want) > 0 {
		select {
		case e := <-step:
			order = append(order, e)
			delete(want, e)
		case <-ctx.Done():
			t.Fatalf("the daily task did not finish while the snapshot was in flight; published in order: %v", order)
		}
	}
	t.Logf("published while the snapshot waits: %v", order)
	// The daily task is done; its offset (1) is behind the snapshot's (0),
	// so nothing may be committed yet.
	for range 10 {
		if c := s.committed(t, ctx); c > 0 {
			t.Fatalf("committed task-queue up to %d with the snapshot at offset 0 unfinished", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(open)
	waitGroupDone(t, ctx, metrics.NewConsumerLag(stream.Cluster{Brokers: s.brokers}, nil, nil), "collector", stream.TaskQueue)
	if c := s.committed(t, ctx); c != 2 {
		t.Errorf("committed %d, want 2", c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("collector: %v", err)
	}
}

// TestCollectorCrashWithTwoKindsInFlight kills a collector while an options
// snapshot and a daily task are both half published (and an earlier daily
// task is done behind the snapshot), restarts it, and counts every raw
// message. Nothing is lost; what the first run published of a task it had
// not committed is published once more by the re-run (at-least-once, the
// sinks drop it by natural key), and nothing else is duplicated.
func TestCollectorCrashWithTwoKindsInFlight(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	opt := ingest.NewTask(ingest.Options, day, day.Add(20*time.Hour), symbols("O", 4)...)
	daily1 := ingest.NewTask(ingest.Daily, day, day.AddDate(0, 0, 1), symbols("D", 3)...)
	daily2 := ingest.NewTask(ingest.Daily, day.AddDate(0, 0, 1), day.AddDate(0, 0, 2), symbols("E", 3)...)
	s := newLanesStand(t, opt, daily1, daily2)

	step := make(chan string, 64)
	never := make(chan struct{})
	yahoo := &gatedSource{name: "yahoo", topic: stream.OptionData, step: step,
		gates: map[string]gate{opt.ID: {before: 1, open: never}}}
	td := &gatedSource{name: "twelvedata", topic: stream.DailyData, step: step,
		gates: map[string]gate{daily2.ID: {before: 1, open: never}}}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	run1, kill := context.WithCancel(ctx)
	done := s.run(run1, &ingest.Router{Routes: map[ingest.Kind]ingest.Source{ingest.Options: yahoo, ingest.Daily: td}}, metrics.New())
	inFlight := map[string]bool{opt.ID + "/O0": true, daily2.ID + "/E0": true}
	for len(inFlight) > 0 {
		select {
		case e := <-step:
			delete(inFlight, e)
		case <-ctx.Done():
			t.Fatalf("both tasks never got in flight: %v", ctx.Err())
		}
	}
	// daily1 is done by now (its lane has moved on to daily2); a commit
	// past the snapshot would show here.
	for range 10 {
		if c := s.committed(t, ctx); c > 0 {
			t.Fatalf("committed task-queue up to %d with the snapshot at offset 0 unfinished", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	kill()
	if err := <-done; err != nil {
		t.Fatalf("collector: %v", err)
	}
	before := map[string]int{}
	for _, e := range append(append([]string(nil), yahoo.log...), td.log...) {
		before[e]++
	}
	t.Logf("published before the kill: %d messages, committed %d", len(before), s.committed(t, ctx))

	// Restart with sources that finish.
	yahoo2 := &gatedSource{name: "yahoo", topic: stream.OptionData}
	td2 := &gatedSource{name: "twelvedata", topic: stream.DailyData}
	done = s.run(ctx, &ingest.Router{Routes: map[ingest.Kind]ingest.Source{ingest.Options: yahoo2, ingest.Daily: td2}}, metrics.New())
	waitGroupDone(t, ctx, metrics.NewConsumerLag(stream.Cluster{Brokers: s.brokers}, nil, nil), "collector", stream.TaskQueue)
	got := rawCounts(t, ctx, s.brokers, stream.OptionData, stream.DailyData)
	dups := 0
	for _, task := range []ingest.Task{opt, daily1, daily2} {
		for _, sym := range task.Symbols {
			k := task.ID + "/" + sym
			if want := 1 + before[k]; got[k] != want {
				t.Errorf("%s landed %d times, want %d (once, plus once for each publication before the kill)", k, got[k], want)
			}
			dups += before[k]
			delete(got, k)
		}
	}
	for k, n := range got {
		t.Errorf("unexpected message %s (%d)", k, n)
	}
	t.Logf("after the restart: every message of 3 tasks landed; %d redelivered from the run that was killed", dups)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("collector: %v", err)
	}
}

// failingSource is a provider that is down.
type failingSource struct{ name string }

func (s failingSource) Name() string { return s.name }

func (s failingSource) Fetch(context.Context, ingest.Task, func(ingest.Raw) error) error {
	return fmt.Errorf("%s: 503 service unavailable", s.name)
}

// TestCollectorOutageFailsOnlyItsProvider puts a malformed task, a task for
// a provider that is down and a daily task on one partition: the first two
// go to dead-letter with their reasons, each with the trace of its task
// attempt, the daily task lands, and the collector keeps running with
// task-queue committed to its end.
func TestCollectorOutageFailsOnlyItsProvider(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	opt := ingest.NewTask(ingest.Options, day, day.Add(20*time.Hour), symbols("O", 2)...)
	daily := ingest.NewTask(ingest.Daily, day, day.AddDate(0, 0, 1), symbols("D", 3)...)
	s := newLanesStand(t, opt, daily)
	w := stream.NewWriter(stream.Cluster{Brokers: s.brokers}, "")
	defer w.Close()
	w.Balancer = kafka.BalancerFunc(func(kafka.Message, ...int) int { return 0 })
	if err := w.WriteMessages(t.Context(), kafka.Message{Topic: stream.TaskQueue, Value: []byte(`{"kind":"weekly"`)}); err != nil {
		t.Fatal(err)
	}

	td := &gatedSource{name: "twelvedata", topic: stream.DailyData}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	spans := &spanLog{}
	s.spans = spans
	done := s.run(ctx, &ingest.Router{Routes: map[ingest.Kind]ingest.Source{ingest.Options: failingSource{"yahoo"}, ingest.Daily: td}}, metrics.New())
	waitGroupDone(t, ctx, metrics.NewConsumerLag(stream.Cluster{Brokers: s.brokers}, nil, nil), "collector", stream.TaskQueue)

	got := rawCounts(t, ctx, s.brokers, stream.DailyData)
	for _, sym := range daily.Symbols {
		if n := got[daily.ID+"/"+sym]; n != 1 {
			t.Errorf("%s landed %d times, want 1", sym, n)
		}
	}
	r := stream.NewReader(stream.ReaderConfig{Kafka: stream.Cluster{Brokers: s.brokers}, Group: "dl", Topics: []string{stream.DeadLetter}})
	defer r.Close()
	reasons := map[string]string{}
	traces := map[string]trace.Context{}
	for len(reasons) < 2 {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("dead letters %v: %v", reasons, err)
		}
		reasons[stream.Header(m, stream.HeaderOrigin)] = stream.Header(m, stream.HeaderReason)
		tc, err := stream.TraceOf(m)
		if err != nil || !tc.IsValid() {
			t.Errorf("dead letter %s carries no valid traceparent (%q): %v", stream.Origin(m), stream.Header(m, stream.HeaderTraceparent), err)
		}
		traces[stream.Header(m, stream.HeaderReason)] = tc
	}
	if traces["task_failed"].TraceID == traces["bad_task"].TraceID {
		t.Errorf("both dead letters carry trace %s; each task attempt starts its own", traces["bad_task"].TraceID)
	}
	// The failed attempt's span is the one its dead letter carries, failed
	// with the provider's error; the daily task's is not failed.
	var failed, ok int
	for _, sp := range spans.named("collect task") {
		switch {
		case sp.Err != nil && sp.Context == traces["task_failed"] && sp.Err.Error() == "yahoo: 503 service unavailable":
			failed++
		case sp.Err == nil:
			ok++
		default:
			t.Errorf("task span %s/%s failed with %v, dead letter carries %s", sp.TraceID, sp.SpanID, sp.Err, traces["task_failed"])
		}
	}
	if failed != 1 || ok != 1 {
		t.Errorf("task spans: %d failed as the dead letter says, %d done; want 1 and 1", failed, ok)
	}
	if n := len(spans.named("collect response")); n != len(daily.Symbols) {
		t.Errorf("%d response spans, want one per daily symbol, %d", n, len(daily.Symbols))
	}
	want := map[string]string{stream.TaskQueue + "/0/0": "task_failed", stream.TaskQueue + "/0/2": "bad_task"}
	for origin, reason := range want {
		if reasons[origin] != reason {
			t.Errorf("dead letter of %s: reason %q, want %q (all: %v)", origin, reasons[origin], reason, reasons)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("collector stopped: %v", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("collector: %v", err)
	}
}
