package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

// fetchClock wraps a source: it notes when each task's last message was
// fetched and how many rows cleaning makes of them per dataset, which is
// what the lake must hold for the task to be queryable.
type fetchClock struct {
	ingest.Source
	cleaner *transform.Cleaner
	done    chan fetchedTask
}

type fetchedTask struct {
	at   time.Time
	rows map[string]int64 // dataset: rows
}

func (s *fetchClock) Fetch(ctx context.Context, t ingest.Task, emit func(ingest.Raw) error) error {
	ft := fetchedTask{rows: map[string]int64{}}
	err := s.Source.Fetch(ctx, t, func(r ingest.Raw) error {
		ft.at = time.Now()
		var snap string
		for _, h := range r.Headers {
			if h.Key == stream.HeaderSnapshot {
				snap = string(h.Value)
			}
		}
		res, err := s.cleaner.Clean(r.Topic, r.Value, snap)
		if err != nil {
			return err
		}
		if res.Dataset != nil {
			ft.rows[res.Dataset.Name] += int64(res.N)
		}
		if len(res.Smiles) > 0 {
			ft.rows[market.IVSmiles.Name] += int64(len(res.Smiles))
		}
		return emit(r)
	})
	if err == nil {
		s.done <- ft
	}
	return err
}

// BenchmarkFreshness measures, per dataset, the time from a fetch to its rows
// being committed to the lake, where queries see them (the API's engine
// re-reads the commit records at most every 500 ms on top of this): the
// collector, processor and writer run with their production settings over
// the embedded broker, and one task at a time goes in: a symbol's daily bars,
// a session of its 15-minute bars, or its option chain (iv_smile is derived
// from the chain). The target is 5 s for an option chain.
//
//	go test -run '^$' -bench Freshness -benchtime 1x ./cmd/tickerlake/
func BenchmarkFreshness(b *testing.B) {
	const samples = 12
	dir := b.TempDir()
	broker := startBroker(b, dir+"/kafka")
	k := stream.Cluster{Brokers: []string{broker.Addr()}}
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		b.Fatal(err)
	}
	log, m := testLogger(b), metrics.New()
	cleaner := &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}
	src := &fetchClock{Source: ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 5})),
		cleaner: &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}, done: make(chan fetchedTask, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for _, run := range []func(context.Context) error{
		(&ingest.Collector{Source: src, Kafka: k, Log: log, Metrics: m}).Run,
		(&transform.Processor{Cleaner: cleaner, Kafka: k, Log: log, Metrics: m}).Run,
		(&lake.Writer{Store: store, Kafka: k, Log: log, Metrics: m}).Run,
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil {
				errs <- err
			}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Error(err)
		}
	}()
	tasks := stream.NewWriter(k, "")
	defer tasks.Close()
	cat := &lake.Catalog{Store: store}
	rowsOf := func(ds string) int64 { return committedRows(b, cat, ds) }
	cal := market.NYSE()
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	open, closeT, _ := cal.Session(day)
	syms := benchSymbols()
	latencies := map[string][]time.Duration{}
	// run sends one task and returns when all its rows are committed.
	run := func(t ingest.Task) {
		before := map[string]int64{}
		for _, ds := range market.Datasets() {
			before[ds.Name] = rowsOf(ds.Name)
		}
		msg, err := t.Message()
		if err != nil {
			b.Fatal(err)
		}
		if err := tasks.WriteMessages(ctx, msg); err != nil {
			b.Fatal(err)
		}
		var ft fetchedTask
		select {
		case ft = <-src.done:
		case <-time.After(time.Minute):
			b.Fatalf("task %s not fetched within a minute", t.ID)
		}
		pending := map[string]bool{}
		for ds, n := range ft.rows {
			if n > 0 {
				pending[ds] = true
			}
		}
		deadline := time.Now().Add(time.Minute)
		for len(pending) > 0 {
			for ds := range pending {
				if rowsOf(ds) >= before[ds]+ft.rows[ds] {
					latencies[ds] = append(latencies[ds], time.Since(ft.at))
					delete(pending, ds)
				}
			}
			if time.Now().After(deadline) {
				b.Fatalf("task %s: %v not committed within a minute", t.ID, pending)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// The first task of each kind warms the consumer groups up; it is not counted.
	run(ingest.NewTask(ingest.Daily, day.AddDate(0, -1, 0), day.AddDate(0, 0, 1), syms[len(syms)-1]))
	latencies = map[string][]time.Duration{}
	b.ResetTimer()
	for range b.N {
		for i := range samples {
			sym := syms[i%len(syms)]
			run(ingest.NewTask(ingest.Daily, day.AddDate(0, -1, 0), day.AddDate(0, 0, 1), sym))
			run(ingest.NewTask(ingest.Intraday, open, closeT, sym))
			at := open.Add(time.Duration(i) * 15 * time.Minute)
			run(ingest.NewTask(ingest.Options, at, at, sym))
		}
	}
	b.StopTimer()
	names := make([]string, 0, len(latencies))
	for ds := range latencies {
		names = append(names, ds)
	}
	slices.Sort(names)
	for _, ds := range names {
		l := latencies[ds]
		slices.Sort(l)
		p50, p99 := l[len(l)/2], l[min(len(l)-1, len(l)*99/100)]
		b.Logf("%-16s fetch to committed: p50 %6.0f ms, p99 %6.0f ms, max %6.0f ms (%d tasks)", ds, ms(p50), ms(p99), ms(l[len(l)-1]), len(l))
		b.ReportMetric(ms(p50), fmt.Sprintf("%s-p50-ms", ds))
		b.ReportMetric(ms(p99), fmt.Sprintf("%s-p99-ms", ds))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
