package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/synthetic"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/serve"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
	"github.com/tickerlake/tickerlake/transform"
)

// SourceFlags choose and tune the market source.
type SourceFlags struct {
	Seed       int64   `name:"seed" env:"TICKERLAKE_SEED" default:"1" help:"Seed of the synthetic market."`
	DefectRate float64 `name:"defect-rate" env:"TICKERLAKE_DEFECT_RATE" default:"0.001" help:"Share of synthetic rows given a deliberate defect, for the cleaning stage to catch."`
	OptionDays int     `name:"option-days" env:"TICKERLAKE_OPTION_DAYS" default:"90" help:"Collect option expirations up to this many days ahead."`
	ProviderFlags
}

func (f SourceFlags) source() ingest.Source {
	if live := f.providers(f.OptionDays); live != nil {
		return live
	}
	src := ingest.NewSynthetic(synthetic.New(synthetic.Config{Seed: f.Seed, DefectRate: f.DefectRate}))
	src.OptionDays = f.OptionDays
	return src
}

// ScheduleFlags tune the scheduler.
type ScheduleFlags struct {
	DemoSpeed      float64 `name:"demo-speed" env:"TICKERLAKE_DEMO_SPEED" default:"60" help:"Market time runs this many times faster than real time until it catches up (1 = real time)."`
	ReplaySessions int     `name:"replay-sessions" env:"TICKERLAKE_REPLAY_SESSIONS" default:"2" help:"Recent sessions played at demo speed instead of backfilled."`
	BackfillDays   int     `name:"backfill-days" env:"TICKERLAKE_BACKFILL_DAYS" default:"365" help:"Days of daily bars backfilled on first start."`
}

func (f ScheduleFlags) scheduler(g *Globals, kc stream.Cluster, log *slog.Logger) *jobs.Scheduler {
	return &jobs.Scheduler{
		Kafka: kc, Calendar: market.NYSE(), Log: log.With("role", "schedule"),
		StatePath: filepath.Join(g.DataDir, "scheduler.json"),
		Speed:     f.DemoSpeed, ReplaySessions: f.ReplaySessions, BackfillDays: f.BackfillDays,
	}
}

// needKafka is the Cluster of a command that cannot run without brokers.
func needKafka(k KafkaFlags, log *slog.Logger) (stream.Cluster, error) {
	if len(k.Brokers) == 0 {
		return stream.Cluster{}, errors.New("--kafka-brokers (TICKERLAKE_KAFKA_BROKERS) is required")
	}
	return k.cluster(log)
}

// openLake opens the lake: an S3 bucket for s3:// locations, else a
// directory.
func openLake(ctx context.Context, g *Globals, l LakeFlags) (lake.Store, error) {
	loc := l.dir(g)
	if !strings.HasPrefix(loc, "s3://") {
		return lake.NewDir(loc)
	}
	bucket, prefix, err := lake.ParseS3URL(loc)
	if err != nil {
		return nil, err
	}
	return lake.NewS3(ctx, lake.S3Config{Bucket: bucket, Prefix: prefix, PathStyle: l.S3PathStyle})
}

// CacheFlags bound the query engine's cache of a lake on S3.
type CacheFlags struct {
	CacheSize query.Size `name:"cache-size" env:"TICKERLAKE_CACHE_SIZE" default:"2GiB" help:"Most disk the query engine's cache of a lake on S3 may take (e.g. 2GiB, 500MiB); least recently used files go first. 0: unbounded."`
}

// bytes is the engine's CacheSize for --cache-size, where 0 means
// unbounded.
func (c CacheFlags) bytes() int64 {
	if c.CacheSize == 0 {
		return -1
	}
	return int64(c.CacheSize)
}

// openEngine starts the query engine over store; a lake on S3 is read
// through a cache under the data dir of at most size bytes (0: the
// default, negative: unbounded).
func openEngine(g *Globals, store lake.Store, size int64, log *slog.Logger) (*query.Engine, error) {
	return query.OpenWith(store, query.Options{CacheDir: cacheDir(g), CacheSize: size, Log: log})
}

// cacheDir is where a lake on S3 is mirrored for the query engine.
func cacheDir(g *Globals) string { return filepath.Join(g.DataDir, "cache", "lake") }

// openLakeEngine opens the lake l names and the query engine over it, as the
// commands that read the lake start.
func openLakeEngine(ctx context.Context, g *Globals, l LakeFlags, log *slog.Logger) (lake.Store, *query.Engine, error) {
	return openSizedEngine(ctx, g, l, 0, log)
}

// openSizedEngine is openLakeEngine with the cache bounded to size bytes
// (0: query.DefaultCacheSize; negative: unbounded).
func openSizedEngine(ctx context.Context, g *Globals, l LakeFlags, size int64, log *slog.Logger) (lake.Store, *query.Engine, error) {
	store, err := openLake(ctx, g, l)
	if err != nil {
		return nil, nil, err
	}
	eng, err := openEngine(g, store, size, log)
	if err != nil {
		return nil, nil, err
	}
	return store, eng, nil
}

// BrokerCmd runs the embedded broker.
type BrokerCmd struct {
	OpsFlags
	Addr string `name:"addr" env:"TICKERLAKE_BROKER_ADDR" default:"127.0.0.1:9092" help:"Address the broker listens on."`
}

// Run implements the command.
func (c *BrokerCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	b, err := stream.StartBroker(c.Addr, filepath.Join(g.DataDir, "kafka"), log)
	if err != nil {
		return err
	}
	defer b.Close()
	// Ready when it answers its own metadata requests; it waits for nobody.
	return runRole(ctx, log, c.OpsFlags, KafkaFlags{}, roleDeps{kafka: stream.Cluster{Brokers: []string{b.Addr()}}}, func(*metrics.Set) error {
		<-ctx.Done()
		return nil
	})
}

// ScheduleCmd runs the scheduler.
type ScheduleCmd struct {
	KafkaFlags
	ScheduleFlags
	OpsFlags
}

// Run implements the command.
func (c *ScheduleCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	kc, err := needKafka(c.KafkaFlags, log)
	if err != nil {
		return err
	}
	return runRole(ctx, log, c.OpsFlags, c.KafkaFlags, roleDeps{kafka: kc}, func(*metrics.Set) error {
		return c.scheduler(g, kc, log).Run(ctx)
	})
}

// CollectorCmd runs the collector.
type CollectorCmd struct {
	KafkaFlags
	SourceFlags
	OpsFlags
}

// Run implements the command.
func (c *CollectorCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	kc, err := needKafka(c.KafkaFlags, log)
	if err != nil {
		return err
	}
	return runRole(ctx, log, c.OpsFlags, c.KafkaFlags, roleDeps{kafka: kc, groups: []string{"collector"}}, func(m *metrics.Set) error {
		return (&ingest.Collector{Source: c.source(), Kafka: kc, Log: log.With("role", "collector"), Metrics: m, Spans: g.spans}).Run(ctx)
	})
}

// ProcessorCmd runs the processor.
type ProcessorCmd struct {
	KafkaFlags
	AnalyticsFlags
	OpsFlags
}

// newProcessor wires a processor; a nil cleaner takes the defaults (flat 4%
// curve, no dividends), nil spans records none.
func newProcessor(kc stream.Cluster, log *slog.Logger, m *metrics.Set, cl *transform.Cleaner, spans trace.Recorder) *transform.Processor {
	if cl == nil {
		cl = &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}}
	}
	return &transform.Processor{Cleaner: cl, Kafka: kc, Log: log.With("role", "processor"), Metrics: m, Spans: spans}
}

// Run implements the command.
func (c *ProcessorCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	kc, err := needKafka(c.KafkaFlags, log)
	if err != nil {
		return err
	}
	cl, err := c.cleaner()
	if err != nil {
		return err
	}
	return runRole(ctx, log, c.OpsFlags, c.KafkaFlags, roleDeps{kafka: kc, groups: []string{"processor"}}, func(m *metrics.Set) error {
		return newProcessor(kc, log, m, cl, g.spans).Run(ctx)
	})
}

// WriterCmd runs the lake writer.
type WriterCmd struct {
	KafkaFlags
	LakeFlags
	TableFlags
	SinkFlags
	OpsFlags
	DrainTimeout time.Duration `name:"drain-timeout" env:"TICKERLAKE_DRAIN_TIMEOUT" default:"20s" help:"On SIGTERM, finish the batch in hand within this long, else abandon it uncommitted for redelivery; keep it under terminationGracePeriodSeconds."`
}

// Run implements the command.
func (c *WriterCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	kc, err := needKafka(c.KafkaFlags, log)
	if err != nil {
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
	deps := roleDeps{kafka: kc, groups: append([]string{"writer"}, c.SinkFlags.groups()...), store: store}
	return runRole(ctx, log, c.OpsFlags, c.KafkaFlags, deps, func(m *metrics.Set) error {
		w := &lake.Writer{Store: store, Kafka: kc, Log: log.With("role", "writer"), Metrics: m, DrainTimeout: c.DrainTimeout, Tables: tbls, Spans: g.spans}
		return c.runWithSinks(ctx, kc, log, m, g.spans, w.Run)
	})
}

// APICmd runs the API.
type APICmd struct {
	LakeFlags
	CacheFlags
	KafkaFlags
	OpsFlags
	HTTPAddr string       `name:"http-addr" env:"TICKERLAKE_HTTP_ADDR" default:":8006" help:"Address the API listens on."`
	API      serve.Config `embed:""`
}

// Run implements the command.
func (c *APICmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	store, eng, err := openSizedEngine(ctx, g, c.LakeFlags, c.bytes(), log)
	if err != nil {
		return err
	}
	defer eng.Close()
	kc, err := c.KafkaFlags.cluster(log)
	if err != nil {
		return err
	}
	srv, closeKafka, err := apiServer(eng, store, kc, c.API, log, metrics.New())
	if err != nil {
		return err
	}
	defer closeKafka()
	stop, err := serveOps(ctx, log, c.OpsFlags, srv.Readiness(), srv.Metrics)
	if err != nil {
		return err
	}
	defer stop()
	return srv.ListenAndServe(ctx, c.HTTPAddr)
}

// apiServer assembles the api role, as `tickerlake api` and `tickerlake up`
// run it, over eng and the store behind it. Without brokers the api still
// serves the lake; collection triggers answer 503 and consumer lag is not
// reported. The returned func closes the Kafka producer.
func apiServer(eng *query.Engine, store lake.Store, kc stream.Cluster, cfg serve.Config, log *slog.Logger, m *metrics.Set) (*serve.Server, func() error, error) {
	srv := serve.New(eng, store, cfg, log.With("role", "api"), m)
	if err := m.Registry.Register(eng.CacheCollector()); err != nil {
		return nil, nil, fmt.Errorf("register query cache metrics: %w", err)
	}
	closeKafka, err := srv.UseKafka(kc)
	if err != nil {
		return nil, nil, err
	}
	return srv, closeKafka, nil
}

// SQLCmd runs one statement and prints the result.
type SQLCmd struct {
	LakeFlags
	CacheFlags
	Format string `name:"format" short:"f" enum:"table,csv,json" default:"table" help:"Output format: table, csv or json."`
	Query  string `arg:"" help:"DuckDB SQL over the lake's views."`
}

// Help names the views a query can read.
func (c *SQLCmd) Help() string { return "The views: " + market.ViewList() + "." }

// Run implements the command.
func (c *SQLCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	_, eng, err := openSizedEngine(ctx, g, c.LakeFlags, c.bytes(), log)
	if err != nil {
		return err
	}
	defer eng.Close()
	res, err := eng.Query(ctx, c.Query, 0)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return res.Write(os.Stdout, c.Format)
}
