package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

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
	_, eng, err := openLakeEngine(ctx, g, c.LakeFlags, log)
	if err != nil {
		return err
	}
	defer eng.Close()
	out, err := ml.Predict(ctx, eng, market.NYSE(), ml.Request{Symbol: c.Symbol, Horizon: c.Horizon, Level: c.Level, Backtest: c.Backtest})
	if err != nil {
		return err
	}
	if out.BacktestErr != nil {
		log.Warn("backtest skipped", "err", out.BacktestErr)
	}
	if c.Format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tlast %.2f\tannualised vol %.1f%%\n", out.Symbol, out.Last, 100*out.AnnualVol)
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
