package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tickerlake/tickerlake/export"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/ops"
)

// ExportCmd writes the dated CSV extracts (the export role; a CronJob runs
// it once, `--every` keeps it running).
type ExportCmd struct {
	LakeFlags
	OpsFlags
	Date        string        `name:"date" help:"Session date to export (YYYY-MM-DD); default the newest session in the lake."`
	HistoryDays int           `name:"history-days" env:"TICKERLAKE_EXPORT_HISTORY_DAYS" default:"365" help:"Days of daily bars in the history extract."`
	Every       time.Duration `name:"every" env:"TICKERLAKE_EXPORT_EVERY" default:"0s" help:"Export again at this interval until stopped; 0 exports once."`
}

// Run implements the command.
func (c *ExportCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	var day time.Time
	if c.Date != "" {
		d, err := time.Parse(time.DateOnly, c.Date)
		if err != nil {
			return fmt.Errorf("--date %q is not a date (YYYY-MM-DD)", c.Date)
		}
		day = d
	}
	store, eng, err := openLakeEngine(ctx, g, c.LakeFlags, log)
	if err != nil {
		return err
	}
	defer eng.Close()
	e := &export.Exporter{Engine: eng, Store: store, Log: log.With("role", "export"), HistoryDays: c.HistoryDays}
	once := func() error {
		d := day
		if d.IsZero() {
			if d, err = e.LatestSession(ctx); err != nil {
				return err
			}
		}
		_, err := e.Export(ctx, d)
		return err
	}
	if c.Every <= 0 {
		return once()
	}
	stop, err := serveOps(ctx, log, c.OpsFlags, &ops.Readiness{Checks: roleDeps{store: store}.checks(), Log: log}, metrics.New())
	if err != nil {
		return err
	}
	defer stop()
	t := time.NewTicker(c.Every)
	defer t.Stop()
	for {
		if err := once(); err != nil {
			// A failed run is retried on the next tick: the files are idempotent.
			log.Error("export", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
