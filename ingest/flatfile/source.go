// Package flatfile imports vendor day-aggregate flat files (CSV or CSV.gz,
// one row per ticker and day) from a folder or an S3 prefix, for backfills
// measured in years, publishing them in the bar topics' time_series shape.
package flatfile

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/wire"

	"github.com/tickerlake/tickerlake/market"
)

// Columns are the columns a file must have, in any order.
var Columns = []string{"ticker", "volume", "open", "close", "high", "low", "window_start", "transactions"}

// Files is where the files are: a folder (Dir) or an object store such as
// the lake's S3 store.
type Files interface {
	List(ctx context.Context, prefix string) ([]string, error)
	Get(ctx context.Context, key string) ([]byte, error)
}

// Dir is Files in a local folder; keys are slash-separated paths under it.
type Dir string

// List implements Files: the files under prefix, sorted.
func (d Dir) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	err := filepath.WalkDir(string(d), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(string(d), p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", string(d), err)
	}
	sort.Strings(keys)
	return keys, nil
}

// Get implements Files.
func (d Dir) Get(_ context.Context, key string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), filepath.FromSlash(key)))
}

// Source serves daily and historical tasks from flat files: every file
// under Prefix ending in .csv or .csv.gz, rows kept for the task's symbols
// (the universe when it names none), sessions and window.
type Source struct {
	// Open returns the files' location on first use.
	Open   func(ctx context.Context) (Files, error)
	Prefix string
	// Calendar decides trading days (default NYSE).
	Calendar *market.Calendar
	Log      *slog.Logger // default discards
	// PageBars is the most bars in one message (default 5000).
	PageBars int
}

// Name implements ingest.Source.
func (s *Source) Name() string { return "flatfile" }

// Instrument implements ingest.Instrumented.
func (s *Source) Instrument(log *slog.Logger, _ *ingest.ProviderMetrics) { s.Log = log }

// Row is one parsed line: a ticker's bar for one day.
type Row struct {
	Symbol string
	Date   time.Time // the New York date, at 00:00 UTC
	Value  wire.TSValue
}

// Parse reads one file's rows. Rows that cannot be read are skipped and
// reported, by line, in the returned error; the good rows are returned
// regardless. A file without the columns is an error and no rows.
func Parse(name string, data []byte) ([]Row, error) {
	var r io.Reader = bytes.NewReader(data)
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	byName := map[string]int{}
	for i, h := range head {
		byName[strings.TrimSpace(strings.ToLower(h))] = i
	}
	var col columns
	for i, c := range Columns {
		j, ok := byName[c]
		if !ok {
			return nil, fmt.Errorf("%s: no %q column (want %s)", name, c, strings.Join(Columns, ","))
		}
		col[i] = j
	}
	var rows []Row
	var dates dateCache
	var bad []string
	badN := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return rows, fmt.Errorf("%s: %w", name, err)
			}
			badN++
			if len(bad) < 3 {
				bad = append(bad, fmt.Sprintf("line %d: %v", pe.Line, pe.Err))
			}
			continue
		}
		row, err := parseRow(rec, col, &dates)
		if err != nil {
			badN++
			if len(bad) < 3 {
				line, _ := cr.FieldPos(0)
				bad = append(bad, fmt.Sprintf("line %d: %v", line, err))
			}
			continue
		}
		rows = append(rows, row)
	}
	if badN > 0 {
		return rows, fmt.Errorf("%s: %d unreadable rows (%s)", name, badN, strings.Join(bad, "; "))
	}
	return rows, nil
}

// dateCache remembers the last window_start's date: a day file's rows
// share one, and the time zone conversion dominates parsing otherwise.
type dateCache struct {
	ns   int64
	date time.Time
	day  string
}

func (c *dateCache) of(ns int64) (time.Time, string) {
	if c.day == "" || ns != c.ns {
		c.ns, c.date = ns, market.DateOf(time.Unix(0, ns))
		c.day = c.date.Format("2006-01-02")
	}
	return c.date, c.day
}

// columns holds the position in a file of each of Columns, in that order.
type columns [8]int

const (
	colTicker = iota
	colVolume
	colOpen
	colClose
	colHigh
	colLow
	colWindowStart
)

func parseRow(rec []string, col columns, dates *dateCache) (Row, error) {
	get := func(c int) string {
		if i := col[c]; i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	sym := market.CanonicalSymbol(get(colTicker))
	if sym == "" {
		return Row{}, errors.New("no ticker")
	}
	ns, err := strconv.ParseInt(get(colWindowStart), 10, 64)
	if err != nil {
		return Row{}, fmt.Errorf("window_start %q: not nanoseconds", get(colWindowStart))
	}
	date, day := dates.of(ns)
	return Row{Symbol: sym, Date: date, Value: wire.TSValue{Datetime: day,
		Open: get(colOpen), High: get(colHigh), Low: get(colLow), Close: get(colClose), Volume: get(colVolume)}}, nil
}

// Fetch implements ingest.Source.
func (s *Source) Fetch(ctx context.Context, t ingest.Task, emit func(ingest.Raw) error) error {
	if t.Kind != ingest.Daily && t.Kind != ingest.Historical {
		return fmt.Errorf("flatfile: %s tasks are not in day-aggregate files", t.Kind)
	}
	cal, log, pageBars := s.Calendar, s.Log, s.PageBars
	if cal == nil {
		cal = market.NYSE()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if pageBars <= 0 {
		pageBars = 5000
	}
	files, err := s.Open(ctx)
	if err != nil {
		return fmt.Errorf("flatfile: open: %w", err)
	}
	keys, err := files.List(ctx, s.Prefix)
	if err != nil {
		return fmt.Errorf("flatfile: %w", err)
	}
	want := map[string]bool{}
	for _, sym := range ingest.TaskSymbols(t) {
		want[market.CanonicalSymbol(sym)] = true
	}
	bars := map[string]map[string]wire.TSValue{} // symbol -> date -> bar; a later file wins
	failed := map[string]string{}
	read := 0
	for _, k := range keys {
		if !strings.HasSuffix(k, ".csv") && !strings.HasSuffix(k, ".csv.gz") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := files.Get(ctx, k)
		if err != nil {
			return fmt.Errorf("flatfile: read %s: %w", k, err)
		}
		rows, err := Parse(k, data)
		if err != nil {
			failed[k] = err.Error()
			log.Warn("flat file has unreadable rows", "file", k, "err", err)
		}
		read++
		for _, r := range rows {
			if !want[r.Symbol] || r.Date.Before(t.From) || !r.Date.Before(t.To) || !cal.IsTradingDay(r.Date) {
				continue
			}
			if bars[r.Symbol] == nil {
				bars[r.Symbol] = map[string]wire.TSValue{}
			}
			bars[r.Symbol][r.Value.Datetime] = r.Value
		}
	}
	syms := make([]string, 0, len(bars))
	for sym := range bars {
		syms = append(syms, sym)
	}
	sort.Strings(syms)
	for _, sym := range syms {
		if err := s.emitSeries(t, sym, bars[sym], pageBars, emit); err != nil {
			return err
		}
	}
	log.Info("flat files imported", "task", t.Short(), "files", read, "symbols", len(syms), "unreadable_files", len(failed))
	if len(failed) > 0 {
		return &ingest.IncompleteError{Task: t.Short(), Failed: failed}
	}
	return nil
}

// emitSeries sends a symbol's bars newest first, pageBars per message.
func (s *Source) emitSeries(t ingest.Task, sym string, byDate map[string]wire.TSValue, pageBars int, emit func(ingest.Raw) error) error {
	dates := make([]string, 0, len(byDate))
	for d := range byDate {
		dates = append(dates, d)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dates)))
	for i := 0; i < len(dates); i += pageBars {
		page := dates[i:min(i+pageBars, len(dates))]
		ts := wire.TimeSeries{Meta: wire.TimeSeriesMeta{Symbol: sym, Interval: wire.Interval1Day,
			Currency: "USD", ExchangeTimezone: "America/New_York"}, Status: "ok"}
		for _, d := range page {
			ts.Values = append(ts.Values, byDate[d])
		}
		b, err := json.Marshal(ts)
		if err != nil {
			return fmt.Errorf("flatfile: encode %s: %w", sym, err)
		}
		topic, err := t.Kind.Topic()
		if err != nil {
			return fmt.Errorf("flatfile: %w", err)
		}
		if err := emit(ingest.Raw{Topic: topic, Symbol: sym, Value: b,
			Headers: ingest.RawHeaders(s.Name(), t, wire.SchemaTimeSeries)}); err != nil {
			return fmt.Errorf("flatfile: publish %s: %w", sym, err)
		}
	}
	return nil
}
