// Command tickerlake runs the tickerlake lakehouse: one binary, one role per
// subcommand, or every role at once with `tickerlake up`.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
	"github.com/tickerlake/tickerlake/stream/trace/otlp"
)

// Globals are the flags every command takes.
type Globals struct {
	DataDir  string `name:"data-dir" env:"TICKERLAKE_DATA_DIR" default:"./data" help:"Folder for the lake, the embedded broker and state."`
	LogLevel string `name:"log-level" env:"TICKERLAKE_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Log level."`
	LogJSON  bool   `name:"log-json" env:"TICKERLAKE_LOG_JSON" help:"Log JSON lines instead of text."`
	OTLP     string `name:"otlp-endpoint" env:"TICKERLAKE_OTLP_ENDPOINT" placeholder:"URL" help:"Export spans over OTLP/HTTP to this collector (http://host:4318). Off when empty; an unreachable or invalid endpoint logs one warning and never holds up the pipeline."`

	spans trace.Recorder // the OTLP exporter, when --otlp-endpoint is set
}

// LakeFlags locate the lake.
type LakeFlags struct {
	Lake        string `name:"lake" env:"TICKERLAKE_LAKE" help:"Lake location: a directory (default <data-dir>/lake) or s3://bucket/prefix (endpoint, region and keys from the standard AWS environment)."`
	S3PathStyle bool   `name:"s3-path-style" env:"TICKERLAKE_S3_PATH_STYLE" help:"Address the S3 bucket path-style (endpoint/bucket/key), as most S3-compatible servers need."`
}

func (l LakeFlags) dir(g *Globals) string {
	if l.Lake != "" {
		return l.Lake
	}
	return filepath.Join(g.DataDir, "lake")
}

// KafkaFlags locate the brokers and say how to authenticate to them.
type KafkaFlags struct {
	Brokers       []string      `name:"kafka-brokers" env:"TICKERLAKE_KAFKA_BROKERS" sep:"," help:"Kafka bootstrap brokers, comma-separated."`
	KafkaWait     time.Duration `name:"kafka-wait" env:"TICKERLAKE_KAFKA_WAIT" default:"2m" help:"A long-running role waits this long at start for the brokers and its topics, then stops naming what is missing."`
	SASLMechanism string        `name:"kafka-sasl-mechanism" env:"TICKERLAKE_KAFKA_SASL_MECHANISM" enum:"none,plain,scram-sha-256,scram-sha-512" default:"none" help:"SASL mechanism for the brokers: none, plain, scram-sha-256 or scram-sha-512."`
	SASLUsername  string        `name:"kafka-sasl-username" env:"TICKERLAKE_KAFKA_SASL_USERNAME" help:"SASL username; required with a mechanism."`
	SASLPassword  stream.Secret `name:"kafka-sasl-password" env:"TICKERLAKE_KAFKA_SASL_PASSWORD" help:"SASL password; required with a mechanism. Logged as <secret>."`
	TLS           bool          `name:"kafka-tls" env:"TICKERLAKE_KAFKA_TLS" help:"Speak TLS to the brokers."`
	TLSCAFile     string        `name:"kafka-tls-ca-file" env:"TICKERLAKE_KAFKA_TLS_CA_FILE" placeholder:"PEM" help:"CA certificates (PEM) the brokers' certificates are checked against, with --kafka-tls (default the system's roots)."`
}

// cluster checks the Kafka settings once, at start, and builds the Cluster
// every client of the process is made from; it logs them, the password as
// <secret>. No brokers is no Cluster to reach, which roles that need one
// refuse (needKafka).
func (k KafkaFlags) cluster(log *slog.Logger) (stream.Cluster, error) {
	cfg := stream.Config{
		Brokers: k.Brokers, SASLMechanism: k.SASLMechanism, SASLUsername: k.SASLUsername, SASLPassword: k.SASLPassword,
		TLS: k.TLS, TLSCAFile: k.TLSCAFile,
	}
	kc, err := cfg.Cluster()
	if err != nil {
		return stream.Cluster{}, err
	}
	if len(k.Brokers) > 0 {
		log.Info("kafka", "config", cfg)
		if k.SASLMechanism == stream.SASLPlain && !k.TLS {
			log.Warn("kafka sasl plain without tls sends the password in clear; add --kafka-tls")
		}
	}
	return kc, nil
}

// CLI is the command line.
type CLI struct {
	Globals

	Up        UpCmd        `cmd:"" help:"Run every role in one process on embedded defaults: broker, scheduler, collector, processor, writer, api."`
	Broker    BrokerCmd    `cmd:"" help:"Run the embedded Kafka-protocol broker alone."`
	Schedule  ScheduleCmd  `cmd:"" help:"Publish collection tasks as market time passes."`
	Collector CollectorCmd `cmd:"" help:"Consume task-queue and publish raw market data."`
	Topics    TopicsCmd    `cmd:"" help:"Create the missing Kafka topics with their partition counts; fail, naming it, on a topic with the wrong count."`
	Run       RunCmd       `cmd:"" help:"Publish one collection task (collect-daily, collect-15min, collect-historical, collect-options) and return, as a CronJob does."`
	Processor ProcessorCmd `cmd:"" help:"Clean and validate raw topics into processed topics."`
	Writer    WriterCmd    `cmd:"" help:"Commit processed topics to the lake as Parquet and CSV."`
	Sink      SinkCmd      `cmd:"" help:"Deliver processed topics to the SQL and InfluxDB sinks alone, without the lake writer."`
	Export    ExportCmd    `cmd:"" help:"Write dated CSV extracts (stock_data/, options_data/, real_time_15min_data/) into the lake's store."`
	API       APICmd       `cmd:"" name:"api" help:"Serve the REST/OpenAPI API over the lake."`
	SQL       SQLCmd       `cmd:"" name:"sql" help:"Run DuckDB SQL over the lake's views."`
	Compact   CompactCmd   `cmd:"" help:"Compact the lake: merge small files, apply retention, delete what was replaced and orphans."`
	Migrate   MigrateCmd   `cmd:"" help:"Register an existing lake in its Iceberg tables, in place: each table comes to hold the Parquet objects the commit records make visible. Running it again changes nothing."`
	Predictor PredictorCmd `cmd:"" help:"Serve volatility and price-quantile forecasts from the lake and run fine-tunes (GET /api/v1/predict, /api/v1/models)."`
	FineTune  FineTuneCmd  `cmd:"" name:"fine-tune" help:"Train every forecasting model on the lake's data, evaluate walk-forward and commit a model version, as the nightly CronJob does."`
	Quant     QuantCmd     `cmd:"" help:"Options calculator: price, Greeks and implied volatility."`
	OpenAPI   OpenAPICmd   `cmd:"" name:"openapi" help:"Print the API's OpenAPI document (JSON), from which web/ generates its client."`
}

func main() {
	var cli CLI
	kctx := kong.Parse(&cli,
		kong.Name("tickerlake"),
		kong.Description("A lakehouse for U.S. stock and options market data."),
		kong.UsageOnError(),
	)
	log := newLogger(&cli.Globals)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	closeSpans := cli.startSpans(kctx.Command(), log)
	err := kctx.Run(&cli.Globals, log)
	closeSpans()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tickerlake:", err)
		os.Exit(1)
	}
}

// startSpans starts the OTLP exporter when --otlp-endpoint is set, and
// returns what sends its last spans (for at most 5 s) and stops it.
func (g *Globals) startSpans(command string, log *slog.Logger) func() {
	if g.OTLP == "" {
		return func() {}
	}
	e := otlp.Start(otlp.Config{Endpoint: g.OTLP, Log: log.With("role", "otlp"),
		Resource: []trace.Attr{trace.String("tickerlake.command", command)}})
	if e == nil {
		return func() {}
	}
	g.spans = e
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Close(ctx)
	}
}

func newLogger(g *Globals) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(g.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if g.LogJSON {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
