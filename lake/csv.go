package lake

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tickerlake/tickerlake/market"
)

// encodeCSV writes record batches as CSV with a header, exactly as
// arrow-go's csv.Writer (nulls empty) writes them, which it replaces for
// speed: formatting times dominated a commit, and in market data the same
// instant repeats down a column (snapshot_ts, ingested_at), so each column
// reuses the text of the value above it.
func encodeCSV(ds *market.Dataset, recs []arrow.RecordBatch) ([]byte, error) {
	schema := ds.ArrowSchema()
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	header := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		header[i] = f.Name
	}
	if err := cw.Write(header); err != nil {
		return nil, fmt.Errorf("csv %s: %w", ds.Name, err)
	}
	for _, rec := range recs {
		cols := make([][]string, rec.NumCols())
		for j, col := range rec.Columns() {
			text, err := columnText(col)
			if err != nil {
				return nil, fmt.Errorf("csv %s: column %s: %w", ds.Name, schema.Field(j).Name, err)
			}
			cols[j] = text
		}
		row := make([]string, len(cols))
		for i := 0; i < int(rec.NumRows()); i++ {
			for j := range cols {
				row[j] = cols[j][i]
			}
			if err := cw.Write(row); err != nil {
				return nil, fmt.Errorf("csv %s: %w", ds.Name, err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("csv %s: %w", ds.Name, err)
	}
	return buf.Bytes(), nil
}

// columnText renders one column's values; nulls are empty.
func columnText(col arrow.Array) ([]string, error) {
	out := make([]string, col.Len())
	switch a := col.(type) {
	case *array.String:
		for i := range out {
			if a.IsValid(i) {
				out[i] = a.Value(i)
			}
		}
	case *array.Float64:
		for i := range out {
			if a.IsValid(i) {
				out[i] = strconv.FormatFloat(a.Value(i), 'g', -1, 64)
			}
		}
	case *array.Int64:
		for i := range out {
			if a.IsValid(i) {
				out[i] = strconv.FormatInt(a.Value(i), 10)
			}
		}
	case *array.Boolean:
		for i := range out {
			if a.IsValid(i) {
				out[i] = strconv.FormatBool(a.Value(i))
			}
		}
	case *array.Date32:
		var last arrow.Date32
		for i := range out {
			if !a.IsValid(i) {
				continue
			}
			if v := a.Value(i); i > 0 && v == last && out[i-1] != "" {
				out[i] = out[i-1]
			} else {
				out[i], last = v.FormattedString(), v
			}
		}
	case *array.Timestamp:
		typ := a.DataType().(*arrow.TimestampType)
		toTime, err := typ.GetToTimeFunc()
		if err != nil {
			return nil, err
		}
		layout := "2006-01-02 15:04:05.999999999"
		if typ.TimeZone != "" {
			layout += "Z07:00"
		}
		var last arrow.Timestamp
		for i := range out {
			if !a.IsValid(i) {
				continue
			}
			v := a.Value(i)
			if i > 0 && v == last && out[i-1] != "" {
				out[i] = out[i-1]
				continue
			}
			last = v
			t := toTime(v)
			if t.Year() < 0 || t.Year() > 9999 {
				out[i] = strconv.FormatInt(int64(v), 10)
				continue
			}
			l := layout
			if _, offset := t.Zone(); typ.TimeZone != "" && offset%60 != 0 {
				l += ":00"
			}
			out[i] = t.Format(l)
		}
	default:
		return nil, fmt.Errorf("no CSV text for %s", col.DataType())
	}
	return out, nil
}
