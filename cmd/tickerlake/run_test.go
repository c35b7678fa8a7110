package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/twelvedata/tdtest"
	"github.com/tickerlake/tickerlake/ingest/yahoo/yhtest"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

func parseCLI(t *testing.T, args ...string) *CLI {
	t.Helper()
	var cli CLI
	p, err := kong.New(&cli, kong.Exit(func(int) { t.Fatalf("kong exited on %v", args) }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return &cli
}

// TestRunCollectDailyFromTwelveData publishes `run collect-daily` with the
// collector on --source twelvedata pointed at a stand-in server, and checks
// every symbol of the universe lands in the lake; then publishes the same
// job again and checks the re-delivered task adds no duplicate rows.
func TestRunCollectDailyFromTwelveData(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir+"/kafka")
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		t.Fatal(err)
	}
	fake := tdtest.New(time.Now)
	fake.PerMinute = 120
	srv := httptest.NewServer(fake)
	defer srv.Close()

	t.Setenv("TWELVEDATA_API_KEYS", "k1,k2,k3")
	collector := parseCLI(t, "collector", "--kafka-brokers", b.Addr(), "--source", "twelvedata",
		"--twelvedata-base-url", srv.URL, "--twelvedata-credits-per-minute", "120")
	src := collector.Collector.source()
	if src.Name() != "twelvedata+yahoo" {
		t.Fatalf("source %q, want twelvedata for bars and yahoo for options", src.Name())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := testLogger(t)
	done := make(chan error, 1)
	go func() {
		done <- (&Pipeline{Kafka: stream.Cluster{Brokers: []string{b.Addr()}}, Store: store, Source: src, Log: log, Metrics: metrics.New()}).Run(ctx)
	}()

	publish := func() ingest.Task {
		run := parseCLI(t, "run", "collect-daily", "--kafka-brokers", b.Addr(), "--date", "2026-11-20")
		var out bytes.Buffer
		run.Run.out = &out
		if err := run.Run.Run(&run.Globals, ctx, log); err != nil {
			t.Fatal(err)
		}
		var task ingest.Task
		if err := json.Unmarshal(out.Bytes(), &task); err != nil {
			t.Fatalf("run printed %q: %v", out.String(), err)
		}
		return task
	}
	first := publish()

	eng, err := query.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	universe := len(market.Universe())
	count := func() (rows, symbols int, newest string) {
		res, err := eng.Query(ctx, `SELECT count(*), count(DISTINCT symbol), coalesce(CAST(max(ingested_at) AS VARCHAR), '')
			FROM daily_bars WHERE date = DATE '2026-11-20'`, 0)
		if err != nil {
			return 0, 0, ""
		}
		r := res.Rows[0]
		return toInt(r[0]), toInt(r[1]), fmt.Sprint(r[2])
	}
	waitFor := func(what string, ok func() bool) { waitUntil(t, done, what, ok) }
	var newest string
	waitFor("every symbol in the lake", func() bool {
		rows, syms, n := count()
		newest = n
		return rows >= universe && syms == universe
	})
	if got := fake.Throttled(); got != 0 {
		t.Errorf("%d calls went over the provider's limits", got)
	}
	calls := len(fake.Calls())

	again := publish()
	if again.ID != first.ID {
		t.Fatalf("the same job published task %s, then %s", first.ID, again.ID)
	}
	waitFor("the re-delivered task to land", func() bool {
		_, _, n := count()
		return n > newest && len(fake.Calls()) >= 2*calls
	})
	rows, syms, _ := count()
	if rows != universe || syms != universe {
		t.Errorf("after re-delivery: %d rows for %d symbols, want %d each", rows, syms, universe)
	}
	t.Logf("collect-daily via twelvedata: %d symbols in %d calls per run, re-delivery added no rows", syms, calls)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("pipeline: %v", err)
	}
}

// waitUntil polls ok until it holds, failing the test when the pipeline
// stops first or two minutes pass.
func waitUntil(t *testing.T, done <-chan error, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for !ok() {
		select {
		case err := <-done:
			t.Fatalf("pipeline stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func toInt(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case int32:
		return int(n)
	case int:
		return n
	case uint64:
		return int(n)
	}
	var x int
	fmt.Sscan(fmt.Sprint(v), &x)
	return x
}

func TestSourceSelection(t *testing.T) {
	tests := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"default is synthetic", "", nil, "synthetic"},
		{"keys switch auto to the providers", "a,b", nil, "twelvedata+yahoo"},
		{"synthetic chosen despite keys", "a", []string{"--source", "synthetic"}, "synthetic"},
		{"flat files for history", "a", []string{"--flatfiles", "testdata"}, "twelvedata+flatfile+yahoo"},
		{"flat files alone", "", []string{"--source", "flatfile", "--flatfiles", "s3://vendor/us_stocks_sip/day_aggs_v1"}, "flatfile+yahoo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TWELVEDATA_API_KEYS", tc.env)
			cli := parseCLI(t, append([]string{"collector", "--kafka-brokers", "127.0.0.1:1"}, tc.args...)...)
			if got := cli.Collector.source().Name(); got != tc.want {
				t.Errorf("source %q, want %q", got, tc.want)
			}
		})
	}
	t.Setenv("TWELVEDATA_API_KEYS", "")
	for _, bad := range []ProviderFlags{{Source: "twelvedata"}, {Source: "flatfile"}, {Source: "auto", FlatFiles: "s3://"}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
}

func TestRunOnClosedMarketPublishesNothing(t *testing.T) {
	thanksgiving := time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)
	run := parseCLI(t, "run", "collect-options", "--kafka-brokers", "127.0.0.1:1")
	var out bytes.Buffer
	run.Run.out, run.Run.clock = &out, clock.NewManual(thanksgiving)
	if err := run.Run.Run(&run.Globals, t.Context(), testLogger(t)); err != nil {
		t.Fatalf("a closed market is not an error for a CronJob: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q on a closed day", out.String())
	}
	bad := parseCLI(t, "run", "collect-daily", "--kafka-brokers", "127.0.0.1:1", "--date", "26/11/2026")
	if err := bad.Run.Run(&bad.Globals, t.Context(), testLogger(t)); err == nil {
		t.Error("a malformed --date was accepted")
	}
}

// TestRunCollectOptionsFromYahoo publishes `run collect-options` during a
// session with the collector's Yahoo pointed at a stand-in server, and
// checks each symbol's chain lands as one snapshot at the task's minute
// with every expiration within 90 days; a second delivery adds no rows.
func TestRunCollectOptionsFromYahoo(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir+"/kafka")
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		t.Fatal(err)
	}
	fake := yhtest.New(time.Now)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	t.Setenv("TWELVEDATA_API_KEYS", "k1")
	collector := parseCLI(t, "collector", "--kafka-brokers", b.Addr(), "--yahoo-base-url", srv.URL,
		"--yahoo-cookie-url", srv.URL+"/cookie", "--yahoo-calls-per-minute", "100000")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := testLogger(t)
	done := make(chan error, 1)
	go func() {
		done <- (&Pipeline{Kafka: stream.Cluster{Brokers: []string{b.Addr()}}, Store: store, Source: collector.Collector.source(), Log: log, Metrics: metrics.New()}).Run(ctx)
	}()
	during := time.Date(2026, 11, 20, 20, 0, 42, 0, time.UTC) // 15:00:42 in New York
	publish := func() []byte {
		run := parseCLI(t, "run", "collect-options", "--kafka-brokers", b.Addr(), "--symbols", "AAPL,BRK-B,MSFT")
		var out bytes.Buffer
		run.Run.out, run.Run.clock = &out, clock.NewManual(during)
		if err := run.Run.Run(&run.Globals, ctx, log); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	var task ingest.Task
	if err := json.Unmarshal(publish(), &task); err != nil {
		t.Fatalf("run printed no task: %v", err)
	}
	eng, err := query.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	type chain struct{ rows, expirations int }
	chains := func() (map[string]chain, string) {
		res, err := eng.Query(ctx, `SELECT symbol, count(*), count(DISTINCT expiration), CAST(max(ingested_at) AS VARCHAR)
			FROM option_quotes WHERE snapshot_ts = TIMESTAMPTZ '2026-11-20 20:00:00+00' GROUP BY symbol`, 0)
		out := map[string]chain{}
		newest := ""
		if err != nil {
			return out, ""
		}
		for _, r := range res.Rows {
			out[fmt.Sprint(r[0])] = chain{toInt(r[1]), toInt(r[2])}
			newest = max(newest, fmt.Sprint(r[3]))
		}
		return out, newest
	}
	wait := func(what string, ok func() bool) { waitUntil(t, done, what, ok) }
	var first map[string]chain
	var newest string
	wait("three chains with four expirations each", func() bool {
		first, newest = chains()
		n := 0
		for _, c := range first {
			if c.expirations == 4 {
				n++
			}
		}
		return n == 3
	})
	for _, sym := range []string{"AAPL", "BRK.B", "MSFT"} {
		if first[sym].rows == 0 {
			t.Errorf("%s: no option rows", sym)
		}
	}
	calls := len(fake.Calls())
	if again := publish(); len(again) != 0 {
		t.Errorf("the same run again published %s; the snapshot is on task-queue already", again)
	}
	// A re-delivery: the same task on the queue again, as after a crash.
	w := stream.NewWriter(stream.Cluster{Brokers: []string{b.Addr()}}, stream.TaskQueue)
	if err := jobs.Publish(ctx, w, task); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wait("the second delivery", func() bool {
		_, n := chains()
		return n > newest && len(fake.Calls()) >= 2*calls
	})
	again, _ := chains()
	for sym, c := range first {
		if again[sym] != c {
			t.Errorf("%s: %+v after re-delivery, was %+v", sym, again[sym], c)
		}
	}
	t.Logf("collect-options via yahoo: %v in %d calls per run", first, calls)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("pipeline: %v", err)
	}
}

// TestRunJobsFromRegistry checks `run` accepts collect-KIND for every task
// kind of the registry (collect-actions among them) and rejects others.
func TestRunJobsFromRegistry(t *testing.T) {
	names := jobs.JobNames()
	if !slices.Contains(names, "collect-actions") {
		t.Fatalf("jobs %v: no collect-actions", names)
	}
	for _, job := range append(names, "compact") {
		if got := parseCLI(t, "run", job).Run.Job; got != job {
			t.Errorf("run %s parsed as %q", job, got)
		}
	}
	var cli CLI
	p, err := kong.New(&cli, kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse([]string{"run", "collect-weekly"}); err == nil || !strings.Contains(err.Error(), "collect-actions") {
		t.Errorf("run collect-weekly: %v, want an error listing the jobs", err)
	}
}
