// Package export is the export role (the seed's file_writer_service): dated
// CSV extracts of the lake, in the original warehouse layouts, under
// stock_data/, options_data/ and real_time_15min_data/ in the lake's store.
//
// For a session date D an export writes
//
//	stock_data/D/StockData_D.csv                          the day's daily bars
//	stock_data/D/StockData_F_D.csv                        a year of daily bars, F = D - HistoryDays
//	real_time_15min_data/D/StockData15Min_D.csv           the day's 15-minute bars
//	options_data/D/call_options_D_exp_E.csv (put_options) the day's last snapshot of every contract expiring on E >= D
//
// Files are deterministic for a given lake, so a rerun leaves them as they
// are; a rerun after more data arrived replaces the ones that changed.
package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
)

// Exporter writes the CSV extracts.
type Exporter struct {
	Engine *query.Engine // reads the lake
	Store  lake.Store    // receives the extracts
	Log    *slog.Logger
	// HistoryDays is the span of the history extract (default 365).
	HistoryDays int
}

// File is one extract and what the run did with it.
type File struct {
	Key    string
	Rows   int
	Status string // "created", "unchanged" or "replaced"
}

// LatestSession is the newest session date with daily bars in the lake:
// the day an export without an explicit date covers.
func (e *Exporter) LatestSession(ctx context.Context) (time.Time, error) {
	res, err := e.Engine.Query(ctx, "SELECT max(date) FROM daily_bars", 0)
	if err != nil {
		return time.Time{}, fmt.Errorf("latest session: %w", err)
	}
	if len(res.Rows) == 0 || res.Rows[0][0] == nil {
		return time.Time{}, errors.New("latest session: the lake has no daily bars yet")
	}
	t, ok := res.Rows[0][0].(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("latest session: max(date) is %T", res.Rows[0][0])
	}
	return t.UTC(), nil
}

// Export writes the extracts of session date day (its year, month and day
// are read, as package market reads dates).
func (e *Exporter) Export(ctx context.Context, day time.Time) ([]File, error) {
	if e.HistoryDays == 0 {
		e.HistoryDays = 365
	}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC) // a calendar date, as in package market
	d := day.Format(time.DateOnly)
	from := day.AddDate(0, 0, -e.HistoryDays).Format(time.DateOnly)
	// The day's instants, in New York.
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, market.NewYork)
	end := start.AddDate(0, 0, 1)
	startS, endS := start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339)

	var files []File
	add := func(key string, t *sink.Table, where, order string, args ...any) error {
		f, err := e.extract(ctx, key, t, selectSQL(t, where, order), args...)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	}
	if err := add(path.Join("stock_data", d, "StockData_"+d+".csv"), sink.StockData,
		"date = CAST(? AS DATE)", "symbol", d); err != nil {
		return files, err
	}
	if err := add(path.Join("stock_data", d, "StockData_"+from+"_"+d+".csv"), sink.StockData,
		"date > CAST(? AS DATE) AND date <= CAST(? AS DATE)", "symbol, date", from, d); err != nil {
		return files, err
	}
	if err := add(path.Join("real_time_15min_data", d, "StockData15Min_"+d+".csv"), sink.StockData15Min,
		"ts >= CAST(? AS TIMESTAMPTZ) AND ts < CAST(? AS TIMESTAMPTZ)", "symbol, ts", startS, endS); err != nil {
		return files, err
	}
	opts, err := e.options(ctx, d, startS, endS)
	files = append(files, opts...)
	if err != nil {
		return files, err
	}
	var created, replaced int
	for _, f := range files {
		switch f.Status {
		case "created":
			created++
		case "replaced":
			replaced++
		}
	}
	e.Log.Info("export done", "day", d, "files", len(files), "created", created, "replaced", replaced)
	return files, nil
}

// options writes one file per option type and live expiration: the last
// snapshot of the day of each contract.
func (e *Exporter) options(ctx context.Context, d, startS, endS string) ([]File, error) {
	res, err := e.Engine.Query(ctx, `SELECT DISTINCT option_type, expiration FROM option_quotes
		WHERE snapshot_ts >= CAST(? AS TIMESTAMPTZ) AND snapshot_ts < CAST(? AS TIMESTAMPTZ) AND expiration >= CAST(? AS DATE)
		ORDER BY 1, 2`, 0, startS, endS, d)
	if err != nil {
		return nil, fmt.Errorf("list expirations: %w", err)
	}
	var files []File
	for _, r := range res.Rows {
		typ, _ := r[0].(string)
		exp, _ := r[1].(time.Time)
		t := sink.CallOptions
		if market.OptionType(typ) == market.Put {
			t = sink.PutOptions
		}
		ed := exp.UTC().Format(time.DateOnly)
		key := path.Join("options_data", d, fmt.Sprintf("%s_%s_exp_%s.csv", t.Name, d, ed))
		where := `option_type = ? AND expiration = CAST(? AS DATE)
			AND snapshot_ts >= CAST(? AS TIMESTAMPTZ) AND snapshot_ts < CAST(? AS TIMESTAMPTZ)
			QUALIFY row_number() OVER (PARTITION BY contract_symbol ORDER BY snapshot_ts DESC) = 1`
		f, err := e.extract(ctx, key, t, selectSQL(t, where, "symbol, strike, contract_symbol"), typ, ed, startS, endS)
		if err != nil {
			return files, err
		}
		files = append(files, f)
	}
	return files, nil
}

// selectSQL selects a table's layout from its dataset's view.
func selectSQL(t *sink.Table, where, order string) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = fmt.Sprintf(`%s AS "%s"`, c.Source.Name, c.Name)
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s", strings.Join(cols, ", "), t.Dataset.Name, where, order)
}

// extract runs a query and puts its CSV under key.
func (e *Exporter) extract(ctx context.Context, key string, t *sink.Table, q string, args ...any) (File, error) {
	res, err := e.Engine.Query(ctx, q, 0, args...)
	if err != nil {
		return File{}, fmt.Errorf("export %s: %w", key, err)
	}
	body, err := encodeCSV(t, res)
	if err != nil {
		return File{}, fmt.Errorf("export %s: %w", key, err)
	}
	status, err := put(ctx, e.Store, key, body)
	if err != nil {
		return File{}, err
	}
	e.Log.Debug("export file", "key", key, "rows", len(res.Rows), "status", status)
	return File{Key: key, Rows: len(res.Rows), Status: status}, nil
}

// put creates key, or replaces it when its content differs. A reader sees
// the old file or the new one, never a partial one (the store's puts are
// atomic); between the delete and the put it may briefly see none.
func put(ctx context.Context, s lake.Store, key string, body []byte) (string, error) {
	created, err := s.PutIfAbsent(ctx, key, body)
	if err != nil {
		return "", err
	}
	if created {
		return "created", nil
	}
	old, err := s.Get(ctx, key)
	if err != nil {
		return "", err
	}
	if bytes.Equal(old, body) {
		return "unchanged", nil
	}
	if err := s.Delete(ctx, key); err != nil {
		return "", err
	}
	if _, err := s.PutIfAbsent(ctx, key, body); err != nil {
		return "", err
	}
	return "replaced", nil
}

// encodeCSV writes a header of the table's column names and one line per
// row: dates as YYYY-MM-DD, instants as RFC 3339 UTC, NULL as empty.
func encodeCSV(t *sink.Table, res *query.Result) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(t.Names()); err != nil {
		return nil, err
	}
	rec := make([]string, len(t.Columns))
	for _, row := range res.Rows {
		if len(row) != len(t.Columns) {
			return nil, fmt.Errorf("row of %d values for %d columns", len(row), len(t.Columns))
		}
		for i, v := range row {
			rec[i] = cell(t.Columns[i].Source.Type, v)
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func cell(typ market.Type, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if typ == market.Date {
			return x.UTC().Format(time.DateOnly)
		}
		return x.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return query.Text(v)
}
