package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/serve"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
	"github.com/tickerlake/tickerlake/transform"
	"github.com/tickerlake/tickerlake/web"
	"golang.org/x/sync/errgroup"
)

// UpCmd runs the whole pipeline in one process.
type UpCmd struct {
	KafkaFlags
	LakeFlags
	CacheFlags
	TableFlags
	SourceFlags
	AnalyticsFlags
	ScheduleFlags
	SinkFlags
	PredictFlags
	BrokerAddr string       `name:"broker-addr" env:"TICKERLAKE_BROKER_ADDR" default:"127.0.0.1:9092" help:"Where the embedded broker listens when --kafka-brokers is not set."`
	HTTPAddr   string       `name:"http-addr" env:"TICKERLAKE_HTTP_ADDR" default:":8006" help:"Address the API listens on."`
	API        serve.Config `embed:""`
	// The lake's housekeeping, which a CronJob runs in Kubernetes.
	CompactEvery time.Duration `name:"compact-every" env:"TICKERLAKE_COMPACT_EVERY" default:"1h" help:"Run the lake's housekeeping (retention, compaction, removal of replaced objects and orphans) this often; 0 turns it off."`
	Retention    string        `name:"retention" env:"TICKERLAKE_RETENTION" help:"Per-dataset retention for the housekeeping, e.g. intraday_bars=400d (unnamed datasets are kept forever)."`
}

// Run implements the command.
func (c *UpCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	kc, err := c.KafkaFlags.cluster(log)
	if err != nil {
		return err
	}
	if len(kc.Brokers) == 0 {
		b, err := stream.StartBroker(c.BrokerAddr, filepath.Join(g.DataDir, "kafka"), log.With("role", "broker"))
		if err != nil {
			return err
		}
		// Closed after every role has committed what it holds.
		defer b.Close()
		kc = stream.Cluster{Brokers: []string{b.Addr()}}
	} else if _, err := stream.EnsureTopics(ctx, kc, -1); err != nil {
		return err
	}
	store, err := openLake(ctx, g, c.LakeFlags)
	if err != nil {
		return err
	}
	tbls, closeTables, err := c.TableFlags.open(ctx, g, store, log)
	if err != nil {
		return err
	}
	defer closeTables()
	cl, err := c.cleaner()
	if err != nil {
		return err
	}
	keep, err := lake.ParseRetention(c.Retention)
	if err != nil {
		return err
	}
	src := c.source()
	if syn, ok := src.(*ingest.Synthetic); ok && cl.Dividends == nil {
		// The synthetic market's own yields, so that the analytics invert
		// its prices with the inputs that made them.
		cl.Dividends = syntheticYields(syn)
	}
	p := &Pipeline{
		Cleaner: cl, Kafka: kc, Store: store, CacheDir: cacheDir(g), CacheSize: c.bytes(), Source: src, Scheduler: c.scheduler(g, kc, log),
		HTTPAddr: c.HTTPAddr, APIConfig: c.API, Predict: c.PredictFlags, Log: log, Metrics: metrics.New(), Tables: tbls,
		Spans: g.spans,
	}
	if c.CompactEvery > 0 {
		// Defaults as for `tickerlake compact`: files settle for an hour first.
		p.Housekeeping = &lake.Housekeeping{Store: store, Log: log.With("role", "compact"), Keep: keep,
			Settle: time.Hour, Grace: 10 * time.Minute, JanitorGrace: 6 * time.Hour, Every: c.CompactEvery, Tables: p.Tables}
	}
	if p.Sinks, err = c.SinkFlags.open(ctx, kc, log, p.Metrics); err != nil {
		return err
	}
	defer closeSinks(p.Sinks)
	log.Info("tickerlake up", "api", "http://localhost"+c.HTTPAddr, "lake", store.String(), "brokers", kc.Brokers)
	// A fresh clone has no built web app: build it while the pipeline starts.
	go func() { _ = web.BuildIfMissing(ctx, "web", log.With("role", "web")) }()
	return p.Run(ctx)
}

// syntheticYields are the synthetic market's dividend yields by symbol.
func syntheticYields(s *ingest.Synthetic) map[string]float64 {
	divs := map[string]float64{}
	for _, sym := range s.Market.Symbols() {
		if q := s.Market.DividendYield(sym); q != 0 {
			divs[sym] = q
		}
	}
	return divs
}

// Pipeline is every role in one process, each as it would run alone.
type Pipeline struct {
	Kafka     stream.Cluster
	Store     lake.Store
	CacheDir  string // where the API mirrors a lake on S3 (default a temporary folder)
	CacheSize int64  // bound of that mirror in bytes (0: query.DefaultCacheSize; negative: unbounded)
	Source    ingest.Source
	Scheduler *jobs.Scheduler // nil: publish no tasks
	HTTPAddr  string          // "": no API
	Predict   PredictFlags    // the predictor mounted on the API
	APIConfig serve.Config    // the API's limits and access settings
	Log       *slog.Logger
	Metrics   *metrics.Set
	// Writer, when set, replaces the default lake writer (tests use it to crash one).
	Writer *lake.Writer
	// Tables, when set, are the Iceberg tables the default writer keeps.
	Tables lake.Tables
	// Cleaner holds the processor's rules (nil: the defaults).
	Cleaner *transform.Cleaner
	// Sinks are the configured warehouse sinks, each its own consumer group.
	Sinks []sinkRole
	// Housekeeping, when set, runs at its interval.
	Housekeeping *lake.Housekeeping
	// Spans, when set, takes every role's spans (OTLP export).
	Spans trace.Recorder
}

// Run runs the roles until ctx ends, then waits for each to commit what it
// holds. The first role to fail stops the others.
func (p *Pipeline) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	run := func(name string, f func(context.Context) error) {
		g.Go(func() error {
			if err := f(gctx); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	if p.Scheduler != nil {
		run("schedule", p.Scheduler.Run)
	}
	run("collector", (&ingest.Collector{Source: p.Source, Kafka: p.Kafka, Log: p.Log.With("role", "collector"), Metrics: p.Metrics, Spans: p.Spans}).Run)
	run("processor", newProcessor(p.Kafka, p.Log, p.Metrics, p.Cleaner, p.Spans).Run)
	w := p.Writer
	if w == nil {
		w = &lake.Writer{Store: p.Store, Kafka: p.Kafka, Log: p.Log.With("role", "writer"), Metrics: p.Metrics, Tables: p.Tables, Spans: p.Spans}
	}
	run("writer", w.Run)
	for _, s := range p.Sinks {
		s.consumer.Spans = p.Spans
		run(s.name, s.consumer.Run)
	}
	if p.Housekeeping != nil {
		if p.Housekeeping.Metrics == nil {
			p.Housekeeping.Metrics = p.Metrics
		}
		run("compact", p.Housekeeping.Run)
	}
	if p.HTTPAddr != "" {
		eng, err := query.OpenWith(p.Store, query.Options{CacheDir: p.CacheDir, CacheSize: p.CacheSize, Log: p.Log.With("role", "api")})
		if err != nil {
			return err
		}
		defer eng.Close()
		srv, closeKafka, err := apiServer(eng, p.Store, p.Kafka, p.APIConfig, p.Log, p.Metrics)
		if err != nil {
			return err
		}
		defer closeKafka()
		// The predictor answers on the api's address, so the web app and
		// the original service's clients find /predict and /fine_tune there.
		svc := p.Predict.service(eng, p.Store, p.Log)
		svc.AutoTrain = true
		if err := mountPredictor(srv, svc, p.Metrics); err != nil {
			return err
		}
		run("predictor", svc.Run)
		run("api", func(ctx context.Context) error { return srv.ListenAndServe(ctx, p.HTTPAddr) })
	}
	return g.Wait()
}
