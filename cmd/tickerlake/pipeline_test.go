package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/lake/tables"
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
		if ds != market.CorporateActions.Name {
			want[ds] = map[string]bool{}
		}
	}
	for _, task := range tasks {
		err := src.Fetch(context.Background(), task, func(r ingest.Raw) error {
			switch r.Topic {
			case stream.OptionData:
				res, err := wire.DecodeOptionChain(r.Value)
				if err != nil {
					return err
				}
				for _, s := range res.Options {
					for _, c := range append(s.Calls, s.Puts...) {
						k, err := optionKey(stream.Header(kafka.Message{Headers: r.Headers}, stream.HeaderSnapshot), c)
						if err != nil {
							return err
						}
						want["option_quotes"][k] = true
					}
				}
			case corporateActionsTopic(t):
				res, err := wire.DecodeChart(r.Value)
				if err != nil {
					return err
				}
				if res.Events == nil {
					return nil
				}
				// Only a workload that collects corporate actions is held to them.
				if want[market.CorporateActions.Name] == nil {
					want[market.CorporateActions.Name] = map[string]bool{}
				}
				add := func(key string, date *int64, action string) error {
					d, err := wire.EventDate(key, date)
					if err != nil {
						return err
					}
					want[market.CorporateActions.Name][actionKey(r.Symbol, d, action)] = true
					return nil
				}
				for k, ev := range res.Events.Dividends {
					if err := add(k, ev.Date, market.ActionDividend); err != nil {
						return err
					}
				}
				for k, ev := range res.Events.Splits {
					if err := add(k, ev.Date, market.ActionSplit); err != nil {
						return err
					}
				}
			default:
				ts, err := wire.DecodeTimeSeries(r.Value)
				if err != nil {
					return err
				}
				for _, v := range ts.Values {
					ds, k, err := barKey(ts.Meta.Symbol, ts.Meta.Interval, v)
					if err != nil {
						return err
					}
					want[ds][k] = true
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

// barKey is the dataset and natural key of one bar of a Twelve Data series.
func barKey(symbol, interval string, v wire.TSValue) (string, string, error) {
	f, err := v.Parse(interval)
	if err != nil {
		return "", "", err
	}
	if interval == wire.Interval1Day {
		return market.DailyBars.Name, symbol + "|" + f.Time.Format("2006-01-02"), nil
	}
	return market.IntradayBars.Name, symbol + "|" + f.Time.UTC().Format(time.RFC3339), nil
}

// optionKey is the natural key of one quote of the chain snapshotted at
// snapshot (the tl-snapshot-ts header).
func optionKey(snapshot string, c wire.Contract) (string, error) {
	at, err := time.Parse(time.RFC3339Nano, snapshot)
	if err != nil {
		return "", fmt.Errorf("snapshot header %q: %w", snapshot, err)
	}
	return at.UTC().Format(time.RFC3339) + "|" + c.ContractSymbol, nil
}

var keySQL = map[string]string{
	"daily_bars":        `SELECT symbol || '|' || strftime(date, '%Y-%m-%d'), imputed FROM daily_bars`,
	"intraday_bars":     `SELECT symbol || '|' || strftime(ts, '%Y-%m-%dT%H:%M:%SZ'), imputed FROM intraday_bars`,
	"option_quotes":     `SELECT strftime(snapshot_ts, '%Y-%m-%dT%H:%M:%SZ') || '|' || contract_symbol, false FROM option_quotes`,
	"corporate_actions": `SELECT symbol || '|' || strftime(ex_date, '%Y-%m-%d') || '|' || action, false FROM corporate_actions`,
}

// corporateActionsTopic is the raw topic of the corporate_actions feed.
func corporateActionsTopic(t testing.TB) string {
	for _, f := range market.Feeds() {
		if f.Dataset == market.CorporateActions && f.Raw != "" {
			return f.Raw
		}
	}
	if t != nil {
		t.Fatal("no raw feed for corporate_actions")
	}
	return ""
}

// actionKey is the natural key of a dividend or split at epoch second at.
func actionKey(symbol string, at int64, action string) string {
	return symbol + "|" + market.DateOf(time.Unix(at, 0)).Format(time.DateOnly) + "|" + action
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

// storedKeys counts each natural key of every dataset across the committed
// Parquet objects, as the lake stores them rather than as a view shows
// them, and checks each is stored once, or as replay allows (nil: no
// replay). A key of a dataset the source emits that it never emitted must
// be a bar the processor inserted into a gap, imputed in every copy. It
// returns the emitted keys stored, per dataset.
func storedKeys(t *testing.T, store lake.Store, emitted map[string]map[string]bool, replay *writerCrash) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for _, ds := range market.Datasets() {
		stored := laketest.StoredKeys(t, store, ds)
		found, multiple, replayed := map[string]bool{}, 0, 0
		for k, s := range stored {
			if s.N() > 1 {
				multiple++
				if replay.allows(s.In) {
					replayed++
				} else {
					t.Errorf("%s: key %s stored %d times, in %s", ds.Name, k, s.N(), ranges(s.In))
				}
			}
			switch {
			case emitted[ds.Name][k]:
				found[k] = true
			case emitted[ds.Name] != nil && s.Imputed < s.N():
				t.Errorf("%s: key %s is stored and was never emitted", ds.Name, k)
			}
		}
		if emitted[ds.Name] != nil {
			out[ds.Name] = found
		}
		t.Logf("%s: %d keys stored, %d of them emitted; %d stored more than once, %d of those by the replay a crash allows",
			ds.Name, len(stored), len(found), multiple, replayed)
	}
	return out
}

// reconcileStored checks the committed Parquet objects hold each emitted
// key, once or as replay allows, and nothing else the source emits.
func reconcileStored(t *testing.T, store lake.Store, want map[string]map[string]bool, replay *writerCrash) {
	t.Helper()
	got := storedKeys(t, store, want, replay)
	for ds, keys := range want {
		sameKeys(t, ds, "stored", got[ds], keys)
	}
}

// ranges names the offset ranges of commits.
func ranges(cms []lake.Commit) string {
	names := make([]string, len(cms))
	for i, cm := range cms {
		names[i] = fmt.Sprintf("%s/%d/%d-%d", cm.Topic, cm.Partition, cm.FirstOffset, cm.LastOffset)
	}
	return strings.Join(names, ", ")
}

// sameKeys checks a dataset's keys found are the keys wanted.
func sameKeys(t *testing.T, ds, what string, got, want map[string]bool) {
	t.Helper()
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%s: %d of %d keys not %s, e.g. %v", ds, len(missing), len(want), what, missing[:min(3, len(missing))])
	}
	if len(extra) > 0 {
		t.Errorf("%s: %d keys %s beyond those wanted, e.g. %v", ds, len(extra), what, extra[:min(3, len(extra))])
	}
}

// writerCrash is what a writer that died before a commit record left its
// successor. The ranges it committed earlier in the same fetched batch have
// commit records, but the batch's offsets never reached Kafka: the next
// writer reads those messages again and, batching them differently, commits
// them under another range. Those rows are then stored twice (views
// collapse them, compaction removes them); the protocol allows no other
// duplicate.
type writerCrash struct {
	recorded map[string]bool  // commit records present at the crash
	acked    map[string]int64 // "topic/partition": the group's committed offset then
}

// crashState lists the commit records and the writer group's committed
// offsets as the crashed writer left them.
func crashState(t *testing.T, store lake.Store, brokers []string, group string) *writerCrash {
	ctx := context.Background()
	c := &writerCrash{recorded: map[string]bool{}, acked: map[string]int64{}}
	cat := &lake.Catalog{Store: store}
	var recorded []lake.Commit
	for _, ds := range market.Datasets() {
		cms, err := cat.Commits(ctx, ds.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range cms {
			c.recorded[cm.Key()] = true
		}
		recorded = append(recorded, cms...)
	}
	topics := map[string][]int{}
	for _, tp := range stream.ProcessedTopics() {
		for p := 0; p < stream.Partitions; p++ {
			topics[tp] = append(topics[tp], p)
		}
	}
	res, err := (&kafka.Client{Addr: kafka.TCP(brokers...)}).OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	for tp, parts := range res.Topics {
		for _, p := range parts {
			if p.Error != nil {
				t.Fatalf("committed offset of %s/%d: %v", tp, p.Partition, p.Error)
			}
			c.acked[fmt.Sprintf("%s/%d", tp, p.Partition)] = p.CommittedOffset
		}
	}
	var unacked []lake.Commit
	for _, cm := range recorded {
		if c.unacked(cm) {
			unacked = append(unacked, cm)
		}
	}
	t.Logf("the crash left %d commit records, %d of them past the group's committed offsets: %s", len(recorded), len(unacked), ranges(unacked))
	return c
}

// unacked reports whether a commit's range reaches past its partition's
// committed offset, so that the writer group reads it again.
func (c *writerCrash) unacked(cm lake.Commit) bool {
	return cm.LastOffset >= c.acked[fmt.Sprintf("%s/%d", cm.Topic, cm.Partition)]
}

// allows reports whether the copies of one key are such a replay: two
// commits of one topic partition whose offset ranges overlap, one recorded
// by the crashed writer past its group's committed offset, the other
// recorded after the crash.
func (c *writerCrash) allows(copies []lake.Commit) bool {
	if c == nil || len(copies) != 2 {
		return false
	}
	a, b := copies[0], copies[1]
	if c.recorded[b.Key()] {
		a, b = b, a
	}
	return c.recorded[a.Key()] && !c.recorded[b.Key()] && c.unacked(a) &&
		a.Topic == b.Topic && a.Partition == b.Partition &&
		a.FirstOffset <= b.LastOffset && b.FirstOffset <= a.LastOffset
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
		errc <- (&ingest.Collector{Source: src, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m, PublishBatch: 3}).Run(ctx)
	}()
	go func() {
		errc <- (&transform.Processor{Cleaner: &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}},
			Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m, BatchSize: 4}).Run(ctx)
	}()

	// The first writer commits two ranges, then dies before the third's
	// commit record, with its data objects already in the lake.
	var commits atomic.Int32
	crashing := &lake.Writer{Store: store, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m, BatchSize: 3, BatchWindow: 50 * time.Millisecond,
		Tables: openTables(t, dir, store),
		BeforeCommit: func(lake.Commit) error {
			if commits.Add(1) > 2 {
				return errCrash
			}
			return nil
		}}
	wctx, wcancel := context.WithCancel(ctx)
	crashed := make(chan error, 1)
	go func() { crashed <- crashing.Run(wctx) }()

	w := stream.NewWriter(stream.Cluster{Brokers: brokers}, stream.TaskQueue)
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
	orphans := orphanFiles(t, crashing.Tables.(*tables.Catalog), store)
	if len(orphans) == 0 {
		t.Fatal("the crash left no uncommitted data objects; the test did not exercise recovery")
	}
	replay := crashState(t, store, brokers, "writer")

	cat := openTables(t, dir, store)
	go func() {
		errc <- (&lake.Writer{Store: store, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m, BatchWindow: 100 * time.Millisecond, Tables: cat}).Run(ctx)
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
	reconcileStored(t, store, want, replay)
	checkTables(t, cat, store, eng)
	return eng, want
}

// orphanFiles lists the data objects no commit made visible: those no
// live snapshot of their dataset's table references, but for the CSV
// objects beside a Parquet object (or a rewrite of it) one does. The
// tables' metadata is not data.
func orphanFiles(t testing.TB, cat *tables.Catalog, store lake.Store) []string {
	ctx := context.Background()
	var orphans []string
	for _, ds := range market.Datasets() {
		unref, err := cat.Unreferenced(ctx, ds.Name)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := store.List(ctx, ds.Name+"/")
		if err != nil {
			t.Fatal(err)
		}
		held := map[string]bool{}
		for _, k := range keys {
			if path.Ext(k) == ".parquet" && !unref[k] {
				held[lake.Origin(k)] = true
			}
		}
		for _, k := range keys {
			stem, isCSV := strings.CutSuffix(k, ".csv")
			if unref[k] && !strings.HasPrefix(k, ds.Name+"/"+lake.MetadataDir+"/") && !(isCSV && held[stem+".parquet"]) {
				orphans = append(orphans, k)
			}
		}
	}
	return orphans
}

// TestPipelineDeadLetters feeds a market with deliberate defects: valid rows
// reach the lake, each rejected row reaches the dead-letter topic with a
// reason, and nothing is lost in between. Reconciled by key: what the
// source emitted is what the lake stores and what was dead-lettered, the
// two apart, and nothing more.
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
	defer cancel()
	p := &Pipeline{Kafka: stream.Cluster{Brokers: brokers}, Store: store, Source: src, Log: testLogger(t), Metrics: metrics.New()}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	w := stream.NewWriter(stream.Cluster{Brokers: brokers}, stream.TaskQueue)
	defer w.Close()
	if err := jobs.Publish(ctx, w, tasks...); err != nil {
		t.Fatal(err)
	}

	// Wait until every emitted key is in a view or a dead letter.
	eng, err := query.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	deadline := time.Now().Add(90 * time.Second)
	for {
		seen := lakeKeys(t, eng, emitted)
		dead, _ := deadLetterKeys(t, brokers)
		accounted := true
		for ds, keys := range emitted {
			in := map[string]bool{}
			for _, k := range seen[ds] {
				in[k] = true
			}
			for k := range keys {
				if !in[k] && dead[ds][k] == 0 {
					accounted = false
				}
			}
		}
		if accounted || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// With every role stopped: emitted = stored + dead-lettered, apart.
	stored := storedKeys(t, store, emitted, nil)
	dead, reasons := deadLetterKeys(t, brokers)
	letters := 0
	for ds, keys := range emitted {
		union := map[string]bool{}
		for k := range stored[ds] {
			union[k] = true
		}
		for k, n := range dead[ds] {
			letters += n
			if n > 1 {
				t.Errorf("%s: %s dead-lettered %d times", ds, k, n)
			}
			if stored[ds][k] {
				t.Errorf("%s: %s both stored and dead-lettered", ds, k)
			}
			union[k] = true
		}
		sameKeys(t, ds, "stored or dead-lettered", union, keys)
		t.Logf("%s: %d keys emitted, %d stored, %d dead-lettered", ds, len(keys), len(stored[ds]), len(dead[ds]))
	}
	for ds := range dead {
		if emitted[ds] == nil {
			t.Errorf("dead letters for %s, which the source does not emit", ds)
		}
	}
	t.Logf("%d dead letters by reason: %v", letters, reasons)
	if letters == 0 {
		t.Fatal("a market with 5% defects produced no dead letters")
	}
}

// deadLetterKeys reads the dead-letter topic and decodes each letter to
// the natural key of the row it rejects: a bar's from its symbol, its
// payload and its origin topic's interval; an option quote's from its
// payload and the snapshot header of the message it came from. It counts
// letters per dataset and key, and by reason.
func deadLetterKeys(t testing.TB, brokers []string) (map[string]map[string]int, map[string]int) {
	t.Helper()
	// The dead letters are read first: the raw message each came from was
	// published before it, so the raw read that follows holds them all.
	letters := readTopic(t, brokers, stream.DeadLetter)
	snapshots := map[string]string{} // origin -> tl-snapshot-ts
	for _, m := range readTopic(t, brokers, stream.OptionData) {
		snapshots[stream.Origin(m)] = stream.Header(m, stream.HeaderSnapshot)
	}
	keys, reasons := map[string]map[string]int{}, map[string]int{}
	for _, m := range letters {
		reason, origin := stream.Header(m, stream.HeaderReason), stream.Header(m, stream.HeaderOrigin)
		if reason == "" || origin == "" || len(m.Value) == 0 {
			t.Errorf("dead letter %s lacks reason, origin or payload", stream.Origin(m))
			continue
		}
		reasons[reason]++
		ds, k, err := deadLetterKey(m, origin, snapshots)
		if err != nil {
			t.Errorf("dead letter %s (%s, from %s): %v", stream.Origin(m), reason, origin, err)
			continue
		}
		if keys[ds] == nil {
			keys[ds] = map[string]int{}
		}
		keys[ds][k]++
	}
	return keys, reasons
}

// deadLetterKey decodes one dead letter's dataset and natural key.
func deadLetterKey(m kafka.Message, origin string, snapshots map[string]string) (string, string, error) {
	topic, _, _ := strings.Cut(origin, "/")
	switch topic {
	case stream.OptionData:
		var c wire.Contract
		if err := json.Unmarshal(m.Value, &c); err != nil || c.ContractSymbol == "" {
			return "", "", fmt.Errorf("payload is no option quote: %v", err)
		}
		k, err := optionKey(snapshots[origin], c)
		return market.OptionQuotes.Name, k, err
	case stream.DailyData, stream.HistoricalData, stream.IntradayData:
		var v wire.TSValue
		if err := json.Unmarshal(m.Value, &v); err != nil || v.Datetime == "" {
			return "", "", fmt.Errorf("payload is no bar: %v", err)
		}
		interval := wire.Interval1Day
		if topic == stream.IntradayData {
			interval = wire.Interval15Min
		}
		return barKey(string(m.Key), interval, v)
	case corporateActionsTopic(nil):
		// The payload is {"<event key>": event} of the chart's dividends or splits.
		var one map[string]struct {
			Date        *int64   `json:"date"`
			Numerator   *float64 `json:"numerator"`
			Denominator *float64 `json:"denominator"`
		}
		if err := json.Unmarshal(m.Value, &one); err != nil || len(one) != 1 {
			return "", "", fmt.Errorf("payload is no chart event: %v", err)
		}
		for k, ev := range one {
			d, err := wire.EventDate(k, ev.Date)
			if err != nil {
				return "", "", err
			}
			action := market.ActionDividend
			if ev.Numerator != nil || ev.Denominator != nil {
				action = market.ActionSplit
			}
			return market.CorporateActions.Name, actionKey(string(m.Key), d, action), nil
		}
	}
	return "", "", fmt.Errorf("no rows come from %s", topic)
}

// readTopic reads every message a topic holds, partition by partition.
func readTopic(t testing.TB, brokers []string, topic string) []kafka.Message {
	t.Helper()
	var out []kafka.Message
	for p := 0; p < stream.Partitions; p++ {
		conn, err := kafka.DialLeader(context.Background(), "tcp", brokers[0], topic, p)
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
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		for {
			m, err := r.ReadMessage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			if m.Offset >= last-1 {
				break
			}
		}
		r.Close()
	}
	return out
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
