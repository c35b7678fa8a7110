package main

import (
	"io"
	"os"

	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/quant"
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

// print writes the inputs and then the results, in that order, as a table
// or one JSON object.
func (f OptionFlags) print(w io.Writer, p quant.Params, style quant.Style, results ...query.Field) error {
	fields := append([]query.Field{
		{Name: "type", Value: p.Kind.String()}, {Name: "style", Value: style.String()}, {Name: "spot", Value: p.Spot},
		{Name: "strike", Value: p.Strike}, {Name: "rate", Value: p.Rate}, {Name: "div", Value: p.Div}, {Name: "time", Value: p.Time},
	}, results...)
	return query.WriteRecord(w, f.Format, fields)
}

// QuantPriceCmd prices an option.
type QuantPriceCmd struct {
	OptionFlags
	Vol float64 `name:"vol" required:"" help:"Volatility, annualised (0.2 = 20%)."`
}

// Run implements the command.
func (c *QuantPriceCmd) Run() error { return c.write(os.Stdout) }

func (c *QuantPriceCmd) write(w io.Writer) error {
	p, style, err := c.params(c.Vol)
	if err != nil {
		return err
	}
	return c.print(w, p, style, query.Field{Name: "vol", Value: p.Vol}, query.Field{Name: "price", Value: quant.PriceStyle(p, style)})
}

// QuantGreeksCmd prices an option with its Greeks.
type QuantGreeksCmd struct {
	OptionFlags
	Vol float64 `name:"vol" required:"" help:"Volatility, annualised (0.2 = 20%)."`
}

// Run implements the command.
func (c *QuantGreeksCmd) Run() error { return c.write(os.Stdout) }

func (c *QuantGreeksCmd) write(w io.Writer) error {
	p, style, err := c.params(c.Vol)
	if err != nil {
		return err
	}
	g := quant.GreeksStyle(p, style)
	return c.print(w, p, style, query.Field{Name: "vol", Value: p.Vol}, query.Field{Name: "price", Value: g.Price}, query.Field{Name: "delta", Value: g.Delta}, query.Field{Name: "gamma", Value: g.Gamma},
		query.Field{Name: "theta_year", Value: g.ThetaYear}, query.Field{Name: "theta_day", Value: g.ThetaDay}, query.Field{Name: "vega", Value: g.Vega}, query.Field{Name: "rho", Value: g.Rho})
}

// QuantIVCmd solves for implied volatility.
type QuantIVCmd struct {
	OptionFlags
	Price float64 `name:"price" required:"" help:"Option price to invert."`
}

// Run implements the command.
func (c *QuantIVCmd) Run() error { return c.write(os.Stdout) }

func (c *QuantIVCmd) write(w io.Writer) error {
	p, style, err := c.params(0)
	if err != nil {
		return err
	}
	iv, err := quant.ImpliedVolStyle(p, c.Price, style)
	if err != nil {
		return err
	}
	return c.print(w, p, style, query.Field{Name: "price", Value: c.Price}, query.Field{Name: "iv", Value: iv})
}
