package lake

import (
	"context"
	"path"
	"strings"

	"github.com/tickerlake/tickerlake/market"
)

// The housekeeping's steps, the step label of its metrics.
const (
	StepRetention  = "retention"
	StepCompaction = "compaction"
	StepJanitor    = "janitor"
)

// zeroMetrics gives each step's run and deletion counters a series from
// the start, so dashboards and alerts over them have data before the
// first run.
func (h *Housekeeping) zeroMetrics() {
	if h.Metrics == nil {
		return
	}
	for _, step := range []string{StepRetention, StepCompaction, StepJanitor} {
		for _, outcome := range []string{"ok", "failed"} {
			h.Metrics.HousekeepingRuns.WithLabelValues(step, outcome)
		}
		h.Metrics.HousekeepingDeleted.WithLabelValues(step)
	}
}

// counted counts one run of a step that deleted objects, and returns its
// error. The objects are counted whatever the outcome: a step that failed
// or refused a dataset (ErrNotMigrated) may have deleted some of the
// others' first. A run cut short by ctx is not counted: it neither failed
// nor ran.
func (h *Housekeeping) counted(ctx context.Context, step string, deleted int, err error) error {
	if h.Metrics == nil {
		return err
	}
	h.Metrics.HousekeepingDeleted.WithLabelValues(step).Add(float64(deleted))
	if ctx.Err() != nil {
		return err
	}
	if err != nil {
		h.Metrics.HousekeepingRuns.WithLabelValues(step, "failed").Inc()
		return err
	}
	h.Metrics.HousekeepingRuns.WithLabelValues(step, "ok").Inc()
	h.Metrics.HousekeepingLastSuccess.WithLabelValues(step).SetToCurrentTime()
	return nil
}

// countObjects sets tickerlake_lake_objects from a listing of each
// dataset's data objects (not its table metadata or temporaries): one
// LIST per thousand objects on S3, once per housekeeping run.
func (h *Housekeeping) countObjects(ctx context.Context) error {
	if h.Metrics == nil {
		return nil
	}
	counts := map[[2]string]int{}
	for _, ds := range market.Datasets() {
		objs, err := h.Store.Objects(ctx, ds.Name+"/")
		if err != nil {
			return err
		}
		for _, o := range objs {
			base := path.Base(o.Key)
			if strings.HasPrefix(o.Key, ds.Name+"/"+MetadataDir+"/") || strings.HasPrefix(base, ".") {
				continue
			}
			if f := strings.TrimPrefix(path.Ext(base), "."); f != "" {
				counts[[2]string{ds.Name, f}]++
			}
		}
	}
	h.Metrics.LakeObjects.Reset()
	for k, n := range counts {
		h.Metrics.LakeObjects.WithLabelValues(k[0], k[1]).Set(float64(n))
	}
	return nil
}
