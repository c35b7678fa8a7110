package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/ingest/wire"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/quant"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/transform"
)

// benchSymbols is the first 40 symbols of the universe: one snapshot of
// their chains is some 25,000 rows, enough that throughput, not the
// consumers' fetch latency, dominates an iteration.
func benchSymbols() []string {
	var syms []string
	for _, c := range market.Universe()[:40] {
		syms = append(syms, c.Symbol)
	}
	return syms
}

// benchChains renders one option-chain snapshot of benchSymbols as raw
// option-data messages, and the cleaned rows they become.
func benchChains(b *testing.B) ([]kafka.Message, []market.OptionQuote) {
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 3}))
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	task := ingest.NewTask(ingest.Options, at, at, benchSymbols()...)
	var msgs []kafka.Message
	var rows []market.OptionQuote
	cl := &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}
	err := src.Fetch(context.Background(), task, func(r ingest.Raw) error {
		msgs = append(msgs, kafka.Message{Topic: r.Topic, Key: []byte(r.Symbol), Value: r.Value, Headers: r.Headers})
		res, err := wire.DecodeOptionChain(r.Value)
		if err != nil {
			return err
		}
		q, _ := cl.Options(res, at)
		rows = append(rows, q...)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return msgs, rows
}

// BenchmarkOptionsRawToLake measures option-quote rows per second from the
// raw topic to committed Parquet: processor (decode, validate, IV and
// Greeks, Arrow IPC) and writer (Parquet and CSV, commit record) over the
// embedded broker, with both consumer groups already joined. Each iteration
// publishes one snapshot to option-data and waits until its rows are
// committed, so the batch windows of the processor and the writer are in
// every snapshot's wall time. american-streamed publishes every
// iteration's snapshot at once and waits for them all, as a full-market
// snapshot (over a hundred of these) arrives: the batches fill before
// their windows end. american-backlog measures the raw topic to the lake
// alone: every iteration's snapshot is published while the processor is
// stopped, and the timer runs from the processor's start (its group join
// included) until the last row is committed, so the collector's work of
// compressing and publishing is not in the timed part. Compare with
// BenchmarkOptionsBareParquetGo in the same run. -short leaves out the
// stages alone, for repeated runs.
func BenchmarkOptionsRawToLake(b *testing.B) {
	for _, tc := range []struct {
		name     string
		european bool
		feed     feed
	}{{"american", false, oneByOne}, {"european", true, oneByOne}, {"american-streamed", false, streamed}, {"american-backlog", false, backlog}} {
		b.Run(tc.name, func(b *testing.B) {
			benchRawToLake(b, &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}, EuropeanIV: tc.european}, tc.feed)
		})
	}
}

// feed is how a benchmark's snapshots reach the raw topic.
type feed int

const (
	oneByOne feed = iota // one snapshot at a time, each waited for
	streamed             // every snapshot at once, while the pipeline runs
	backlog              // every snapshot before the processor starts
)

func benchRawToLake(b *testing.B, cleaner *transform.Cleaner, mode feed) {
	var msgs []kafka.Message
	var rows []market.OptionQuote
	pprof.Do(context.Background(), pprof.Labels("bench", "setup"), func(context.Context) { msgs, rows = benchChains(b) })
	dir := b.TempDir()
	// Each part of the process runs under a role label, so that a CPU profile of the
	// timed run splits the CPU between the two pipeline roles, the in-process broker and
	// the publisher that stands in for the collector (roleCPU). Goroutines keep the label
	// of the goroutine that started them.
	var broker *stream.Broker
	pprof.Do(context.Background(), pprof.Labels("role", "broker"), func(context.Context) { broker = startBroker(b, dir+"/kafka") })
	brokers := []string{broker.Addr()}
	dirStore, err := lake.NewDir(dir + "/lake")
	if err != nil {
		b.Fatal(err)
	}
	store := &timedStore{Store: dirStore}
	log, m := testLogger(b), metrics.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	processed := make(chan error, 1)
	stopProcessor := func() {}
	startProcessor := func() {
		pctx, stop := context.WithCancel(ctx)
		go pprof.Do(pctx, pprof.Labels("role", "processor"), func(ctx context.Context) {
			processed <- (&transform.Processor{Cleaner: cleaner, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m}).Run(ctx)
		})
		stopProcessor = func() {
			stop()
			if err := <-processed; err != nil {
				b.Fatal(err)
			}
		}
	}
	startProcessor()
	go pprof.Do(ctx, pprof.Labels("role", "writer"), func(ctx context.Context) {
		done <- (&lake.Writer{Store: store, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m, BatchWindow: 100 * time.Millisecond}).Run(ctx)
	})
	// The publisher has a transport of its own: kafka-go's default one, which the
	// processor's producer uses, would run its connections under whichever role
	// dialled first.
	w := stream.NewWriter(stream.Cluster{Brokers: brokers}, "")
	w.Transport = &kafka.Transport{}
	defer w.Close()
	// The writer counts rows once their commit is durable; polling that
	// counter reads no files, where reading the commit records every few
	// milliseconds took CPU from the pipeline being timed. The records are
	// checked against it at the end.
	written := func() int64 {
		return int64(testutil.ToFloat64(m.Written.WithLabelValues(market.OptionQuotes.Name, "lake")))
	}
	publish := func(snapshots int) {
		pprof.Do(ctx, pprof.Labels("role", "publisher"), func(ctx context.Context) {
			for range snapshots {
				if err := w.WriteMessages(ctx, msgs...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	waitFor := func(target int64) {
		for written() < target {
			time.Sleep(time.Millisecond)
		}
	}
	run := func(snapshots int) {
		target := written() + int64(snapshots*len(rows))
		publish(snapshots)
		waitFor(target)
	}
	run(1) // joins both consumer groups before timing
	if mode == backlog {
		stopProcessor()
		publish(b.N)
	}
	store.reset()
	b.ResetTimer()
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	conns0 := broker.Connections()
	var prof bytes.Buffer
	profiling := pprof.StartCPUProfile(&prof) == nil // not when go test -cpuprofile runs one
	stopTrace := startPipelineTrace(b)
	cpu0 := laketest.CPUTime(b).Seconds()
	switch mode {
	case streamed:
		run(b.N)
	case backlog:
		target := written() + int64(b.N*len(rows))
		startProcessor()
		waitFor(target)
	default:
		for i := 0; i < b.N; i++ {
			run(1)
		}
	}
	b.StopTimer()
	stopTrace()
	conns := broker.Connections() - conns0
	cpu := laketest.CPUTime(b).Seconds() - cpu0
	if profiling {
		pprof.StopCPUProfile()
		writeFlagFile(b, *pipelineProfile, prof.Bytes())
	}
	runtime.ReadMemStats(&mem1)
	if got, want := committedRows(b, &lake.Catalog{Store: dirStore}, market.OptionQuotes.Name), written(); got != want {
		b.Fatalf("commit records hold %d rows, the writer counted %d", got, want)
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(len(rows)*b.N)/cpu, "rows/cpu-s")
	var roles map[string]float64
	if profiling {
		// The pipeline's CPU is all but the broker's and the publisher's: kafka-go runs
		// its connections in goroutines that carry no label, so the unlabelled share
		// (those and the garbage collector) counts as the pipeline's, the cautious side.
		roles = roleCPU(b, &prof)
		var total float64
		for _, sec := range roles {
			total += sec
		}
		b.ReportMetric(float64(len(rows)*b.N)/(total-roles["broker"]-roles["publisher"]), "rows/pipeline-cpu-s")
	}
	putSeconds, puts := store.totals()
	stopProcessor()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	// Where the time goes: each stage alone on the same snapshot, one goroutine.
	// Labelled, so that a CPU profile of the pipeline alone is
	// pprof -tagignore 'bench=.' (the setup is labelled too).
	// -short leaves the stages out, for repeated runs of the pipeline alone.
	var st []stage
	if !testing.Short() {
		pprof.Do(context.Background(), pprof.Labels("bench", "stages"), func(context.Context) { st = measureStages(b, cleaner, msgs) })
	}
	perSnap := func(sec float64) string { return fmt.Sprintf("%7.1f ms", 1000*sec) }
	b.Logf("%d raw messages, %d rows a snapshot; pipeline %s wall, %s CPU a snapshot (%d snapshots)",
		len(msgs), len(rows), perSnap(b.Elapsed().Seconds()/float64(b.N)), perSnap(cpu/float64(b.N)), b.N)
	n := float64(len(rows) * b.N)
	if roles != nil {
		b.Logf("  CPU a snapshot by role, from a profile of the run: processor %s, writer %s, broker %s, publisher %s, unlabelled (Kafka connections, GC) %s",
			perSnap(roles["processor"]/float64(b.N)), perSnap(roles["writer"]/float64(b.N)), perSnap(roles["broker"]/float64(b.N)),
			perSnap(roles["publisher"]/float64(b.N)), perSnap(roles[""]/float64(b.N)))
	} else {
		b.Logf("  CPU by role: in the -cpuprofile file, by the label role (go tool pprof -tags)")
	}
	dials := "a reader that gives up on a late fetch answer dials again"
	if mode == backlog {
		dials += "; the count includes the dials of the processor started in the timed part"
	}
	b.Logf("  %.1f new broker connections a snapshot (%s)", float64(conns)/float64(b.N), dials)
	b.Logf("  allocated %.0f B and %.1f objects a row, %.1f collections a snapshot (the process: broker, both roles and this publisher)",
		float64(mem1.TotalAlloc-mem0.TotalAlloc)/n, float64(mem1.Mallocs-mem0.Mallocs)/n, float64(mem1.NumGC-mem0.NumGC)/float64(b.N))
	if len(st) > 0 {
		b.Logf("stages alone, CPU a snapshot:")
	}
	for _, x := range st {
		b.Logf("  %-34s %s  %9.0f rows/cpu-s", x.name, perSnap(x.sec), float64(len(rows))/x.sec)
	}
	b.Logf("  %-34s %s  (%d puts a snapshot, wall, in the pipeline)", "store: lake puts", perSnap(putSeconds/float64(b.N)), puts/int64(b.N))
}

// pipelineProfile names a file for the CPU profile of BenchmarkOptionsRawToLake's timed
// part alone (go test's -cpuprofile covers the setup and the untimed publishing too).
var pipelineProfile = flag.String("pipeline.cpuprofile", "", "write the CPU profile of BenchmarkOptionsRawToLake's timed part to `file`")

// pipelineTrace names a file for an execution trace of BenchmarkOptionsRawToLake's timed
// part alone, where go test's -trace covers the setup and the untimed publishing too: go
// tool trace -pprof=sync (or net, sched) on it says where the pipeline's goroutines wait.
var pipelineTrace = flag.String("pipeline.trace", "", "write an execution trace of BenchmarkOptionsRawToLake's timed part to `file`")

// startPipelineTrace starts the trace -pipeline.trace asks for and returns what stops it
// and writes the file.
func startPipelineTrace(b *testing.B) (stop func()) {
	if *pipelineTrace == "" {
		return func() {}
	}
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		b.Logf("no pipeline trace: %v", err) // go test -trace runs one
		return func() {}
	}
	return func() {
		trace.Stop()
		writeFlagFile(b, *pipelineTrace, buf.Bytes())
	}
}

// writeFlagFile writes data to the file a flag names, if it names one.
func writeFlagFile(b *testing.B, name string, data []byte) {
	if name == "" {
		return
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

// committedRows is how many rows of a dataset the lake's commit records hold.
func committedRows(tb testing.TB, cat *lake.Catalog, dataset string) int64 {
	commits, err := cat.Commits(context.Background(), dataset)
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	for _, c := range commits {
		n += c.Rows
	}
	return n
}

// stage is the CPU time one stage takes for a snapshot.
type stage struct {
	name string
	sec  float64
}

// measureStages runs each stage of the pipeline alone over msgs, a few times, and returns
// its CPU time for one pass: decoding (the scanner and encoding/json for comparison),
// cleaning, analytics (IV and Greeks through quant alone, on the cleaned rows), the IV
// smiles, the Arrow IPC encoding of the processed messages, Kafka (producing the raw
// messages and consuming them back) and the lake's Parquet and CSV encoding and commit
// through lake.Writer.WriteBatch on a store that keeps nothing.
func measureStages(b *testing.B, cleaner *transform.Cleaner, msgs []kafka.Message) []stage {
	const passes = 3
	ctx := context.Background()
	timed := func(name string, f func()) stage {
		f() // warm
		c0 := laketest.CPUTime(b).Seconds()
		for range passes {
			f()
		}
		return stage{name, (laketest.CPUTime(b).Seconds() - c0) / passes}
	}
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	decoded := make([]wire.OptionResult, len(msgs))
	var out []stage
	out = append(out, timed("decode: Yahoo JSON (scanner)", func() {
		for i, m := range msgs {
			res, err := wire.DecodeOptionChain(m.Value)
			if err != nil {
				b.Fatal(err)
			}
			decoded[i] = res
		}
	}))
	out = append(out, timed("decode: encoding/json, for scale", func() {
		for _, m := range msgs {
			var oc wire.OptionChain
			if err := json.Unmarshal(m.Value, &oc); err != nil {
				b.Fatal(err)
			}
		}
	}))
	quotes := make([][]market.OptionQuote, len(msgs))
	cleanAll := timed("clean + analytics (Cleaner.Options)", func() {
		for i := range decoded {
			quotes[i], _ = cleaner.Options(decoded[i], at)
		}
	})
	style := quant.American
	if cleaner.EuropeanIV {
		style = quant.European
	}
	analytics := timed("analytics: quant IV and Greeks", func() {
		for _, qs := range quotes {
			for i := range qs {
				q := &qs[i]
				price := q.Mid
				if math.IsNaN(price) {
					price = q.LastPrice
				}
				kind := quant.Call
				if q.Type == market.Put {
					kind = quant.Put
				}
				_, _, _ = quant.ImpliedVolGreeks(quant.Params{Kind: kind, Spot: q.UnderlyingPrice, Strike: q.Strike, Rate: 0.04, Time: q.DaysToExpiry / 365}, price, style)
			}
		}
	})
	out = append(out, stage{"clean: validate, dedupe, enrich rest", cleanAll.sec - analytics.sec}, analytics)
	smiles := make([][]market.IVSmile, len(msgs))
	out = append(out, timed("IV smiles", func() {
		for i, qs := range quotes {
			smiles[i] = cleaner.Smiles(qs)
		}
	}))
	var processed []kafka.Message
	out = append(out, timed("encode: Arrow IPC", func() {
		processed = processed[:0]
		for i := range quotes {
			for _, x := range []struct {
				ds    *market.Dataset
				topic string
				rows  any
			}{{market.OptionQuotes, stream.ProcessedOptionData, quotes[i]}, {market.IVSmiles, stream.ProcessedIVSmile, smiles[i]}} {
				v, err := stream.EncodeBatch(x.ds, x.rows)
				if err != nil {
					b.Fatal(err)
				}
				processed = append(processed, kafka.Message{Topic: x.topic, Partition: i % 5, Offset: int64(i), Key: msgs[i].Key, Value: v,
					Headers: stream.Headers(stream.HeaderEncoding, stream.EncodingArrow, stream.HeaderSchema, x.ds.Name, stream.HeaderSchemaVersion, strconv.Itoa(market.SchemaVersion))})
			}
		}
	}))
	out = append(out, kafkaStage(b, msgs))
	discard := &timedStore{}
	lw := &lake.Writer{Store: discard, Log: testLogger(b), Metrics: metrics.New()}
	out = append(out, timed("lake: Parquet + CSV + commit", func() {
		discard.reset()
		if err := lw.WriteBatch(ctx, processed); err != nil {
			b.Fatal(err)
		}
	}))
	return out
}

// roleCPU sums a CPU profile's samples by their role label, in seconds; "" holds what ran
// under no role: the garbage collector's workers and kafka-go's connection goroutines.
func roleCPU(b *testing.B, data *bytes.Buffer) map[string]float64 {
	p, err := profile.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	i := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "cpu" })
	if i < 0 {
		b.Fatalf("CPU profile without cpu samples: %v", p.SampleType)
	}
	out := map[string]float64{}
	for _, s := range p.Sample {
		var role string
		if r := s.Label["role"]; len(r) > 0 {
			role = r[0]
		}
		out[role] += float64(s.Value[i]) / 1e9
	}
	return out
}

// kafkaStage is the CPU time of producing msgs to a fresh broker and consuming them back.
func kafkaStage(b *testing.B, msgs []kafka.Message) stage {
	broker := startBroker(b, b.TempDir())
	k := stream.Cluster{Brokers: []string{broker.Addr()}}
	w := stream.NewWriter(k, "")
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c0 := laketest.CPUTime(b).Seconds()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		b.Fatal(err)
	}
	r := stream.NewReader(stream.ReaderConfig{Kafka: k, Group: "bench-stage", Topics: []string{msgs[0].Topic}})
	defer r.Close()
	for range msgs {
		if _, err := r.FetchMessage(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return stage{"kafka: produce + consume raw", laketest.CPUTime(b).Seconds() - c0}
}

// timedStore is a lake store that times its puts; with no directory it keeps nothing.
type timedStore struct {
	lake.Store
	mu   sync.Mutex
	sec  float64
	puts int64
}

func (s *timedStore) PutIfAbsent(ctx context.Context, key string, data []byte) (bool, error) {
	t0 := time.Now()
	created, err := true, error(nil)
	if s.Store != nil {
		created, err = s.Store.PutIfAbsent(ctx, key, data)
	}
	s.mu.Lock()
	s.sec += time.Since(t0).Seconds()
	s.puts++
	s.mu.Unlock()
	return created, err
}

func (s *timedStore) reset() {
	s.mu.Lock()
	s.sec, s.puts = 0, 0
	s.mu.Unlock()
}

func (s *timedStore) totals() (float64, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sec, s.puts
}

func (s *timedStore) String() string { return "timed" }

// BenchmarkOptionsBareParquetGo writes the same rows with parquet-go alone,
// zstd, into memory: the floor the pipeline is measured against.
func BenchmarkOptionsBareParquetGo(b *testing.B) {
	_, rows := benchChains(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[market.OptionQuote](&buf, parquet.Compression(&zstd.Codec{}))
		if _, err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}
