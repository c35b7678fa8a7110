package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/internal/logbuf"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink/sinktest"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
)

// logLines is a JSON log the test reads back, line by line.
type logLines struct{ logbuf.Buffer }

func (l *logLines) lines(t *testing.T) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.Bytes()))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// carries says whether a log line names trace id, as its own trace or
// as one of its links.
func carries(line map[string]any, id string) bool {
	if line[trace.LogKey] == id {
		return true
	}
	links, _ := line[trace.LinksKey].([]any)
	return slices.Contains(links, any(id))
}

// TestTraceFollowsARecord runs the pipeline with both sinks at debug level
// and follows the trace id of one 15-minute bar response from the
// collector's publish through the processor and the lake commit to the
// SQL and InfluxDB writes, each stage's log line naming it.
func TestTraceFollowsARecord(t *testing.T) {
	pg := sinktest.PostgresDB(t, sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the trace test with sinks"))
	influxURL := sinktest.Env(t, "TICKERLAKE_TEST_INFLUX_URL", "the trace test with sinks")
	bucket := sinktest.InfluxDB(t, influxURL)
	dir := t.TempDir()
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, dir+"/kafka")
	kc := stream.Cluster{Brokers: []string{b.Addr()}}
	logs := &logLines{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := metrics.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sinks, err := SinkFlags{SQLDSN: pg, InfluxURL: influxURL, InfluxBucket: bucket}.open(ctx, kc, log, m)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSinks(sinks)
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 5}))
	p := &Pipeline{Kafka: kc, Store: store, Source: src, Log: log, Metrics: m, Sinks: sinks}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	open, closeT, _ := market.NYSE().Session(day)
	tasks := []ingest.Task{
		ingest.NewTask(ingest.Intraday, open, closeT, "AAPL", "MSFT", "JPM"),
		ingest.NewTask(ingest.Daily, day.AddDate(0, 0, -10), day.AddDate(0, 0, 1), "AAPL", "MSFT", "JPM"),
	}
	w := stream.NewWriter(kc, stream.TaskQueue)
	defer w.Close()
	if err := jobs.Publish(ctx, w, tasks...); err != nil {
		t.Fatal(err)
	}

	// stages are the log lines that must name the record's trace, by role.
	stages := []struct{ role, msg string }{
		{"collector", "record published"},
		{"processor", "record processed"},
		{"writer", "lake commit"},
		{"sink-sql", "sink write"},
		{"sink-influx", "sink write"},
	}
	var id string
	var found map[string]string
	sinktest.Eventually(t, 90*time.Second, func() (bool, string) {
		lines := logs.lines(t)
		if id == "" {
			// The last intraday response's trace: the one most likely to
			// share its commit and writes with others, as links.
			for _, l := range lines {
				if l["msg"] == "record published" && l["topic"] == stream.IntradayData {
					id, _ = l[trace.LogKey].(string)
				}
			}
			if id == "" {
				return false, "no intraday record published yet"
			}
		}
		found = map[string]string{}
		for _, l := range lines {
			role, _ := l["role"].(string)
			for _, s := range stages {
				if role == s.role && l["msg"] == s.msg && carries(l, id) {
					found[role] = fmt.Sprint(l)
				}
			}
		}
		var missing []string
		for _, s := range stages {
			if found[s.role] == "" {
				missing = append(missing, s.role+" "+s.msg)
			}
		}
		return len(missing) == 0, fmt.Sprintf("trace %s not yet in: %s", id, strings.Join(missing, ", "))
	})
	for _, s := range stages {
		t.Logf("%s: %s", s.role, found[s.role])
	}

	// Every provider response starts a trace of its own.
	published := map[string]string{}
	for _, l := range logs.lines(t) {
		if l["msg"] != "record published" {
			continue
		}
		tid, _ := l[trace.LogKey].(string)
		key := fmt.Sprint(l["topic"], " ", l["symbol"])
		if other, ok := published[tid]; ok || len(tid) != 32 {
			t.Errorf("trace id %q of %s already started for %s", tid, key, other)
		}
		published[tid] = key
	}
	if len(published) < 6 {
		t.Errorf("%d responses published, want at least 6 (3 symbols, 2 tasks)", len(published))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
