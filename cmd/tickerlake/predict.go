package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/ml"
)

// PredictCmd forecasts closes from the lake's daily bars.
type PredictCmd struct {
	LakeFlags
	Symbol   string  `arg:"" help:"Ticker symbol, any spelling."`
	Horizon  int     `name:"horizon" default:"5" help:"Sessions to forecast."`
	Level    float64 `name:"level" default:"0.9" help:"Two-sided coverage of the bands."`
	Backtest int     `name:"backtest" default:"120" help:"Rolling-origin backtest over this many past sessions (0: none)."`
	Format   string  `name:"format" enum:"table,json" default:"table" help:"Output format."`
}

// Run implements the command.
func (c *PredictCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	if c.Horizon < 1 || c.Horizon > 60 {
		return fmt.Errorf("--horizon %d: want 1 to 60 sessions", c.Horizon)
	}
	sym := market.CanonicalSymbol(c.Symbol)
	_, eng, err := openLakeEngine(ctx, g, c.LakeFlags, log)
	if err != nil {
		return err
	}
	defer eng.Close()
	res, err := eng.Query(ctx, "SELECT date, close FROM daily_bars WHERE symbol = ? ORDER BY date", 0, sym)
	if err != nil {
		return fmt.Errorf("read %s closes: %w", sym, err)
	}
	if len(res.Rows) == 0 {
		return fmt.Errorf("no daily bars of %s in the lake", sym)
	}
	closes := make([]float64, len(res.Rows))
	for i, r := range res.Rows {
		closes[i] = r[1].(float64)
	}
	last := res.Rows[len(res.Rows)-1][0].(time.Time)
	model := ml.Model{Level: c.Level}
	fit, err := model.Fit(closes)
	if err != nil {
		return fmt.Errorf("%s: %w", sym, err)
	}
	cal := market.NYSE()
	dates := make([]time.Time, c.Horizon)
	for i := range dates {
		last = cal.NextTradingDay(last)
		dates[i] = last
	}
	out := struct {
		Symbol    string       `json:"symbol"`
		Last      float64      `json:"last"`
		AnnualVol float64      `json:"annual_vol"`
		Forecast  []ml.Point   `json:"forecast"`
		Backtest  *ml.Backtest `json:"backtest,omitempty"`
	}{Symbol: sym, Last: fit.Last, AnnualVol: fit.AnnualVol, Forecast: fit.Forecast(dates)}
	if c.Backtest > 0 {
		if bt, err := model.Evaluate(closes, c.Backtest, c.Horizon); err == nil {
			out.Backtest = &bt
		} else {
			log.Warn("backtest skipped", "err", err)
		}
	}
	if c.Format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tlast %.2f\tannualised vol %.1f%%\n", sym, out.Last, 100*out.AnnualVol)
	fmt.Fprintln(tw, "date\tmedian\tlower\tupper")
	for _, p := range out.Forecast {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\n", p.Date.Format("2006-01-02"), p.Median, p.Lower, p.Upper)
	}
	if b := out.Backtest; b != nil {
		fmt.Fprintf(tw, "backtest\t%d origins at %d sessions: band held %.1f%%, MAPE %.2f%% (naive %.2f%%)\n",
			b.Origins, b.Horizon, 100*b.Coverage, 100*b.MAPE, 100*b.NaiveMAPE)
	}
	return tw.Flush()
}
