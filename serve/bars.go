package serve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// barRange is a validated request for one symbol's bars.
type barRange struct {
	company  market.Company
	interval string // "1day" or "15min"
	from, to time.Time
}

// maxRange bounds one request's span, so a download stays a bounded file.
var maxRange = map[string]time.Duration{"1day": 20 * 366 * 24 * time.Hour, "15min": 2 * 366 * 24 * time.Hour}

// resolveRange validates symbol, interval and dates; empty dates default to
// the year (daily) or five days (15-minute) ending today. An empty symbol
// selects every stock.
func (s *Server) resolveRange(symbol, interval, fromS, toS string) (barRange, error) {
	var c market.Company
	if symbol != "" { // "" asks for every stock's bars (the original's stock-data)
		var err error
		if c, err = company(symbol); err != nil {
			return barRange{}, err
		}
	}
	if interval == "" {
		interval = "1day"
	}
	to, err := parseDate("to", toS, market.DateOf(s.Clock.Now()))
	if err != nil {
		return barRange{}, err
	}
	back := to.AddDate(-1, 0, 0)
	if interval == "15min" {
		back = to.AddDate(0, 0, -5)
	}
	from, err := parseDate("from", fromS, back)
	if err != nil {
		return barRange{}, err
	}
	if from.After(to) {
		return barRange{}, huma.Error422UnprocessableEntity(fmt.Sprintf("from %s is after to %s", from.Format(time.DateOnly), to.Format(time.DateOnly)))
	}
	if to.Sub(from) > maxRange[interval] {
		return barRange{}, huma.Error422UnprocessableEntity(fmt.Sprintf("a %s range may span at most %d days", interval, int(maxRange[interval].Hours()/24)))
	}
	return barRange{company: c, interval: interval, from: from, to: to}, nil
}

// Bar is one OHLCV bar.
type Bar struct {
	T       string  `json:"t" doc:"Session date (1day, YYYY-MM-DD) or bar start in UTC (15min, RFC 3339)" example:"2026-11-27"`
	Open    float64 `json:"open"`
	High    float64 `json:"high"`
	Low     float64 `json:"low"`
	Close   float64 `json:"close"`
	Volume  int64   `json:"volume"`
	Imputed bool    `json:"imputed" doc:"Some value was filled in by the cleaning stage"`
}

// page reads one page of bars and the range's total through the lake's
// bars read model; adjusted bars are on today's basis for splits and
// dividends (query.Adjustment).
func (s *Server) page(ctx context.Context, b barRange, page, size int, adjusted bool) (int64, []query.Bar, error) {
	defer s.timed("bars")()
	p, err := s.Engine.Bars(ctx, query.BarQuery{Symbol: b.company.Symbol, Intraday: b.interval == "15min", From: b.from, To: b.to,
		Adjusted: adjusted, Limit: size, Offset: (page - 1) * size})
	if err != nil {
		return 0, nil, s.internal("read bars", err)
	}
	return p.Total, p.Bars, nil
}

// BarsInput selects a page of bars.
type BarsInput struct {
	Symbol   string `path:"symbol" minLength:"1" maxLength:"16" doc:"Ticker symbol, any spelling (BRK.B, BRK-B)" example:"AAPL"`
	Interval string `query:"interval" enum:"1day,15min" default:"1day" doc:"Bar interval"`
	From     string `query:"from" doc:"First session date (YYYY-MM-DD); default a year (1day) or five days (15min) before to" example:"2026-01-02"`
	To       string `query:"to" doc:"Last session date (YYYY-MM-DD); default today" example:"2026-11-27"`
	Page     int    `query:"page" minimum:"1" default:"1" doc:"Page number, from 1"`
	PageSize int    `query:"page_size" minimum:"1" maximum:"5000" default:"1000" doc:"Bars per page"`
	Adjusted bool   `query:"adjusted" default:"false" doc:"Adjust for splits and cash dividends with cumulative factors (CRSP-style): prices before each ex-date times d/n for an n:d split and 1 - D/C for a dividend D after a close C, volumes times n/d; the newest bars stay as stored"`
}

// BarsOutput is a page of bars, oldest first.
type BarsOutput struct {
	Body struct {
		Symbol   string `json:"symbol" example:"AAPL"`
		Interval string `json:"interval" example:"1day"`
		From     string `json:"from" example:"2025-11-27"`
		To       string `json:"to" example:"2026-11-27"`
		Page     int    `json:"page"`
		PageSize int    `json:"page_size"`
		Total    int64  `json:"total" doc:"Bars in the whole range"`
		Pages    int64  `json:"pages" doc:"Pages in the whole range"`
		NextPage *int   `json:"next_page" doc:"The next page number; null on the last page"`
		Adjusted bool   `json:"adjusted" doc:"Prices and volumes are adjusted for splits and dividends"`
		Bars     []Bar  `json:"bars"`
	}
}

// rangePage validates a range request and reads one page of it.
func (s *Server) rangePage(ctx context.Context, symbol, interval, from, to string, page, size int, adjusted bool) (barRange, int64, []query.Bar, error) {
	b, err := s.resolveRange(symbol, interval, from, to)
	if err != nil {
		return b, 0, nil, err
	}
	total, bars, err := s.page(ctx, b, page, size, adjusted)
	return b, total, bars, err
}

func (s *Server) bars(ctx context.Context, in *BarsInput) (*BarsOutput, error) {
	b, total, bars, err := s.rangePage(ctx, in.Symbol, in.Interval, in.From, in.To, in.Page, in.PageSize, in.Adjusted)
	if err != nil {
		return nil, err
	}
	out := &BarsOutput{}
	out.Body.Adjusted = in.Adjusted
	o := &out.Body
	o.Symbol, o.Interval, o.From, o.To = b.company.Symbol, b.interval, b.from.Format(time.DateOnly), b.to.Format(time.DateOnly)
	o.Page, o.PageSize, o.Total, o.Bars = in.Page, in.PageSize, total, make([]Bar, len(bars))
	for i, r := range bars {
		o.Bars[i] = Bar{T: formatTime(r.T, b.interval == "1day"), Open: r.Open, High: r.High, Low: r.Low, Close: r.Close, Volume: r.Volume, Imputed: r.Imputed}
	}
	o.Pages = (total + int64(in.PageSize) - 1) / int64(in.PageSize)
	if int64(in.Page) < o.Pages {
		next := in.Page + 1
		o.NextPage = &next
	}
	return out, nil
}

// DownloadInput selects a range of bars as a file.
type DownloadInput struct {
	Symbol   string `path:"symbol" minLength:"1" maxLength:"16" doc:"Ticker symbol, any spelling" example:"AAPL"`
	Interval string `query:"interval" enum:"1day,15min" default:"1day" doc:"Bar interval"`
	From     string `query:"from" doc:"First session date (YYYY-MM-DD)" example:"2026-01-02"`
	To       string `query:"to" doc:"Last session date (YYYY-MM-DD); default today" example:"2026-11-27"`
	Format   string `query:"format" enum:"csv,parquet" default:"csv" doc:"File format"`
}

// DownloadOutput is a file.
type DownloadOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

var downloadTypes = map[string]string{"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}

// download has DuckDB write the range to a temporary file with COPY, the
// same writer the lake's own files are checked against, then sends it.
func (s *Server) download(ctx context.Context, in *DownloadInput) (*DownloadOutput, error) {
	b, err := s.resolveRange(in.Symbol, in.Interval, in.From, in.To)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tickerlake-download-")
	if err != nil {
		return nil, s.internal("download temp dir", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "bars."+in.Format)
	q := query.BarQuery{Symbol: b.company.Symbol, Intraday: b.interval == "15min", From: b.from, To: b.to}
	done := s.timed("download")
	err = s.Engine.CopyBars(ctx, q, in.Format, file)
	done()
	if err != nil {
		return nil, s.internal("copy bars", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, s.internal("read download", err)
	}
	name := fmt.Sprintf("%s_%s_%s_%s.%s", strings.ReplaceAll(b.company.Symbol, ".", "-"), b.interval,
		b.from.Format("20060102"), b.to.Format("20060102"), in.Format)
	return &DownloadOutput{ContentType: downloadTypes[in.Format], ContentDisposition: `attachment; filename="` + name + `"`, Body: data}, nil
}

// downloadResponses documents the file bodies, which huma cannot infer
// from a []byte.
func downloadResponses() map[string]*huma.Response {
	return map[string]*huma.Response{"200": {
		Description: "The bars as CSV (with a header row) or Parquet (zstd)",
		Headers: map[string]*huma.Param{
			"Content-Disposition": {Description: "attachment; filename=...", Schema: &huma.Schema{Type: "string"}},
		},
		Content: map[string]*huma.MediaType{
			"text/csv":                       {Schema: &huma.Schema{Type: "string"}},
			"application/vnd.apache.parquet": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
		},
	}}
}
