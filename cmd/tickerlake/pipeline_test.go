package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("TICKERLAKE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startBroker(t testing.TB, dir string) *stream.Broker {
	b, err := stream.StartBroker(freeAddr(t), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// testTasks is a small but complete workload: a month of daily bars, one
// session of 15-minute bars and two option snapshots for a few symbols.
func testTasks() []ingest.Task {
	cal := market.NYSE()
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	open, closeT, _ := cal.Session(day)
	syms := []string{"AAPL", "MSFT", "BRK.B", "JPM", "XOM", "NVDA"}
	return []ingest.Task{
		ingest.NewTask(ingest.Daily, day.AddDate(0, -1, 0), day.AddDate(0, 0, 1), syms...),
		ingest.NewTask(ingest.Intraday, open, closeT, syms...),
		ingest.NewTask(ingest.Options, open.Add(time.Hour), open.Add(time.Hour), syms[:3]...),
		ingest.NewTask(ingest.Options, closeT, closeT, syms[:3]...),
	}
}

// expectedKeys asks the source directly what it emits for the tasks: the
// natural keys per dataset, to reconcile the lake against.
func expectedKeys(t testing.TB, src ingest.Source, tasks []ingest.Task) map[string]map[string]bool {
	// Datasets the source emits directly; derived ones (iv_smile) have no source keys.
	want := map[string]map[string]bool{}
	for ds := range keySQL {
		want[ds] = map[string]bool{}
	}
	for _, task := range tasks {
		err := src.Fetch(context.Background(), task, func(r ingest.Raw) error {
			switch r.Topic {
			case stream.OptionData:
				res, err := ingest.DecodeOptionChain(r.Value)
				if err != nil {
					return err
				}
				for _, s := range res.Options {
					for _, c := range append(s.Calls, s.Puts...) {
						want["option_quotes"][task.To.UTC().Format(time.RFC3339)+"|"+c.ContractSymbol] = true
					}
				}
			default:
				ts, err := ingest.DecodeTimeSeries(r.Value)
				if err != nil {
					return err
				}
				for _, v := range ts.Values {
					f, err := v.Parse(ts.Meta.Interval)
					if err != nil {
						return err
					}
					if ts.Meta.Interval == ingest.Interval1Day {
						want["daily_bars"][ts.Meta.Symbol+"|"+f.Time.Format("2006-01-02")] = true
					} else {
						want["intraday_bars"][ts.Meta.Symbol+"|"+f.Time.UTC().Format(time.RFC3339)] = true
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return want
}

var keySQL = map[string]string{
	"daily_bars":    `SELECT symbol || '|' || strftime(date, '%Y-%m-%d'), imputed FROM daily_bars`,
	"intraday_bars": `SELECT symbol || '|' || strftime(ts, '%Y-%m-%dT%H:%M:%SZ'), imputed FROM intraday_bars`,
	"option_quotes": `SELECT strftime(snapshot_ts, '%Y-%m-%dT%H:%M:%SZ') || '|' || contract_symbol, false FROM option_quotes`,
}

// lakeKeys lists the lake's keys per dataset, leaving out the bars the
// processor inserted for sessions missing from a series (imputed, and never
// emitted by the source).
func lakeKeys(t testing.TB, eng *query.Engine, emitted map[string]map[string]bool) map[string][]string {
	got := map[string][]string{}
	for ds, q := range keySQL {
		res, err := eng.Query(context.Background(), q, 0)
		if err != nil {
			t.Fatalf("%s: %v", ds, err)
		}
		for _, r := range res.Rows {
			k := r[0].(string)
			if imputed, _ := r[1].(bool); imputed && !emitted[ds][k] {
				continue
			}
			got[ds] = append(got[ds], k)
		}
	}
	return got
}

// waitForLake polls the lake until every dataset holds as many rows as
// wanted, or the deadline passes.
func waitForLake(t testing.TB, eng *query.Engine, want map[string]map[string]bool, within time.Duration) map[string][]string {
	deadline := time.Now().Add(within)
	for {
		got := lakeKeys(t, eng, want)
		done := true
		for ds, keys := range want {
			if len(got[ds]) < len(keys) {
				done = false
			}
		}
		if done || time.Now().After(deadline) {
			return got
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// reconcile checks each dataset holds exactly the wanted keys, each once.
func reconcile(t *testing.T, got map[string][]string, want map[string]map[string]bool) {
	t.Helper()
	for ds, keys := range want {
		if len(keys) == 0 {
			t.Fatalf("%s: the workload emitted nothing", ds)
		}
		seen := map[string]bool{}
		for _, k := range got[ds] {
			if seen[k] {
				t.Errorf("%s: key %s appears twice", ds, k)
			}
			seen[k] = true
			if !keys[k] {
				t.Errorf("%s: key %s was never emitted", ds, k)
			}
		}
		var missing []string
		for k := range keys {
			if !seen[k] {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: %d of %d keys missing, e.g. %v", ds, len(missing), len(keys), missing[:min(3, len(missing))])
		}
		t.Logf("%s: %d rows, each emitted key exactly once", ds, len(got[ds]))
	}
}

var errCrash = errors.New("simulated crash between data and commit record")

// TestPipelineExactlyOnceAcrossWriterCrash runs collector, processor and
// writer in-process over a real Kafka-protocol broker, crashes the writer
// after it has written data objects but before their commit record, starts
// a new writer, and reconciles the lake with what the source emitted.
func TestPipelineExactlyOnceAcrossWriterCrash(t *testing.T) {
	dir := t.TempDir()
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		t.Fatal(err)
	}
	exactlyOnceAcrossWriterCrash(t, dir, store)
}

// exactlyOnceAcrossWriterCrash is the crash test over any lake store, with
// the broker's data and the query cache under dir. It returns the engine
// over the lake and what the source emitted, for callers that go on to
// change the lake.
func exactlyOnceAcrossWriterCrash(t *testing.T, dir string, store lake.Store) (*query.Engine, map[string]map[string]bool) {
	b := startBroker(t, dir+"/kafka")
	brokers := []string{b.Addr()}
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 7}))
	tasks := testTasks()
	want := expectedKeys(t, src, tasks)
	log, m := testLogger(t), metrics.New()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 4)
	go func() {
		errc <- (&ingest.Collector{Source: src, Brokers: brokers, Log: log, Metrics: m, PublishBatch: 3}).Run(ctx)
	}()
	go func() {
		errc <- (&transform.Processor{Cleaner: &transform.Cleaner{Calendar: market.NYSE(), Now: time.Now},
			Brokers: brokers, Log: log, Metrics: m, BatchSize: 4}).Run(ctx)
	}()

	// The first writer commits two ranges, then dies before the third's
	// commit record, with its data objects already in the lake.
	var commits atomic.Int32
	crashing := &lake.Writer{Store: store, Brokers: brokers, Log: log, Metrics: m, BatchSize: 3, BatchWindow: 50 * time.Millisecond,
		BeforeCommit: func(lake.Commit) error {
			if commits.Add(1) > 2 {
				return errCrash
			}
			return nil
		}}
	wctx, wcancel := context.WithCancel(ctx)
	crashed := make(chan error, 1)
	go func() { crashed <- crashing.Run(wctx) }()

	w := stream.NewWriter(brokers, stream.TaskQueue)
	defer w.Close()
	if err := jobs.Publish(ctx, w, tasks...); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-crashed:
		if !errors.Is(err, errCrash) {
			t.Fatalf("writer stopped with %v, want the simulated crash", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the writer never reached its third commit")
	}
	wcancel()
	orphans := orphanFiles(t, store)
	if len(orphans) == 0 {
		t.Fatal("the crash left no uncommitted data objects; the test did not exercise recovery")
	}

	go func() {
		errc <- (&lake.Writer{Store: store, Brokers: brokers, Log: log, Metrics: m, BatchWindow: 100 * time.Millisecond}).Run(ctx)
	}()
	eng, err := query.OpenWith(store, query.Options{CacheDir: dir + "/cache"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	got := waitForLake(t, eng, want, 90*time.Second)
	reconcile(t, got, want)
	t.Logf("%d uncommitted objects left by the crash are invisible to readers", len(orphans))
	checkSmiles(t, eng, 30*time.Second)

	cancel()
	for i := 0; i < 3; i++ {
		if err := <-errc; err != nil {
			t.Errorf("role stopped with %v", err)
		}
	}
	return eng, want
}

// orphanFiles lists data objects no commit record names.
func orphanFiles(t testing.TB, store lake.Store) []string {
	ctx := context.Background()
	cat := &lake.Catalog{Store: store}
	named := map[string]bool{}
	for _, ds := range market.Datasets() {
		for _, f := range []string{"parquet", "csv"} {
			keys, err := cat.Files(ctx, ds.Name, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				named[k] = true
			}
		}
	}
	var orphans []string
	for _, ds := range market.Datasets() {
		keys, err := store.List(ctx, ds.Name+"/")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !named[k] {
				orphans = append(orphans, k)
			}
		}
	}
	return orphans
}

// TestPipelineDeadLetters feeds a market with deliberate defects: valid rows
// reach the lake, each rejected row reaches the dead-letter topic with a
// reason, and nothing is lost in between.
func TestPipelineDeadLetters(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir+"/kafka")
	brokers := []string{b.Addr()}
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		t.Fatal(err)
	}
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 11, DefectRate: 0.05}))
	tasks := testTasks()
	emitted := expectedKeys(t, src, tasks)

	ctx, cancel := context.WithCancel(context.Background())
	p := &Pipeline{Brokers: brokers, Store: store, Source: src, Log: testLogger(t), Metrics: metrics.New()}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	w := stream.NewWriter(brokers, stream.TaskQueue)
	defer w.Close()
	if err := jobs.Publish(ctx, w, tasks...); err != nil {
		t.Fatal(err)
	}

	var (
		reasons map[string]int
		dlq     int
	)
	eng, err := query.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	deadline := time.Now().Add(90 * time.Second)
	var got map[string][]string
	for {
		got = lakeKeys(t, eng, emitted)
		dlq, reasons = deadLetters(t, brokers)
		total := dlq
		for _, keys := range got {
			total += len(keys)
		}
		need := 0
		for _, keys := range emitted {
			need += len(keys)
		}
		if total >= need || time.Now().After(deadline) {
			t.Logf("lake rows %d + dead letters %d, distinct keys emitted %d; reasons %v", total-dlq, dlq, need, reasons)
			if total < need {
				t.Fatalf("rows lost: lake + dead letters = %d < %d emitted", total, need)
			}
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if dlq == 0 {
		t.Fatal("a market with 5% defects produced no dead letters")
	}
	for ds, keys := range got {
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				t.Errorf("%s: %s twice", ds, k)
			}
			seen[k] = true
			if !emitted[ds][k] {
				t.Errorf("%s: %s never emitted", ds, k)
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// deadLetters counts the dead-letter topic's messages by reason.
func deadLetters(t testing.TB, brokers []string) (int, map[string]int) {
	reasons := map[string]int{}
	n := 0
	for p := 0; p < stream.Partitions; p++ {
		conn, err := kafka.DialLeader(context.Background(), "tcp", brokers[0], stream.DeadLetter, p)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if last == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: stream.DeadLetter, Partition: p, MaxWait: 100 * time.Millisecond})
		for {
			m, err := r.ReadMessage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			reason := stream.Header(m, stream.HeaderReason)
			if reason == "" || stream.Header(m, stream.HeaderOrigin) == "" || len(m.Value) == 0 {
				t.Errorf("dead letter %s lacks reason, origin or payload", stream.Origin(m))
			}
			reasons[reason]++
			n++
			if m.Offset >= last-1 {
				break
			}
		}
		r.Close()
	}
	return n, reasons
}

// checkSmiles waits for the IV smiles the processor derives from the option
// snapshots: one row per snapshot, symbol and expiration, each with its
// points and an ATM IV.
func checkSmiles(t *testing.T, eng *query.Engine, within time.Duration) {
	t.Helper()
	const q = `SELECT count(*), count(DISTINCT (snapshot_ts, symbol, expiration)), count(atm_iv), min(points),
		count(*) FILTER (WHERE json_array_length(smile::JSON) = points),
		(SELECT count(DISTINCT (snapshot_ts, symbol, expiration)) FROM option_quotes WHERE iv IS NOT NULL) FROM iv_smile`
	deadline := time.Now().Add(within)
	for {
		res, err := eng.Query(context.Background(), q, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := res.Rows[0]
		n, distinct, atm, want := r[0].(int64), r[1].(int64), r[2].(int64), r[5].(int64)
		if n >= want && n > 0 || time.Now().After(deadline) {
			if n != want || distinct != n {
				t.Fatalf("iv_smile: %d rows, %d distinct keys; want one per snapshot and expiration with IVs (%d)", n, distinct, want)
			}
			if atm == 0 || r[3].(int64) < 1 || r[4].(int64) != n {
				t.Fatalf("iv_smile: %d rows with an ATM IV, fewest points %v, %v rows whose smile has as many points", atm, r[3], r[4])
			}
			t.Logf("iv_smile: %d rows, %d with an ATM IV", n, atm)
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
}
