package query

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats Write accepts.
var Formats = []string{"table", "csv", "json"}

// Write prints the result as an aligned table, CSV, or JSON (an array of
// objects keyed by column).
func (r *Result) Write(w io.Writer, format string) error {
	switch format {
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(r.Columns, "\t"))
		for _, row := range r.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = r.text(i, v)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "(%d rows)\n", len(r.Rows))
		return err
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(r.Columns); err != nil {
			return err
		}
		for _, row := range r.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = r.text(i, v)
			}
			if err := cw.Write(cells); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "json":
		out := make([]map[string]any, len(r.Rows))
		for i, row := range r.Rows {
			m := make(map[string]any, len(row))
			for j, v := range row {
				m[r.Columns[j]] = JSONValue(v)
			}
			out[i] = m
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// text renders column i's value, by the column's type where it is known:
// a timestamp at midnight is still a timestamp.
func (r *Result) text(i int, v any) string {
	if t, ok := v.(time.Time); ok && i < len(r.Types) {
		switch {
		case r.Types[i] == "DATE":
			return t.UTC().Format("2006-01-02")
		case strings.HasPrefix(r.Types[i], "TIMESTAMP"):
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	return Text(v)
}

// Text renders one value for tables and CSV; without a column type, a time
// at midnight UTC is taken for a date.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.UTC().Format("2006-01-02")
		}
		return x.UTC().Format(time.RFC3339)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []byte:
		return string(x)
	case *big.Int:
		return x.String()
	}
	return fmt.Sprint(v)
}

// JSONValue makes a value JSON-safe: NaN and infinities become null, big
// integers numbers.
func JSONValue(v any) any {
	switch x := v.(type) {
	case float64:
		if x != x || x > 1.7976931348623157e308 || x < -1.7976931348623157e308 {
			return nil
		}
	case *big.Int:
		return json.Number(x.String())
	case []byte:
		return string(x)
	}
	return v
}

// Field is one named value of a single record, such as a calculator's
// inputs and results.
type Field struct {
	Name  string
	Value any
}

// WriteRecord prints one record: aligned name/value lines ("table"), or one
// JSON object whose keys keep the fields' order ("json"), which a map would
// not.
func WriteRecord(w io.Writer, format string, fields []Field) error {
	switch format {
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range fields {
			fmt.Fprintf(tw, "%s\t%v\n", f.Name, f.Value)
		}
		return tw.Flush()
	case "json":
		var b strings.Builder
		b.WriteString("{\n")
		for i, f := range fields {
			k, _ := json.Marshal(f.Name)
			v, err := json.Marshal(f.Value)
			if err != nil {
				return fmt.Errorf("format %s: %w", f.Name, err)
			}
			sep := ","
			if i == len(fields)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  %s: %s%s\n", k, v, sep)
		}
		b.WriteString("}\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	return fmt.Errorf("unknown record format %q (want table or json)", format)
}
