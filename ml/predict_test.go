package ml

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

type fakeLake struct{ rows [][]any }

func (f fakeLake) Query(_ context.Context, q string, _ int, args ...any) (*query.Result, error) {
	if !strings.Contains(q, "daily_bars") || len(args) != 1 || args[0] != "MSFT" {
		return &query.Result{}, nil
	}
	return &query.Result{Columns: []string{"date", "close"}, Rows: f.rows}, nil
}

func TestPredict(t *testing.T) {
	cal := market.NYSE()
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	var rows [][]any
	for i := 0; i < 300; i++ {
		rows = append(rows, []any{day, 100 * math.Exp(0.001*float64(i)+0.01*math.Sin(float64(i)))})
		day = cal.NextTradingDay(day)
	}
	lake := fakeLake{rows: rows}
	p, err := Predict(context.Background(), lake, cal, Request{Symbol: "msft", Horizon: 5, Level: 0.9, Backtest: 60})
	if err != nil {
		t.Fatal(err)
	}
	if p.Symbol != "MSFT" || len(p.Forecast) != 5 || p.Backtest == nil || p.BacktestErr != nil {
		t.Fatalf("prediction = %+v", p)
	}
	last := rows[len(rows)-1][0].(time.Time)
	if want := cal.NextTradingDay(last); !p.Forecast[0].Date.Equal(want) {
		t.Errorf("first forecast date %s, want %s", p.Forecast[0].Date, want)
	}
	for name, req := range map[string]Request{
		"unknown symbol": {Symbol: "ZZZZ", Horizon: 5, Level: 0.9},
		"horizon":        {Symbol: "MSFT", Horizon: 0, Level: 0.9},
	} {
		if _, err := Predict(context.Background(), lake, cal, req); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
