package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

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

// field is one named output value.
type field struct {
	name  string
	value any
}

// print writes the inputs and then the results: aligned name/value lines, or
// with --format json one JSON object whose keys keep that order.
func (f OptionFlags) print(w io.Writer, p quant.Params, style quant.Style, results ...field) error {
	fields := append([]field{
		{"type", p.Kind.String()}, {"style", style.String()}, {"spot", p.Spot}, {"strike", p.Strike},
		{"rate", p.Rate}, {"div", p.Div}, {"time", p.Time},
	}, results...)
	if f.Format == "json" {
		var b bytes.Buffer
		b.WriteString("{\n")
		for i, kv := range fields {
			k, _ := json.Marshal(kv.name)
			v, err := json.Marshal(kv.value)
			if err != nil {
				return fmt.Errorf("format %s: %w", kv.name, err)
			}
			sep := ","
			if i == len(fields)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  %s: %s%s\n", k, v, sep)
		}
		b.WriteString("}\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, kv := range fields {
		fmt.Fprintf(tw, "%s\t%v\n", kv.name, kv.value)
	}
	return tw.Flush()
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
	return c.print(w, p, style, field{"vol", p.Vol}, field{"price", quant.PriceStyle(p, style)})
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
	return c.print(w, p, style, field{"vol", p.Vol}, field{"price", g.Price}, field{"delta", g.Delta}, field{"gamma", g.Gamma},
		field{"theta_year", g.ThetaYear}, field{"theta_day", g.ThetaDay}, field{"vega", g.Vega}, field{"rho", g.Rho})
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
	return c.print(w, p, style, field{"price", c.Price}, field{"iv", iv})
}
