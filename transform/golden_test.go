package transform

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/quant"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the current output")

// goldenCase is one testdata/golden/<name>.in.json: raw messages of one
// topic, cleaned in order by one Cleaner (so a later message may draw on the
// symbol means of earlier ones).
type goldenCase struct {
	Topic     string             `json:"topic"`
	Now       time.Time          `json:"now"`
	Curve     string             `json:"curve,omitempty"`
	Dividends map[string]float64 `json:"dividends,omitempty"`
	European  bool               `json:"european,omitempty"`
	Messages  []struct {
		Note     string          `json:"note"`
		Snapshot string          `json:"snapshot,omitempty"`
		Value    json.RawMessage `json:"value,omitempty"`
		Text     *string         `json:"text,omitempty"` // a payload that is not JSON
	} `json:"messages"`
}

// TestGolden cleans dirty input and compares the cleaned rows, the IV smiles
// and the dead letters with the golden files. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	ins, err := filepath.Glob(filepath.Join("testdata", "golden", "*.in.json"))
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var gc goldenCase
			if err := json.Unmarshal(raw, &gc); err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			got := runGolden(t, gc)
			path := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./transform -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the cleaner's output:\n%s", path, lineDiff(string(want), string(got)))
			}
		})
	}
}

func runGolden(t *testing.T, gc goldenCase) []byte {
	c := &Cleaner{Calendar: market.NYSE(), Clock: clock.NewManual(gc.Now), Dividends: gc.Dividends, EuropeanIV: gc.European}
	if gc.Curve != "" {
		curve, err := quant.ParseCurve(gc.Curve)
		if err != nil {
			t.Fatal(err)
		}
		c.Curve = curve
	}
	var b bytes.Buffer
	for i, m := range gc.Messages {
		var value []byte
		if len(m.Value) > 0 {
			var buf bytes.Buffer
			if err := json.Compact(&buf, m.Value); err != nil {
				t.Fatal(err)
			}
			value = buf.Bytes()
		}
		if m.Text != nil {
			value = []byte(*m.Text)
		}
		res, err := c.Clean(gc.Topic, value, m.Snapshot)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		fmt.Fprintf(&b, "## message %d: %s\n", i, m.Note)
		if res.Dataset != nil {
			fmt.Fprintf(&b, "# %s: %d rows\n", res.Dataset.Name, res.N)
			writeRows(&b, res.Dataset, res.Rows)
		}
		if len(res.Smiles) > 0 {
			fmt.Fprintf(&b, "# %s: %d rows\n", market.IVSmiles.Name, len(res.Smiles))
			writeRows(&b, market.IVSmiles, res.Smiles)
		}
		fmt.Fprintf(&b, "# dead letters: %d\n", len(res.Rejects))
		for _, r := range res.Rejects {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", r.Reason, r.Symbol, r.Detail, r.Payload)
		}
		rep := res.Report
		fmt.Fprintf(&b, "# report: gap_bars=%d deduplicated=%d unsolved=%d", rep.GapBars, rep.Deduplicated, rep.Unsolved)
		for f, n := range rep.Filled {
			fmt.Fprintf(&b, " %s=%d", Fill(f), n)
		}
		b.WriteString("\n\n")
	}
	return b.Bytes()
}

// writeRows prints rows as a header line and tab-separated values, floats to
// seven significant digits (solvers agree to PriceTol, not to the last bit)
// and NULLs as "NULL".
func writeRows(b *bytes.Buffer, ds *market.Dataset, rows any) {
	names := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		names[i] = c.Name
	}
	b.WriteString(strings.Join(names, "\t") + "\n")
	v := reflect.ValueOf(rows)
	for i := 0; i < v.Len(); i++ {
		cells := make([]string, len(ds.Columns))
		for j, c := range ds.Columns {
			if c.Name == "ingested_at" {
				cells[j] = "-" // the injected clock; not worth a column of noise
				continue
			}
			cells[j] = cell(c, v.Index(i).Field(c.Field))
		}
		b.WriteString(strings.Join(cells, "\t") + "\n")
	}
}

func cell(c market.Column, f reflect.Value) string {
	switch x := f.Interface().(type) {
	case float64:
		if math.IsNaN(x) {
			return "NULL"
		}
		return strconv.FormatFloat(x, 'g', 7, 64)
	case time.Time:
		switch {
		case x.IsZero() && c.Nullable:
			return "NULL"
		case c.Type == market.Date:
			return x.Format("2006-01-02")
		}
		return x.UTC().Format(time.RFC3339)
	case string:
		if strings.HasPrefix(x, "[") {
			return roundJSON(x)
		}
		return x
	}
	return fmt.Sprint(f.Interface())
}

// roundJSON rewrites the numbers of a JSON document to seven significant digits.
func roundJSON(s string) string {
	var v any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return s
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = walk(x[k])
			}
		case json.Number:
			f, err := x.Float64()
			if err == nil {
				return json.Number(strconv.FormatFloat(f, 'g', 7, 64))
			}
		}
		return v
	}
	out, err := json.Marshal(walk(v))
	if err != nil {
		return s
	}
	return string(out)
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
