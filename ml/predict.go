package ml

import (
	"context"
	"fmt"
	"time"

	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// Lake runs SQL over the lake's views; *query.Engine is one.
type Lake interface {
	Query(ctx context.Context, q string, limit int, args ...any) (*query.Result, error)
}

// Request asks for one symbol's forecast.
type Request struct {
	Symbol   string  // any spelling
	Horizon  int     // sessions to forecast, 1 to 60
	Level    float64 // two-sided coverage of the bands
	Backtest int     // rolling-origin backtest over this many past sessions (0: none)
}

// Prediction is a symbol's forecast from its daily closes in the lake.
type Prediction struct {
	Symbol    string    `json:"symbol"`
	Last      float64   `json:"last"`
	AnnualVol float64   `json:"annual_vol"`
	Forecast  []Point   `json:"forecast"`
	Backtest  *Backtest `json:"backtest,omitempty"`
	// BacktestErr says why the backtest was skipped (too few closes).
	BacktestErr error `json:"-"`
}

// Predict reads the symbol's daily closes from the lake, fits the model
// and forecasts the next Horizon sessions of cal.
func Predict(ctx context.Context, lake Lake, cal *market.Calendar, req Request) (Prediction, error) {
	if req.Horizon < 1 || req.Horizon > 60 {
		return Prediction{}, fmt.Errorf("horizon %d: want 1 to 60 sessions", req.Horizon)
	}
	sym := market.CanonicalSymbol(req.Symbol)
	res, err := lake.Query(ctx, "SELECT date, close FROM "+market.DailyBars.Name+" WHERE symbol = ? ORDER BY date", 0, sym)
	if err != nil {
		return Prediction{}, fmt.Errorf("read %s closes: %w", sym, err)
	}
	if len(res.Rows) == 0 {
		return Prediction{}, fmt.Errorf("no daily bars of %s in the lake", sym)
	}
	closes := make([]float64, len(res.Rows))
	for i, r := range res.Rows {
		c, ok := r[1].(float64)
		if !ok {
			return Prediction{}, fmt.Errorf("%s: close of row %d is %T, want a number", sym, i, r[1])
		}
		closes[i] = c
	}
	last, ok := res.Rows[len(res.Rows)-1][0].(time.Time)
	if !ok {
		return Prediction{}, fmt.Errorf("%s: newest date is %T, want a date", sym, res.Rows[len(res.Rows)-1][0])
	}
	model := Model{Level: req.Level}
	fit, err := model.Fit(closes)
	if err != nil {
		return Prediction{}, fmt.Errorf("%s: %w", sym, err)
	}
	dates := make([]time.Time, req.Horizon)
	for i := range dates {
		last = cal.NextTradingDay(last)
		dates[i] = last
	}
	out := Prediction{Symbol: sym, Last: fit.Last, AnnualVol: fit.AnnualVol, Forecast: fit.Forecast(dates)}
	if req.Backtest > 0 {
		if bt, err := model.Evaluate(closes, req.Backtest, req.Horizon); err == nil {
			out.Backtest = &bt
		} else {
			out.BacktestErr = err
		}
	}
	return out, nil
}
