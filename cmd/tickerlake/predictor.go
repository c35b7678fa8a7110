package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/predict"
	"github.com/tickerlake/tickerlake/serve"
)

// PredictFlags configure the prediction service.
type PredictFlags struct {
	ModelPoll time.Duration `name:"model-poll" env:"TICKERLAKE_MODEL_POLL" default:"10s" help:"How often the predictor looks for a newly committed model version in the lake."`
}

// service builds the prediction service over the lake.
func (f PredictFlags) service(lk predict.Lake, store lake.Store, log *slog.Logger) *predict.Service {
	return &predict.Service{Lake: lk, Registry: &predict.Registry{Store: store}, Log: log.With("role", "predictor"), Poll: f.ModelPoll}
}

// mountPredictor puts the prediction routes on srv, behind its admin keys,
// and the service's collectors in m.
func mountPredictor(srv *serve.Server, svc *predict.Service, m *metrics.Set) error {
	srv.Mount = append(srv.Mount, func(api huma.API) { svc.Routes(api, serve.AdminOnly()) })
	srv.Ready = append(srv.Ready, serve.ReadyCheck{Name: "models", Check: svc.Ready})
	return svc.Register(m.Registry)
}

// PredictorCmd serves forecasts and fine-tunes.
type PredictorCmd struct {
	LakeFlags
	OpsFlags
	PredictFlags
	HTTPAddr string       `name:"http-addr" env:"TICKERLAKE_HTTP_ADDR" default:":8007" help:"Address the predictor listens on."`
	API      serve.Config `embed:""`
}

// Run implements the command.
func (c *PredictorCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	store, eng, err := openLakeEngine(ctx, g, c.LakeFlags, log)
	if err != nil {
		return err
	}
	defer eng.Close()
	m := metrics.New()
	svc := c.service(eng, store, log)
	srv := serve.New(eng, store, c.API, log.With("role", "predictor"), m)
	srv.Web, srv.MountOnly = nil, true
	if err := mountPredictor(srv, svc, m); err != nil {
		return err
	}
	stop, err := serveOps(ctx, log, c.OpsFlags, srv.Readiness(), m)
	if err != nil {
		return err
	}
	defer stop()
	go func() { _ = svc.Run(ctx) }()
	return srv.ListenAndServe(ctx, c.HTTPAddr)
}

// FineTuneCmd trains every model on the lake's data and commits a version,
// as the nightly CronJob does.
type FineTuneCmd struct {
	LakeFlags
	PredictFlags
	SessionDaysOnly bool   `name:"session-days-only" env:"TICKERLAKE_SESSION_DAYS_ONLY" help:"Do nothing (and succeed) unless the market had a session today in New York: a holiday brings no new data to train on."`
	At              string `name:"at" placeholder:"RFC3339" help:"Train as if run at this time (default now): only data the lake had by then is read."`
}

// Run implements the command.
func (c *FineTuneCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	cal := market.NYSE()
	var clk clock.Clock = clock.System{}
	if c.At != "" {
		at, err := time.Parse(time.RFC3339, c.At)
		if err != nil {
			return fmt.Errorf("--at %q: want RFC3339, e.g. 2027-03-01T18:15:00-05:00", c.At)
		}
		clk = clock.NewManual(at)
	}
	if today := market.DateOf(clk.Now()); c.SessionDaysOnly && !cal.IsTradingDay(today) {
		log.Info("fine-tune skipped: no session today", "date", today.Format(time.DateOnly))
		return nil
	}
	store, eng, err := openLakeEngine(ctx, g, c.LakeFlags, log)
	if err != nil {
		return err
	}
	defer eng.Close()
	svc := c.service(eng, store, log)
	svc.Clock = clk
	// The night's run is a job like one started over HTTP: it takes the
	// same lock, so the two never train at once, and the api's jobs route
	// reports it.
	job, err := svc.RunFineTune(ctx, func(f float64, msg string) { log.Info("fine-tune", "progress", f, "step", msg) })
	if errors.Is(err, predict.ErrBusy) && job != nil {
		log.Info("fine-tune skipped: another fine-tune runs", "job", job.ID, "started", job.Started)
		return nil
	}
	var short *predict.HistoryError
	if errors.As(err, &short) {
		// A young lake is not a failure of the night's job: the serving
		// version stays, and a later night trains.
		log.Info("fine-tune skipped", "reason", err)
		return nil
	}
	if err != nil {
		return err
	}
	log.Info("fine-tune committed", "job", job.ID, "version", job.Version, "result", job.Message)
	return nil
}
