package predict

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// PredictInput is GET /api/v1/predict/{symbol}.
type PredictInput struct {
	Symbol  string `path:"symbol" maxLength:"16" doc:"Ticker symbol, any spelling (brk-b, BRK.B)." example:"AAPL"`
	Horizon int    `query:"horizon" minimum:"1" maximum:"20" default:"5" doc:"Sessions ahead to forecast."`
}

// LegacyPredictInput is the original service's GET /predict?symbol=.
type LegacyPredictInput struct {
	Symbol  string `query:"symbol" required:"true" maxLength:"16" doc:"Ticker symbol." example:"AAPL"`
	Horizon int    `query:"horizon" minimum:"1" maximum:"20" default:"5" doc:"Sessions ahead to forecast."`
}

// ForecastOutput carries a Forecast.
type ForecastOutput struct{ Body *Forecast }

// ModelsOutput carries the models report.
type ModelsOutput struct{ Body *ModelsReport }

// JobOutput carries a job's state.
type JobOutput struct{ Body *Job }

// JobInput names a job.
type JobInput struct {
	ID string `path:"id" maxLength:"64" doc:"The job id from POST /api/v1/models/fine-tune."`
}

// Routes registers the predictor's operations on api; admin is the
// security requirement of admin-only operations (the api's admin key).
func (s *Service) Routes(api huma.API, admin []map[string][]string) {
	s.init()
	tags := []string{"predict"}
	huma.Register(api, huma.Operation{
		OperationID: "predict", Method: http.MethodGet, Path: "/api/v1/predict/{symbol}", Tags: tags,
		Summary: "Forecast a stock's volatility and price quantiles",
		Description: "Price quantiles (5, 25, 50, 75, 95 %) for each session ahead, derived from the serving model's volatility forecast " +
			"around an unchanged price (direction is not forecast), the annualised volatility per horizon, the ATM implied volatility " +
			"of the expirations around the horizon, the model version and the time of the newest data used.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *PredictInput) (*ForecastOutput, error) {
		return s.predictOp(ctx, in.Symbol, in.Horizon)
	})
	huma.Register(api, huma.Operation{
		OperationID: "predict-legacy", Method: http.MethodGet, Path: "/predict", Tags: []string{"legacy"},
		Summary: "Forecast (the original prediction service's route)", Description: "Same answer as GET /api/v1/predict/{symbol}.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *LegacyPredictInput) (*ForecastOutput, error) {
		return s.predictOp(ctx, in.Symbol, in.Horizon)
	})
	huma.Register(api, huma.Operation{
		OperationID: "list-models", Method: http.MethodGet, Path: "/api/v1/models", Tags: tags,
		Summary: "Model versions, their walk-forward metrics beside the baselines', and which serves",
	}, func(ctx context.Context, _ *struct{}) (*ModelsOutput, error) {
		r, err := s.Models(ctx)
		if err != nil {
			return nil, huma.Error503ServiceUnavailable("read model versions", err)
		}
		return &ModelsOutput{Body: r}, nil
	})
	fineTune := func(ctx context.Context, _ *struct{}) (*JobOutput, error) {
		j, err := s.StartFineTune(ctx)
		if errors.Is(err, ErrBusy) {
			if j == nil {
				return nil, huma.Error409Conflict("a fine-tune is already running")
			}
			return nil, huma.Error409Conflict("a fine-tune is already running: job " + j.ID)
		}
		if err != nil {
			return nil, huma.Error500InternalServerError("start fine-tune", err)
		}
		return &JobOutput{Body: j}, nil
	}
	huma.Register(api, huma.Operation{
		OperationID: "fine-tune", Method: http.MethodPost, Path: "/api/v1/models/fine-tune", Tags: tags, DefaultStatus: http.StatusAccepted,
		Summary:     "Train every model on the latest lake data (admin)",
		Description: "Answers 202 with a job id at once; GET /api/v1/models/jobs/{id} reports progress. A second request while one runs gets 409.",
		Security:    admin, Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict},
	}, fineTune)
	huma.Register(api, huma.Operation{
		OperationID: "fine-tune-legacy", Method: http.MethodPost, Path: "/fine_tune", Tags: []string{"legacy"}, DefaultStatus: http.StatusAccepted,
		Summary: "Start a fine-tune (the original prediction service's route, admin)", Description: "Same as POST /api/v1/models/fine-tune.",
		Security: admin, Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict},
	}, fineTune)
	huma.Register(api, huma.Operation{
		OperationID: "fine-tune-job", Method: http.MethodGet, Path: "/api/v1/models/jobs/{id}", Tags: tags,
		Summary: "A fine-tune job's progress and outcome", Errors: []int{http.StatusNotFound, http.StatusServiceUnavailable},
		Description: "Any predictor replica answers: job states are kept in the lake's store.",
	}, func(ctx context.Context, in *JobInput) (*JobOutput, error) {
		j, err := s.JobStatus(ctx, in.ID)
		if errors.Is(err, ErrNoJob) {
			return nil, huma.Error404NotFound(err.Error())
		}
		if err != nil {
			return nil, huma.Error503ServiceUnavailable("read the job", err)
		}
		return &JobOutput{Body: j}, nil
	})
}

func (s *Service) predictOp(ctx context.Context, sym string, horizon int) (*ForecastOutput, error) {
	f, err := s.Predict(ctx, sym, horizon)
	var he *HistoryError
	switch {
	case err == nil:
		return &ForecastOutput{Body: f}, nil
	case errors.Is(err, ErrUnknownSymbol):
		return nil, huma.Error404NotFound(err.Error())
	case errors.As(err, &he):
		return nil, huma.Error422UnprocessableEntity(err.Error())
	case ctx.Err() != nil:
		return nil, huma.Error503ServiceUnavailable("forecast interrupted", err)
	}
	return nil, huma.Error500InternalServerError("forecast "+sym, err)
}

// ModelsReport is the answer of /api/v1/models.
type ModelsReport struct {
	Serving ModelRef     `json:"serving"`
	Reason  string       `json:"reason"`
	Models  []ModelEntry `json:"models"`
}

// ModelEntry is one model of one version.
type ModelEntry struct {
	Name        string             `json:"name"`
	Version     string             `json:"version"`
	TrainedAt   string             `json:"trainedAt"`
	TrainFrom   string             `json:"trainFrom"`
	TrainTo     string             `json:"trainTo"`
	HeldOutFrom string             `json:"heldOutFrom"`
	HeldOutTo   string             `json:"heldOutTo"`
	Serving     bool               `json:"serving"`
	Candidate   bool               `json:"candidate"` // may serve; baselines are what it must beat
	Metrics     Metrics            `json:"metrics"`
	Baselines   map[string]Metrics `json:"baselines"`
}

// Models lists every committed version's models with their metrics.
func (s *Service) Models(ctx context.Context) (*ModelsReport, error) {
	s.init()
	s.mu.RLock()
	cur := s.meta
	s.mu.RUnlock()
	r := &ModelsReport{Serving: ModelRef{Name: cur.Serving, Version: cur.Version}, Reason: cur.Reason, Models: []ModelEntry{}}
	if s.Registry == nil {
		return r, nil
	}
	metas, err := s.Registry.Metas(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(metas) - 1; i >= 0; i-- {
		m := metas[i]
		base := map[string]Metrics{"ewma": m.Metrics[EWMA], "randomWalk": m.Metrics[RandomWalk], "impliedVol": m.Metrics[ImpliedVol]}
		for _, name := range append(append([]string{}, Candidates...), Baselines...) {
			met, ok := m.Metrics[name]
			if !ok {
				continue
			}
			r.Models = append(r.Models, ModelEntry{
				Name: name, Version: m.Version, TrainedAt: m.TrainedAt.Format("2006-01-02T15:04:05Z07:00"),
				TrainFrom: m.TrainFrom.Format("2006-01-02"), TrainTo: m.TrainTo.Format("2006-01-02"),
				HeldOutFrom: m.HeldOutFrom.Format("2006-01-02"), HeldOutTo: m.HeldOutTo.Format("2006-01-02"),
				Serving: m.Version == cur.Version && name == cur.Serving, Candidate: isCandidate(name), Metrics: met, Baselines: base,
			})
		}
	}
	return r, nil
}

func isCandidate(name string) bool {
	for _, c := range Candidates {
		if c == name {
			return true
		}
	}
	return false
}
