package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/tickerlake/tickerlake/quant"
)

// runQuant parses args as the binary does and runs the selected quant
// command, writing to a buffer.
func runQuant(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var cli CLI
	parser, err := kong.New(&cli, kong.Name("tickerlake"), kong.Exit(func(int) { t.Fatalf("kong exited on %v", args) }))
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	var w interface{ write(io.Writer) error }
	switch kctx.Command() {
	case "quant price":
		w = &cli.Quant.Price
	case "quant greeks":
		w = &cli.Quant.Greeks
	case "quant iv":
		w = &cli.Quant.IV
	default:
		t.Fatalf("command %q", kctx.Command())
	}
	err = w.write(&out)
	return out.String(), err
}

// TestQuantCommandHull runs the calculator on the textbook cases of Hull,
// "Options, Futures, and Other Derivatives": examples 15.6 and 19.1 and
// problem 15.13, to four decimals.
func TestQuantCommandHull(t *testing.T) {
	cases := []struct {
		name string
		args string
		want map[string]float64
	}{
		{"call 15.6", "quant price --type call --spot 42 --strike 40 --rate 0.1 --vol 0.2 --time 0.5 --format json",
			map[string]float64{"price": 4.7594}},
		{"put 15.6", "quant price --type put --spot 42 --strike 40 --rate 0.1 --div 0 --vol 0.2 --time 0.5 --style european --format json",
			map[string]float64{"price": 0.8086}},
		{"call 15.13", "quant price --type call --spot 60 --strike 65 --rate 0.08 --vol 0.3 --time 0.25 --format json",
			map[string]float64{"price": 2.1334}},
		// Example 19.1: delta 0.522, gamma 0.066, theta -4.31 a year, vega
		// 12.1 and rho 8.91 per unit, so 0.121 and 0.0891 per point.
		{"greeks 19.1", "quant greeks --type call --spot 49 --strike 50 --rate 0.05 --vol 0.2 --time 0.3846 --format json",
			map[string]float64{"price": 2.4005, "delta": 0.5216, "gamma": 0.0655, "theta_year": -4.3053, "vega": 0.1210, "rho": 0.0891}},
		{"iv of the 15.6 put", "quant iv --type put --spot 42 --strike 40 --rate 0.1 --time 0.5 --price 0.8086 --format json",
			map[string]float64{"iv": 0.2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runQuant(t, strings.Fields(tc.args)...)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			for k, want := range tc.want {
				v, ok := got[k].(float64)
				if !ok || math.Abs(v-want) > 1e-4 {
					t.Errorf("%s = %v, want %.4f", k, got[k], want)
				}
			}
		})
	}
}

// TestQuantCommandJSON checks the example prints one object with the
// inputs first and then every Greek, in that order, and that theta per day is
// theta per year over 365.
func TestQuantCommandJSON(t *testing.T) {
	out, err := runQuant(t, strings.Fields("quant greeks --type put --spot 42 --strike 40 --rate 0.1 --div 0 --vol 0.2 --time 0.5 --style european --format json")...)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("want an object, got %v %v\n%s", tok, err, out)
	}
	var keys []string
	vals := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		vals[tok.(string)] = v
	}
	want := "type style spot strike rate div time vol price delta gamma theta_year theta_day vega rho"
	if got := strings.Join(keys, " "); got != want {
		t.Fatalf("keys %q, want %q", got, want)
	}
	if vals["type"] != "put" || vals["style"] != "european" {
		t.Errorf("type %v style %v", vals["type"], vals["style"])
	}
	g := quant.BSMGreeks(quant.Params{Kind: quant.Put, Spot: 42, Strike: 40, Rate: 0.1, Vol: 0.2, Time: 0.5})
	for k, w := range map[string]float64{"price": 0.8086, "delta": g.Delta, "theta_day": vals["theta_year"].(float64) / 365} {
		if v := vals[k].(float64); math.Abs(v-w) > 1e-4 {
			t.Errorf("%s = %v, want %.6f", k, v, w)
		}
	}
}

// TestQuantCommandAmerican checks the American style is at least the
// European price, and the table format names every value.
func TestQuantCommandAmerican(t *testing.T) {
	base := "quant price --type put --spot 42 --strike 40 --rate 0.1 --vol 0.2 --time 0.5 --format json --style "
	price := func(style string) float64 {
		out, err := runQuant(t, strings.Fields(base+style)...)
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ Price float64 }
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		return v.Price
	}
	eu, am := price("european"), price("american")
	if !(am > eu) {
		t.Errorf("american put %v, european %v: early exercise at r = 10%% is worth something", am, eu)
	}
	out, err := runQuant(t, strings.Fields("quant greeks --spot 100 --strike 100 --vol 0.25 --time 1 --style american")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"type", "style", "price", "delta", "gamma", "theta_day", "vega", "rho"} {
		if !strings.Contains(out, "\n"+name+" ") && !strings.HasPrefix(out, name+" ") {
			t.Errorf("table lacks %s:\n%s", name, out)
		}
	}
}

// TestQuantCommandErrors checks bad input is refused with a reason, and a
// price outside the no-arbitrage bounds gives "no solution", not a number.
func TestQuantCommandErrors(t *testing.T) {
	cases := []struct {
		name, args string
		is         error
		contains   string
	}{
		{"below intrinsic", "quant iv --type call --spot 42 --strike 40 --rate 0.1 --time 0.5 --price 1", quant.ErrNoSolution, ""},
		{"above the spot", "quant iv --type call --spot 42 --strike 40 --time 0.5 --price 43", quant.ErrNoSolution, ""},
		{"negative spot", "quant price --spot -1 --strike 40 --vol 0.2 --time 0.5", nil, "spot"},
		{"bad type", "quant price --type straddle --spot 1 --strike 1 --vol 0.2 --time 1", nil, "type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runQuant(t, strings.Fields(tc.args)...)
			if err == nil {
				t.Fatalf("no error; printed %q", out)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %v does not mention %q", err, tc.contains)
			}
		})
	}
}
