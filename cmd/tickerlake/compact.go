package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/tickerlake/tickerlake/lake"
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
	Partitions   []string      `name:"partition" sep:"," help:"Only these partitions, e.g. date=2026-11-20 (default all)."`
}

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
	h := &housekeeping{Store: store, Log: log.With("role", "compact", "lake", store.String()), Keep: keep,
		Settle: c.Settle, Grace: c.Grace, JanitorGrace: c.JanitorGrace, Partitions: c.Partitions, Tables: tbls}
	return h.once(ctx)
}

// housekeeping is the lake's upkeep: retention, compaction (with collection of
// what earlier runs replaced), then the janitor. The compact command runs it
// once; `up` runs it on a timer, as the CronJob does in Kubernetes.
type housekeeping struct {
	Store                       lake.Store
	Log                         *slog.Logger
	Keep                        map[string]time.Duration // retention per dataset
	Settle, Grace, JanitorGrace time.Duration
	Partitions                  []string      // only these (default all)
	Every                       time.Duration // how often run runs it
	Tables                      lake.Tables   // the Iceberg tables to keep in step (nil: none)
}

func (h *housekeeping) once(ctx context.Context) error {
	ret, err := (&lake.Retention{Store: h.Store, Log: h.Log, Keep: h.Keep, Tables: h.Tables}).Run(ctx)
	if err != nil {
		return err
	}
	comp, err := (&lake.Compactor{Store: h.Store, Log: h.Log, Settle: h.Settle, Grace: h.Grace, Partitions: h.Partitions, Tables: h.Tables}).Run(ctx)
	if err != nil {
		return err
	}
	jan, err := (&lake.Janitor{Store: h.Store, Log: h.Log, Grace: h.JanitorGrace}).Run(ctx)
	if err != nil {
		return err
	}
	h.Log.Info("lake compacted",
		"expired_partitions", ret.Partitions, "merged_partitions", comp.Partitions, "files_replaced", comp.FilesReplaced,
		"rows_in", comp.RowsIn, "rows_out", comp.RowsOut, "objects_deleted", comp.ObjectsDeleted, "orphans_removed", jan.Orphans)
	return nil
}

// run runs the housekeeping every h.Every until ctx ends.
func (h *housekeeping) run(ctx context.Context) error {
	t := time.NewTicker(h.Every)
	defer t.Stop()
	return h.on(ctx, t.C)
}

// on runs the housekeeping at each tick until ctx ends. A failed run is
// logged and tried again at the next tick: the lake stays readable, only
// larger than it needs to be.
func (h *housekeeping) on(ctx context.Context, ticks <-chan time.Time) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
		}
		if err := h.once(ctx); err != nil && ctx.Err() == nil {
			h.Log.Warn("lake housekeeping failed; trying again at the next tick", "err", err)
		}
	}
}
