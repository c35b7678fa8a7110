package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// The routes the original frontend calls, kept compatible: field names
// follow the original StockData and call_options/put_options tables.

// StockDataInput selects bars.
type StockDataInput struct {
	Symbol   string `query:"symbol" maxLength:"16" doc:"Ticker symbol, any spelling (BRK.B, BRK-B); omitted, every stock's bars, by date then symbol" example:"AAPL"`
	From     string `query:"from" doc:"First date (YYYY-MM-DD); default one year before to (5 days for 15min)" example:"2026-01-02"`
	To       string `query:"to" doc:"Last date (YYYY-MM-DD); default today" example:"2026-11-27"`
	Interval string `query:"interval" enum:"1day,15min" default:"1day" doc:"Bar interval"`
	Page     int    `query:"page" minimum:"1" default:"1" doc:"Page number, from 1"`
	PageSize int    `query:"page_size" minimum:"1" maximum:"5000" default:"1000" doc:"Rows per page"`
}

// StockRow is one bar in the original StockData shape.
type StockRow struct {
	StockName string  `json:"StockName" example:"AAPL"`
	Date      string  `json:"Date" doc:"Session date (1day) or bar start in UTC, RFC 3339 (15min)" example:"2026-11-27"`
	Open      float64 `json:"Open"`
	High      float64 `json:"High"`
	Low       float64 `json:"Low"`
	Close     float64 `json:"Close"`
	Volume    int64   `json:"Volume"`
}

// StockDataOutput is a page of bars, oldest first.
type StockDataOutput struct {
	Body struct {
		Symbol   string     `json:"symbol"`
		Interval string     `json:"interval"`
		From     string     `json:"from"`
		To       string     `json:"to"`
		Page     int        `json:"page"`
		PageSize int        `json:"page_size"`
		Total    int64      `json:"total" doc:"Rows in the whole range"`
		Data     []StockRow `json:"data"`
	}
}

// OptionsDataInput selects one snapshot's chain.
type OptionsDataInput struct {
	Symbol     string  `query:"symbol" maxLength:"16" doc:"Ticker symbol; omitted, the newest snapshot of every stock's chain, a page at a time" example:"AAPL"`
	Expiration string  `query:"expiration" doc:"Only this expiration (YYYY-MM-DD)"`
	Type       string  `query:"type" enum:"call,put,both" default:"both"`
	MinStrike  float64 `query:"min_strike" minimum:"0"`
	MaxStrike  float64 `query:"max_strike" minimum:"0"`
	Page       int     `query:"page" minimum:"1" default:"1" doc:"Page number, from 1 (without symbol)"`
	PageSize   int     `query:"page_size" minimum:"1" maximum:"5000" default:"1000" doc:"Contracts per page (without symbol)"`
}

// OptionRow is one contract in the original call_options/put_options shape,
// plus tickerlake's analytics.
type OptionRow struct {
	ContractSymbol    string   `json:"contractSymbol"`
	LastTradeDate     *string  `json:"lastTradeDate"`
	ExpirationDate    string   `json:"expirationDate"`
	Strike            float64  `json:"strike"`
	LastPrice         *float64 `json:"lastPrice"`
	Bid               *float64 `json:"bid"`
	Ask               *float64 `json:"ask"`
	Change            *float64 `json:"change"`
	PercentChange     *float64 `json:"percentChange"`
	Volume            int64    `json:"volume"`
	OpenInterest      int64    `json:"openInterest"`
	ImpliedVolatility *float64 `json:"impliedVolatility" doc:"The provider's implied volatility"`
	InTheMoney        bool     `json:"inTheMoney"`
	ContractSize      string   `json:"contractSize"`
	Currency          string   `json:"currency"`
	StockName         string   `json:"StockName"`
	SnapshotTime      *string  `json:"snapshotTime,omitempty" doc:"The snapshot the row is from (listed without symbol, where rows come from each stock's newest)"`
	Mid               *float64 `json:"mid"`
	IV                *float64 `json:"iv" doc:"tickerlake's own implied volatility from the mid; null when no solution"`
	Delta             *float64 `json:"delta"`
	Gamma             *float64 `json:"gamma"`
	Theta             *float64 `json:"theta" doc:"Per calendar day"`
	Vega              *float64 `json:"vega" doc:"Per volatility point"`
	Rho               *float64 `json:"rho" doc:"Per rate point"`
	DaysToExpiry      *float64 `json:"daysToExpiry"`
}

// OptionsDataOutput is the latest snapshot of a chain; without a symbol, a
// page of the latest snapshot of every stock's chain.
type OptionsDataOutput struct {
	Body struct {
		Symbol          string      `json:"symbol"`
		SnapshotTS      time.Time   `json:"snapshot_ts" doc:"The snapshot; without symbol, the newest of the page's"`
		UnderlyingPrice *float64    `json:"underlying_price"`
		Expirations     []string    `json:"expirations"`
		Calls           []OptionRow `json:"calls"`
		Puts            []OptionRow `json:"puts"`
		Page            int         `json:"page,omitempty" doc:"Without symbol: the page"`
		PageSize        int         `json:"page_size,omitempty" doc:"Without symbol: contracts per page"`
		Total           int64       `json:"total,omitempty" doc:"Without symbol: contracts in every page"`
	}
}

// NameInput carries a symbol or name fragment in the path.
type NameInput struct {
	StockName string `path:"stockName" minLength:"1" maxLength:"64" doc:"Symbol, company name or alias, or part of one" example:"micro soft"`
}

// SearchOutput lists matching companies, best first.
type SearchOutput struct {
	Body []Match
}

// StockNamesOutput lists matching symbols and names.
type StockNamesOutput struct {
	Body []string
}

// RealtimeOutput is the latest session's 15-minute bars.
type RealtimeOutput struct {
	Body struct {
		Symbol string     `json:"symbol"`
		Name   string     `json:"name"`
		Last   *StockRow  `json:"last"`
		Bars   []StockRow `json:"bars"`
	}
}

func (s *Server) registerLegacy(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "stock-data", Method: http.MethodGet, Path: "/api/stock-data/",
		Summary: "Daily or 15-minute bars of one stock, or of every stock without symbol", Tags: []string{"bars"}}, s.stockData)
	huma.Register(api, huma.Operation{OperationID: "options-data", Method: http.MethodGet, Path: "/api/options-data/",
		Summary: "The latest option-chain snapshot of one stock, or of every stock a page at a time without symbol", Tags: []string{"options"}}, s.optionsData)
	huma.Register(api, huma.Operation{OperationID: "search", Method: http.MethodGet, Path: "/api/search/{stockName}",
		Summary: "Search symbols, names and aliases", Tags: []string{"universe"}}, s.search)
	huma.Register(api, huma.Operation{OperationID: "stock-names", Method: http.MethodGet, Path: "/api/stock-names/{stockName}",
		Summary: "Symbols and names for autocomplete", Tags: []string{"universe"}}, s.stockNames)
	huma.Register(api, huma.Operation{OperationID: "realtime", Method: http.MethodGet, Path: "/api/realtime/{stockName}",
		Summary: "The latest session's 15-minute bars", Tags: []string{"bars"}}, s.realtime)
}

// company resolves a symbol in any spelling, or answers 404.
func company(symbol string) (market.Company, error) {
	c, ok := market.LookupCompany(symbol)
	if !ok {
		return c, huma.Error404NotFound(fmt.Sprintf("unknown symbol %q: see /api/search/{name}", symbol))
	}
	return c, nil
}

func parseDate(name, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return t, huma.Error422UnprocessableEntity(fmt.Sprintf("%s %q is not a date (YYYY-MM-DD)", name, v))
	}
	return t, nil
}

func (s *Server) stockData(ctx context.Context, in *StockDataInput) (*StockDataOutput, error) {
	b, total, bars, err := s.rangePage(ctx, in.Symbol, in.Interval, in.From, in.To, in.Page, in.PageSize, false)
	if err != nil {
		return nil, err
	}
	out := &StockDataOutput{}
	o := &out.Body
	o.Symbol, o.Interval, o.From, o.To = b.company.Symbol, b.interval, b.from.Format(time.DateOnly), b.to.Format(time.DateOnly)
	o.Page, o.PageSize, o.Total, o.Data = in.Page, in.PageSize, total, make([]StockRow, len(bars))
	for i, r := range bars {
		o.Data[i] = StockRow{StockName: r.Symbol, Date: formatTime(r.T, b.interval == "1day"), Open: r.Open, High: r.High, Low: r.Low, Close: r.Close, Volume: r.Volume}
	}
	return out, nil
}

func formatTime(t time.Time, date bool) string {
	if date {
		return t.UTC().Format("2006-01-02")
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) internal(what string, err error) error {
	if errors.Is(err, context.Canceled) {
		// The client went away (a browser navigating on): nothing failed.
		s.Log.Debug(what+" abandoned by the client", "err", err)
		return huma.NewError(statusClientClosed, "client closed the request")
	}
	s.Log.Error(what, "err", err)
	return huma.Error500InternalServerError(what + " failed")
}

// statusClientClosed is the status logged for requests the client gave up
// on; nobody reads the response.
const statusClientClosed = 499

func (s *Server) optionsData(ctx context.Context, in *OptionsDataInput) (*OptionsDataOutput, error) {
	f, err := s.validateChainFilter(in.Expiration, in.Type, in.MinStrike, in.MaxStrike)
	if err != nil {
		return nil, err
	}
	if in.Symbol == "" {
		return s.allOptionsData(ctx, f, in.Page, in.PageSize)
	}
	c, snap, err := s.snapshot(ctx, in.Symbol, "")
	if err != nil {
		return nil, err
	}
	out := &OptionsDataOutput{}
	b := &out.Body
	b.Symbol, b.SnapshotTS = c.Symbol, snap
	b.Calls, b.Puts, b.Expirations, b.UnderlyingPrice, err = s.chain(ctx, c.Symbol, snap, f)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// allOptionsData is options-data without a symbol: a page of the contracts
// of every stock's newest snapshot, by symbol, expiration and strike.
func (s *Server) allOptionsData(ctx context.Context, f chainFilter, page, size int) (*OptionsDataOutput, error) {
	q := query.QuoteQuery{Expiration: f.expiration, MinStrike: f.minStrike, MaxStrike: f.maxStrike, Limit: size, Offset: (page - 1) * size}
	if f.optionType != "both" {
		q.Type = market.OptionType(f.optionType)
	}
	done := s.timed("chain")
	p, err := s.Engine.LatestQuotes(ctx, q)
	done()
	if err != nil {
		return nil, s.internal("read quotes", err)
	}
	out := &OptionsDataOutput{}
	b := &out.Body
	b.Calls, b.Puts, b.Expirations = []OptionRow{}, []OptionRow{}, []string{}
	b.Page, b.PageSize, b.Total = page, size, p.Total
	seen := map[string]bool{}
	for _, oq := range p.Quotes {
		r := optionRow(oq)
		snap := oq.SnapshotTS.UTC().Format(time.RFC3339)
		r.SnapshotTime = &snap
		if oq.SnapshotTS.After(b.SnapshotTS) {
			b.SnapshotTS = oq.SnapshotTS.UTC()
		}
		if !seen[r.ExpirationDate] {
			seen[r.ExpirationDate] = true
			b.Expirations = append(b.Expirations, r.ExpirationDate)
		}
		if oq.Type == market.Put {
			b.Puts = append(b.Puts, r)
		} else {
			b.Calls = append(b.Calls, r)
		}
	}
	sort.Strings(b.Expirations)
	return out, nil
}

// optionRow is a quote in the original call_options/put_options shape.
func optionRow(q market.OptionQuote) OptionRow {
	r := OptionRow{ContractSymbol: q.ContractSymbol, ExpirationDate: q.Expiration.Format(time.DateOnly), Strike: q.Strike,
		Volume: q.Volume, OpenInterest: q.OpenInterest, InTheMoney: q.InTheMoney, ContractSize: q.ContractSize,
		Currency: q.Currency, StockName: q.Symbol}
	if !q.LastTradeTS.IsZero() {
		lt := q.LastTradeTS.UTC().Format(time.RFC3339)
		r.LastTradeDate = &lt
	}
	for _, v := range []struct {
		dst **float64
		x   float64
	}{{&r.LastPrice, q.LastPrice}, {&r.Bid, q.Bid}, {&r.Ask, q.Ask}, {&r.Change, q.Change}, {&r.PercentChange, q.PercentChange},
		{&r.ImpliedVolatility, q.SourceIV}, {&r.Mid, q.Mid}, {&r.IV, q.IV}, {&r.Delta, q.Delta}, {&r.Gamma, q.Gamma},
		{&r.Theta, q.Theta}, {&r.Vega, q.Vega}, {&r.Rho, q.Rho}, {&r.DaysToExpiry, q.DaysToExpiry}} {
		if x := v.x; x == x {
			*v.dst = &x
		}
	}
	return r
}

func (s *Server) search(ctx context.Context, in *NameInput) (*SearchOutput, error) {
	return &SearchOutput{Body: Search(market.Universe(), in.StockName, 20)}, nil
}

func (s *Server) stockNames(ctx context.Context, in *NameInput) (*StockNamesOutput, error) {
	out := &StockNamesOutput{Body: []string{}}
	for _, m := range Search(market.Universe(), in.StockName, 20) {
		out.Body = append(out.Body, m.Symbol+" - "+m.Name)
	}
	return out, nil
}

func (s *Server) realtime(ctx context.Context, in *NameInput) (*RealtimeOutput, error) {
	c, err := company(in.StockName)
	if err != nil {
		return nil, err
	}
	bars, err := s.latestSession(ctx, c.Symbol)
	if err != nil {
		return nil, err
	}
	out := &RealtimeOutput{}
	out.Body.Symbol, out.Body.Name, out.Body.Bars = c.Symbol, c.Name, make([]StockRow, len(bars))
	for i, b := range bars {
		out.Body.Bars[i] = b.StockRow
	}
	if n := len(bars); n > 0 {
		last := bars[n-1].StockRow
		out.Body.Last = &last
	}
	return out, nil
}
