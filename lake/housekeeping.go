package lake

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/metrics"
)

// Housekeeping is the lake's upkeep: retention, compaction (with collection
// of what earlier runs replaced), then the janitor. `tickerlake compact`
// runs it once; `up` runs it on a timer, as the CronJob does in Kubernetes.
type Housekeeping struct {
	Store                       Store
	Log                         *slog.Logger
	Keep                        map[string]time.Duration // retention per dataset (ParseRetention)
	Settle, Grace, JanitorGrace time.Duration
	Partitions                  []string      // only these (default all)
	Every                       time.Duration // how often Run runs it
	Tables                      Tables        // the Iceberg tables to keep in step (nil: none)
	SnapshotKeep                time.Duration // how long table snapshots stay (Janitor.SnapshotKeep)
	Clock                       clock.Clock   // default the system clock
	// Metrics, when set, count each step's runs and deletions and the
	// lake's data objects (tickerlake_lake_housekeeping_*, _lake_objects).
	Metrics *metrics.Set

	migrated migrated // the janitor's check of each dataset, once per process
}

// Once runs retention, compaction and the janitor, in that order. A
// dataset not migrated (ErrNotMigrated) fails each step, which still does
// its work on the other datasets; Once then returns the refusal.
func (h *Housekeeping) Once(ctx context.Context) error {
	h.zeroMetrics()
	var refused refusals
	ret, err := (&Retention{Store: h.Store, Log: h.Log, Keep: h.Keep, Tables: h.Tables, Clock: h.Clock}).Run(ctx)
	if err := refused.add(h.counted(ctx, StepRetention, 0, err)); err != nil {
		return err
	}
	comp, err := (&Compactor{Store: h.Store, Log: h.Log, Settle: h.Settle, Grace: h.Grace, Partitions: h.Partitions, Tables: h.Tables, Clock: h.Clock}).Run(ctx)
	if err := refused.add(h.counted(ctx, StepCompaction, comp.ObjectsDeleted, err)); err != nil {
		return err
	}
	jan, err := (&Janitor{Store: h.Store, Log: h.Log, Grace: h.JanitorGrace, Clock: h.Clock, Tables: h.Tables, SnapshotKeep: h.SnapshotKeep,
		migrated: &h.migrated}).Run(ctx)
	if err := refused.add(h.counted(ctx, StepJanitor, jan.Orphans, err)); err != nil {
		return err
	}
	if err := h.countObjects(ctx); err != nil && ctx.Err() == nil {
		// Only the gauge goes stale: the lake itself is tidy.
		h.Log.Warn("count the lake's objects", "err", err)
	}
	h.Log.Info("lake compacted",
		"expired_partitions", ret.Partitions, "merged_partitions", comp.Partitions, "files_replaced", comp.FilesReplaced,
		"rows_in", comp.RowsIn, "rows_out", comp.RowsOut, "objects_deleted", comp.ObjectsDeleted, "orphans_removed", jan.Orphans, "snapshots_expired", jan.SnapshotsExpired)
	return errors.Join(refused...)
}

// refusals gathers the datasets the steps refused as not migrated, each
// once however many steps refused it.
type refusals []error

// add keeps the refusals of err and returns any other error in it.
func (r *refusals) add(err error) error {
	if err == nil {
		return nil
	}
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	for _, e := range parts {
		if !errors.Is(e, ErrNotMigrated) {
			return err
		}
	}
	for _, e := range parts {
		if !slices.ContainsFunc(*r, func(o error) bool { return o.Error() == e.Error() }) {
			*r = append(*r, e)
		}
	}
	return nil
}

// Run runs the housekeeping every h.Every until ctx ends.
func (h *Housekeeping) Run(ctx context.Context) error {
	t := time.NewTicker(h.Every)
	defer t.Stop()
	return h.On(ctx, t.C)
}

// On runs the housekeeping at each tick until ctx ends. A failed run is
// logged and tried again at the next tick: the lake stays readable, only
// larger than it needs to be.
func (h *Housekeeping) On(ctx context.Context, ticks <-chan time.Time) error {
	h.zeroMetrics()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
		}
		if err := h.Once(ctx); err != nil && ctx.Err() == nil {
			h.Log.Warn("lake housekeeping failed; trying again at the next tick", "err", err)
		}
	}
}
