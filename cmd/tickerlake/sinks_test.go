package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/sinktest"
	"github.com/tickerlake/tickerlake/sink/sqlsink"
	"github.com/tickerlake/tickerlake/stream"
)

// TestPipelineWithSinks runs the pipeline with both sinks switched on, as
// `up --sql-dsn ... --influx-url ...` does, and reconciles the warehouse
// tables and InfluxDB with the lake.
func TestPipelineWithSinks(t *testing.T) {
	pg := sinktest.PostgresDB(t, sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the pipeline test with sinks"))
	influxURL := sinktest.Env(t, "TICKERLAKE_TEST_INFLUX_URL", "the pipeline test with sinks")
	bucket := sinktest.InfluxDB(t, influxURL)
	dir := t.TempDir()
	store, err := lake.NewDir(dir + "/lake")
	if err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, dir+"/kafka")
	brokers := []string{b.Addr()}
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: 11}))
	tasks := testTasks()
	want := expectedKeys(t, src, tasks)
	log, m := testLogger(t), metrics.New()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	flags := SinkFlags{SQLDSN: pg, InfluxURL: influxURL, InfluxBucket: bucket}
	sinks, err := flags.open(ctx, stream.Cluster{Brokers: brokers}, log, m)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSinks(sinks)
	if len(sinks) != 2 {
		t.Fatalf("%d sinks opened, want sql and influx", len(sinks))
	}
	p := &Pipeline{Kafka: stream.Cluster{Brokers: brokers}, Store: store, Source: src, Log: log, Metrics: m, Sinks: sinks}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	w := stream.NewWriter(stream.Cluster{Brokers: brokers}, stream.TaskQueue)
	defer w.Close()
	if err := jobs.Publish(ctx, w, tasks...); err != nil {
		t.Fatal(err)
	}
	eng, err := query.OpenWith(store, query.Options{CacheDir: dir + "/cache"})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	reconcile(t, waitForLake(t, eng, want, 90*time.Second), want)

	lakeCount := func(q string) int64 {
		res, err := eng.Query(ctx, q, 0)
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(int64)
	}
	wantSQL := map[*sink.Table]int64{
		sink.StockData:      lakeCount("SELECT count(*) FROM daily_bars"),
		sink.StockData15Min: lakeCount("SELECT count(*) FROM intraday_bars"),
		sink.CallOptions:    lakeCount("SELECT count(*) FROM option_quotes WHERE option_type = 'call'"),
		sink.PutOptions:     lakeCount("SELECT count(*) FROM option_quotes WHERE option_type = 'put'"),
	}
	wh, err := sqlsink.Open(ctx, sqlsink.Config{DSN: pg})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	sinktest.Eventually(t, 60*time.Second, func() (bool, string) {
		var diffs []string
		for tb, n := range wantSQL {
			got, err := wh.Count(ctx, tb)
			if err != nil {
				return false, err.Error()
			}
			if got != n {
				diffs = append(diffs, fmt.Sprintf("%s %d/%d", tb.Name, got, n))
			}
		}
		influx := influxCount(t, influxURL, strings.Split(bucket, "/")[0])
		if influx != wantSQL[sink.StockData15Min] {
			diffs = append(diffs, fmt.Sprintf("influx %d/%d", influx, wantSQL[sink.StockData15Min]))
		}
		return len(diffs) == 0, strings.Join(diffs, ", ")
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func influxCount(t *testing.T, base, db string) int64 {
	q := `SELECT count("close") FROM "stock_15min"`
	resp, err := http.Get(base + "/query?" + url.Values{"db": {db}, "q": {q}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Results) == 0 || len(out.Results[0].Series) == 0 {
		return 0
	}
	num, _ := out.Results[0].Series[0].Values[0][1].(json.Number)
	n, err := num.Int64()
	if err != nil {
		t.Fatalf("influx count %v: %v", out.Results[0].Series[0].Values[0], err)
	}
	return n
}
