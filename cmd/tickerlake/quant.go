package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/tickerlake/tickerlake/transform/quant"
)

// QuantCmd is the options calculator.
type QuantCmd struct {
	Price  QuantPriceCmd  `cmd:"" help:"Price an option."`
	Greeks QuantGreeksCmd `cmd:"" help:"Price and Greeks of an option."`
	IV     QuantIVCmd     `cmd:"" name:"iv" help:"Implied volatility from a price."`
}

// OptionFlags describe one option.
type OptionFlags struct {
	Type   string  `name:"type" enum:"call,put" default:"call" help:"call or put."`
	Spot   float64 `name:"spot" required:"" help:"Underlying price."`
	Strike float64 `name:"strike" required:"" help:"Strike price."`
	Rate   float64 `name:"rate" default:"0" help:"Risk-free rate, continuous (0.05 = 5%)."`
	Div    float64 `name:"div" default:"0" help:"Dividend yield, continuous."`
	Time   float64 `name:"time" required:"" help:"Time to expiry in years."`
	Style  string  `name:"style" enum:"european,american" default:"european" help:"Exercise style."`
	Format string  `name:"format" enum:"table,json" default:"table" help:"Output format."`
}

func (f OptionFlags) params(vol float64) (quant.Params, quant.Style, error) {
	kind, err := quant.ParseKind(f.Type)
	if err != nil {
		return quant.Params{}, 0, err
	}
	style, err := quant.ParseStyle(f.Style)
	if err != nil {
		return quant.Params{}, 0, err
	}
	p := quant.Params{Kind: kind, Spot: f.Spot, Strike: f.Strike, Rate: f.Rate, Div: f.Div, Vol: vol, Time: f.Time}
	return p, style, p.Validate()
}

func (f OptionFlags) print(fields [][2]any) error {
	if f.Format == "json" {
		m := map[string]any{}
		for _, kv := range fields {
			m[kv[0].(string)] = kv[1]
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	for _, kv := range fields {
		fmt.Fprintf(tw, "%s\t%v\n", kv[0], kv[1])
	}
	return tw.Flush()
}

// QuantPriceCmd prices an option.
type QuantPriceCmd struct {
	OptionFlags
	Vol float64 `name:"vol" required:"" help:"Volatility, annualised (0.2 = 20%)."`
}

// Run implements the command.
func (c *QuantPriceCmd) Run() error {
	p, style, err := c.params(c.Vol)
	if err != nil {
		return err
	}
	return c.print([][2]any{{"price", quant.PriceStyle(p, style)}})
}

// QuantGreeksCmd prices an option with its Greeks.
type QuantGreeksCmd struct {
	OptionFlags
	Vol float64 `name:"vol" required:"" help:"Volatility, annualised (0.2 = 20%)."`
}

// Run implements the command.
func (c *QuantGreeksCmd) Run() error {
	p, style, err := c.params(c.Vol)
	if err != nil {
		return err
	}
	g := quant.GreeksStyle(p, style)
	return c.print([][2]any{{"price", g.Price}, {"delta", g.Delta}, {"gamma", g.Gamma},
		{"theta_year", g.ThetaYear}, {"theta_day", g.ThetaDay}, {"vega", g.Vega}, {"rho", g.Rho}})
}

// QuantIVCmd solves for implied volatility.
type QuantIVCmd struct {
	OptionFlags
	Price float64 `name:"price" required:"" help:"Option price to invert."`
}

// Run implements the command.
func (c *QuantIVCmd) Run() error {
	p, style, err := c.params(0)
	if err != nil {
		return err
	}
	iv, err := quant.ImpliedVolStyle(p, c.Price, style)
	if err != nil {
		return err
	}
	return c.print([][2]any{{"iv", iv}})
}
