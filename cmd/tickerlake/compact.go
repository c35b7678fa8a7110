package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/metrics"
)

// CompactCmd runs the lake's housekeeping once, as a CronJob would:
// retention, compaction (with collection of what earlier runs replaced),
// then the janitor. `tickerlake run compact` does the same.
type CompactCmd struct {
	CompactFlags
}

// CompactFlags tune the lake's housekeeping.
type CompactFlags struct {
	LakeFlags
	TableFlags
	Retention    string        `name:"retention" env:"TICKERLAKE_RETENTION" help:"Per-dataset retention, e.g. intraday_bars=400d,option_quotes=730d (units d,h,m,s; unnamed datasets are kept forever)."`
	Settle       time.Duration `name:"settle" env:"TICKERLAKE_COMPACT_SETTLE" default:"1h" help:"Leave files committed less than this long ago for a later run."`
	Grace        time.Duration `name:"grace" env:"TICKERLAKE_COMPACT_GRACE" default:"10m" help:"Keep replaced objects this long after the commit that replaced them, for readers still on the old files."`
	JanitorGrace time.Duration `name:"janitor-grace" env:"TICKERLAKE_JANITOR_GRACE" default:"6h" help:"Remove uncommitted objects only when older than this (longer than a writer can stay down)."`
	SnapshotKeep time.Duration `name:"snapshot-keep" env:"TICKERLAKE_SNAPSHOT_KEEP" default:"1h" help:"Keep Iceberg table snapshots this long (the newest 10 always stay); older ones expire and the files only they held are removed after --janitor-grace."`
	Partitions   []string      `name:"partition" sep:"," help:"Only these partitions, e.g. date=2026-11-20 (default all)."`
	Pushgateway  string        `name:"pushgateway" env:"TICKERLAKE_PUSHGATEWAY" placeholder:"URL" help:"Push the run's metrics to this Prometheus Pushgateway (http://pushgateway:9091) as job tickerlake-compact, failed runs too: the job exits before any scrape. Off when empty; a failed push is a warning."`
}

// pushJob is the Pushgateway's job label of the housekeeping's metrics.
const pushJob = "tickerlake-compact"

// Run implements the command.
func (c *CompactCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	return c.compact(ctx, g, log)
}

func (c *CompactFlags) compact(ctx context.Context, g *Globals, log *slog.Logger) error {
	keep, err := lake.ParseRetention(c.Retention)
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
	h := &lake.Housekeeping{Store: store, Log: log.With("role", "compact", "lake", store.String()), Keep: keep,
		Settle: c.Settle, Grace: c.Grace, JanitorGrace: c.JanitorGrace, Partitions: c.Partitions, Tables: tbls, SnapshotKeep: c.SnapshotKeep}
	if c.Pushgateway == "" {
		return h.Once(ctx)
	}
	h.Metrics = metrics.New()
	err = h.Once(ctx)
	// A cancelled run still pushes what it counted, within the push's own time.
	if perr := h.Metrics.Push(context.WithoutCancel(ctx), c.Pushgateway, pushJob); perr != nil {
		log.Warn("housekeeping metrics not pushed", "err", perr)
	} else {
		log.Info("housekeeping metrics pushed", "pushgateway", c.Pushgateway, "job", pushJob)
	}
	return err
}
