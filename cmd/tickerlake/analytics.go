package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/quant"
	"github.com/tickerlake/tickerlake/transform"
)

// AnalyticsFlags configure the processor's option analytics.
type AnalyticsFlags struct {
	RiskFreeCurve  string `name:"risk-free-curve" env:"TICKERLAKE_RISK_FREE_CURVE" default:"0.04" help:"Risk-free zero curve, continuously compounded: tenor(years):rate pairs such as 0.083:0.043,0.25:0.042,1:0.04, or one rate for a flat curve."`
	OptionStyle    string `name:"option-style" env:"TICKERLAKE_OPTION_STYLE" enum:"american,european" default:"american" help:"Exercise style the processor inverts option quotes with: american (the exact exercise-boundary engine, right for U.S. equity options) or european (Black-Scholes-Merton, some 20 times cheaper)."`
	DividendYields string `name:"dividend-yields" env:"TICKERLAKE_DIVIDEND_YIELDS" help:"Continuous dividend yields by symbol: AAPL=0.005,MSFT=0.007, or @path to a file with one SYMBOL,yield a line. Symbols not listed have none."`
}

// cleaner builds the processor's Cleaner with the configured curve and yields.
func (f AnalyticsFlags) cleaner() (*transform.Cleaner, error) {
	curve, err := quant.ParseCurve(f.RiskFreeCurve)
	if err != nil {
		return nil, fmt.Errorf("--risk-free-curve: %w", err)
	}
	var divs map[string]float64
	if s := strings.TrimSpace(f.DividendYields); s != "" {
		var text *strings.Reader
		if path, ok := strings.CutPrefix(s, "@"); ok {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("--dividend-yields: %w", err)
			}
			text = strings.NewReader(string(b))
		} else {
			text = strings.NewReader(s)
		}
		if divs, err = transform.ParseDividendYields(text); err != nil {
			return nil, fmt.Errorf("--dividend-yields: %w", err)
		}
	}
	return &transform.Cleaner{Calendar: market.NYSE(), Clock: clock.System{}, Curve: curve, Dividends: divs,
		EuropeanIV: f.OptionStyle == "european"}, nil
}
