package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/influx"
	"github.com/tickerlake/tickerlake/sink/sqlsink"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/tickerlake/tickerlake/stream/trace"
	"golang.org/x/sync/errgroup"
)

// SinkFlags switch on the warehouse sinks; each is off unless configured.
type SinkFlags struct {
	SQLDSN       string `name:"sql-dsn" env:"TICKERLAKE_SQL_DSN" help:"Write the processed data to SQL tables: postgres://... or sqlserver://... (add fedauth=ActiveDirectoryDefault etc. for Azure AD). Off when empty."`
	InfluxURL    string `name:"influx-url" env:"TICKERLAKE_INFLUX_URL" help:"Write 15-minute bars to InfluxDB at this URL. Off when empty."`
	InfluxToken  string `name:"influx-token" env:"TICKERLAKE_INFLUX_TOKEN" help:"InfluxDB 2.x API token, or user:password for 1.8."`
	InfluxOrg    string `name:"influx-org" env:"TICKERLAKE_INFLUX_ORG" help:"InfluxDB 2.x organisation (1.8 ignores it)."`
	InfluxBucket string `name:"influx-bucket" env:"TICKERLAKE_INFLUX_BUCKET" default:"tickerlake" help:"InfluxDB 2.x bucket, or database/retention-policy for 1.8."`
}

// sinkRole is one configured sink, run as its own consumer group.
type sinkRole struct {
	name     string
	consumer *sink.Consumer
	close    func()
}

// open connects the configured sinks (applying SQL migrations); none is an
// empty list. The caller closes each after it has stopped.
func (f SinkFlags) open(ctx context.Context, kc stream.Cluster, log *slog.Logger, m *metrics.Set) ([]sinkRole, error) {
	var roles []sinkRole
	consumer := func(s sink.Sink) *sink.Consumer {
		return &sink.Consumer{Sink: s, Kafka: kc, Log: log.With("role", "sink-"+s.Name()), Metrics: m}
	}
	if f.SQLDSN != "" {
		s, err := sqlsink.Open(ctx, sqlsink.Config{DSN: f.SQLDSN, Log: log.With("role", "sink-sql")})
		if err != nil {
			return nil, err
		}
		roles = append(roles, sinkRole{name: "sink-sql", consumer: consumer(s), close: func() { _ = s.Close() }})
	}
	if f.InfluxURL != "" {
		s, err := influx.New(ctx, influx.Config{URL: f.InfluxURL, Token: f.InfluxToken, Org: f.InfluxOrg, Bucket: f.InfluxBucket})
		if err != nil {
			closeSinks(roles)
			return nil, err
		}
		log.Info("influx sink ready", "url", f.InfluxURL, "bucket", f.InfluxBucket)
		roles = append(roles, sinkRole{name: "sink-influx", consumer: consumer(s), close: s.Close})
	}
	return roles, nil
}

// groups are the consumer groups of the configured sinks (sink.Consumer's
// default, "sink-" and the sink's name).
func (f SinkFlags) groups() []string {
	var gs []string
	if f.SQLDSN != "" {
		gs = append(gs, "sink-sql")
	}
	if f.InfluxURL != "" {
		gs = append(gs, "sink-influx")
	}
	return gs
}

func closeSinks(roles []sinkRole) {
	for _, r := range roles {
		r.close()
	}
}

// runWithSinks runs a role alongside the configured sinks, which hand
// their spans to spans (nil: none); the first to fail stops the others.
func (f SinkFlags) runWithSinks(ctx context.Context, kc stream.Cluster, log *slog.Logger, m *metrics.Set, spans trace.Recorder, role func(context.Context) error) error {
	roles, err := f.open(ctx, kc, log, m)
	if err != nil {
		return err
	}
	defer closeSinks(roles)
	g, gctx := errgroup.WithContext(ctx)
	if role != nil {
		g.Go(func() error { return role(gctx) })
	}
	for _, r := range roles {
		g.Go(func() error {
			r.consumer.Spans = spans
			if err := r.consumer.Run(gctx); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// SinkCmd runs the configured sinks alone, without the lake writer.
type SinkCmd struct {
	KafkaFlags
	SinkFlags
	OpsFlags
}

// Run implements the command.
func (c *SinkCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	kc, err := needKafka(c.KafkaFlags, log)
	if err != nil {
		return err
	}
	if c.SQLDSN == "" && c.InfluxURL == "" {
		return errors.New("no sink configured: set --sql-dsn and/or --influx-url")
	}
	return runRole(ctx, log, c.OpsFlags, c.KafkaFlags, roleDeps{kafka: kc, groups: c.groups()}, func(m *metrics.Set) error {
		return c.runWithSinks(ctx, kc, log, m, g.spans, nil)
	})
}
