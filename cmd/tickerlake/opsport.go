package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/ops"
	"github.com/tickerlake/tickerlake/stream"
)

// OpsFlags place a long-running role's ops port.
type OpsFlags struct {
	OpsAddr string `name:"ops-addr" env:"TICKERLAKE_OPS_ADDR" placeholder:":9100" help:"Serve /healthz, /readyz and /metrics on this address; off when empty."`
}

// roleDeps are what a role's readiness checks.
type roleDeps struct {
	kafka  stream.Cluster // the brokers answer and every topic has its partitions
	groups []string       // this process is a member of each consumer group
	store  lake.Store     // the lake answers a read
}

func (d roleDeps) checks() []ops.Check {
	var cs []ops.Check
	if len(d.kafka.Brokers) > 0 {
		cs = append(cs,
			ops.Check{Name: "kafka", Func: func(ctx context.Context) error { return stream.Ping(ctx, d.kafka) }},
			ops.Check{Name: "topics", Func: func(ctx context.Context) error { return stream.CheckTopics(ctx, d.kafka, stream.TopicSpecs()) }},
		)
		id := stream.ClientID()
		for _, g := range d.groups {
			cs = append(cs, ops.Check{Name: "group " + g, Func: func(ctx context.Context) error {
				_, err := stream.GroupMember(ctx, d.kafka, g, id)
				return err
			}})
		}
	}
	if d.store != nil {
		cs = append(cs, ops.Check{Name: "lake", Func: func(ctx context.Context) error { return lake.Ping(ctx, d.store) }})
	}
	return cs
}

// serveOps starts the ops port, when set, answering for ready and reg; it
// turns not ready once ctx ends, while the role finishes what it holds. The
// returned func stops it.
func serveOps(ctx context.Context, log *slog.Logger, o OpsFlags, ready *ops.Readiness, reg *metrics.Set) (func(), error) {
	if o.OpsAddr == "" {
		return func() {}, nil
	}
	srv, err := ops.Listen(o.OpsAddr, ops.Handler(ready, reg.Registry))
	if err != nil {
		return nil, err
	}
	log.Info("ops port", "addr", srv.Addr(), "paths", "/healthz /readyz /metrics")
	go func() {
		if err := srv.Serve(); err != nil {
			log.Error("ops port", "err", err)
		}
	}()
	stop := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			ready.Drain()
		case <-stop:
		}
	}()
	return func() { close(stop); _ = srv.Close() }, nil
}

// runRole runs a long-running role behind its ops port. A role that uses
// Kafka first waits up to --kafka-wait for the brokers and every topic, and
// stops with the reason when they do not come (or at once when a topic has
// the wrong partition count); /readyz says the same meanwhile.
func runRole(ctx context.Context, log *slog.Logger, o OpsFlags, k KafkaFlags, d roleDeps, role func(*metrics.Set) error) error {
	m := metrics.New()
	ready := &ops.Readiness{Checks: d.checks(), Log: log}
	stop, err := serveOps(ctx, log, o, ready, m)
	if err != nil {
		return err
	}
	defer stop()
	if len(d.kafka.Brokers) > 0 {
		if err := stream.AwaitTopics(ctx, d.kafka, stream.TopicSpecs(), k.KafkaWait, 500*time.Millisecond); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	return role(m)
}
