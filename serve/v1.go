package serve

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/market"
)

// registerV1 adds the versioned API, grouped by resource.
func (s *Server) registerV1(api huma.API) {
	v1 := huma.NewGroup(api, "/api/v1")
	get := func(id, path, summary, tag string) huma.Operation {
		return huma.Operation{OperationID: id, Method: http.MethodGet, Path: path, Summary: summary, Tags: []string{tag}}
	}
	huma.Register(v1, get("v1-universe", "/universe", "Every stock of the universe: symbol, name, sector, aliases", "universe"), s.universe)
	huma.Register(v1, get("v1-company", "/universe/{symbol}", "One stock of the universe, by symbol in any spelling", "universe"), s.companyOne)
	huma.Register(v1, get("v1-search", "/search", "Search: exact symbol, then symbol prefix, then name or alias, then fuzzy", "universe"), s.searchV1)
	huma.Register(v1, get("v1-bars", "/bars/{symbol}", "Daily or 15-minute bars of one stock, a page at a time", "bars"), s.bars)
	dl := get("v1-bars-download", "/bars/{symbol}/download", "Daily or 15-minute bars of one stock as a CSV or Parquet file", "bars")
	dl.Responses = downloadResponses()
	huma.Register(v1, dl, s.download)
	huma.Register(v1, get("v1-quote", "/quotes/{symbol}", "The latest quote of one stock: last price and the session so far", "bars"), s.quote)
	huma.Register(v1, get("v1-movers", "/movers", "Top performers, worst performers and most active stocks over 1 day, 5 days or 1 month", "bars"), s.movers)
	huma.Register(v1, get("v1-expirations", "/options/{symbol}/expirations", "The expirations of a snapshot of one stock's chain", "options"), s.expirations)
	huma.Register(v1, get("v1-chain", "/options/{symbol}/chain", "One snapshot of an option chain with tickerlake's own IV and Greeks", "options"), s.optionChain)
	huma.Register(v1, get("v1-smile", "/options/{symbol}/smile", "The implied-volatility smile of one expiration", "options"), s.smile)
	huma.Register(v1, get("v1-surface", "/options/{symbol}/surface", "The implied-volatility surface: every expiration's smile", "options"), s.surface)
	huma.Register(v1, get("v1-contract", "/contracts/{contract}", "The point-in-time history of one option contract", "options"), s.contractHistory)
	huma.Register(v1, get("v1-freshness", "/freshness", "Each dataset's newest event time and its lag", "ops"), s.getFreshness)
	huma.Register(v1, huma.Operation{OperationID: "v1-sql", Method: http.MethodPost, Path: "/sql", Tags: []string{"sql"},
		Summary:     "Read-only DuckDB SQL over the views " + market.ViewList(),
		Description: "One SELECT (or WITH ... SELECT) statement; anything that writes, attaches, loads or reads files is refused with 403.",
		Errors:      []int{http.StatusBadRequest, http.StatusForbidden, http.StatusRequestTimeout, http.StatusUnprocessableEntity},
	}, s.runSQL)
	huma.Register(v1, huma.Operation{OperationID: "v1-collect", Method: http.MethodPost, Path: "/collect/{kind}", Tags: []string{"admin"},
		Summary:       "Trigger a collection: publish a task to task-queue (admin API key)",
		DefaultStatus: http.StatusAccepted, Security: adminOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, s.collect)
}

// Company is one stock of the universe.
type Company struct {
	Symbol  string   `json:"symbol" example:"MSFT"`
	Name    string   `json:"name" example:"Microsoft Corporation"`
	Sector  string   `json:"sector" example:"Information Technology"`
	Aliases []string `json:"aliases"`
}

func companyOf(c market.Company) Company {
	return Company{Symbol: c.Symbol, Name: c.Name, Sector: c.Sector, Aliases: append([]string{}, c.Aliases...)}
}

// UniverseInput filters the universe.
type UniverseInput struct {
	Sector string `query:"sector" maxLength:"64" doc:"Only this GICS sector (case-insensitive)" example:"Financials"`
}

// UniverseOutput lists companies by symbol.
type UniverseOutput struct {
	Body struct {
		Count     int       `json:"count"`
		Companies []Company `json:"companies"`
	}
}

func (s *Server) universe(ctx context.Context, in *UniverseInput) (*UniverseOutput, error) {
	out := &UniverseOutput{}
	out.Body.Companies = []Company{}
	for _, c := range market.Universe() {
		if in.Sector == "" || strings.EqualFold(c.Sector, in.Sector) {
			out.Body.Companies = append(out.Body.Companies, companyOf(c))
		}
	}
	out.Body.Count = len(out.Body.Companies)
	return out, nil
}

// SymbolInput names one stock.
type SymbolInput struct {
	Symbol string `path:"symbol" minLength:"1" maxLength:"16" doc:"Ticker symbol, any spelling (BRK.B, BRK-B, brk/b)" example:"AAPL"`
}

// CompanyOutput is one stock.
type CompanyOutput struct {
	Body Company
}

func (s *Server) companyOne(ctx context.Context, in *SymbolInput) (*CompanyOutput, error) {
	c, err := company(in.Symbol)
	if err != nil {
		return nil, err
	}
	return &CompanyOutput{Body: companyOf(c)}, nil
}

// SearchInput is a search query.
type SearchInput struct {
	Q     string `query:"q" required:"true" minLength:"1" maxLength:"64" doc:"Symbol, company name or alias, or part of one; typos tolerated" example:"micro soft"`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

// SearchV1Output lists matches, best first.
type SearchV1Output struct {
	Body struct {
		Query   string  `json:"query"`
		Matches []Match `json:"matches"`
	}
}

func (s *Server) searchV1(ctx context.Context, in *SearchInput) (*SearchV1Output, error) {
	out := &SearchV1Output{}
	out.Body.Query, out.Body.Matches = in.Q, Search(market.Universe(), in.Q, in.Limit)
	if out.Body.Matches == nil {
		out.Body.Matches = []Match{}
	}
	return out, nil
}

// QuoteOutput is the latest quote of a stock.
type QuoteOutput struct {
	Body struct {
		Symbol        string    `json:"symbol" example:"AAPL"`
		Name          string    `json:"name"`
		Price         float64   `json:"price" doc:"Close of the newest bar"`
		AsOf          time.Time `json:"as_of" doc:"End of the newest bar"`
		Session       string    `json:"session" doc:"Session date of the newest bar (YYYY-MM-DD)"`
		Source        string    `json:"source" enum:"15min,1day" doc:"Which bars the quote comes from"`
		Open          float64   `json:"open" doc:"Session open"`
		High          float64   `json:"high" doc:"Session high so far"`
		Low           float64   `json:"low" doc:"Session low so far"`
		Volume        int64     `json:"volume" doc:"Session volume so far"`
		PreviousClose *float64  `json:"previous_close" doc:"Close of the session before"`
		Change        *float64  `json:"change"`
		ChangePercent *float64  `json:"change_percent"`
	}
}

// quote is the newest 15-minute bar's close with the session so far; when
// no 15-minute bars exist, the newest daily bar.
func (s *Server) quote(ctx context.Context, in *SymbolInput) (*QuoteOutput, error) {
	c, err := company(in.Symbol)
	if err != nil {
		return nil, err
	}
	bars, err := s.latestSession(ctx, c.Symbol)
	if err != nil {
		return nil, err
	}
	out := &QuoteOutput{}
	b := &out.Body
	b.Symbol, b.Name = c.Symbol, c.Name
	var session time.Time
	if len(bars) > 0 {
		first, last := bars[0], bars[len(bars)-1]
		session = market.DateOf(first.t)
		b.Source, b.Price, b.AsOf, b.Open, b.High, b.Low = "15min", last.Close, last.t.Add(15*time.Minute).UTC(), first.Open, first.High, first.Low
		for _, r := range bars {
			b.High, b.Low, b.Volume = max(b.High, r.High), min(b.Low, r.Low), b.Volume+r.Volume
		}
	} else {
		done := s.timed("quote")
		day, ok, err := s.Engine.LastDaily(ctx, c.Symbol)
		done()
		if err != nil {
			return nil, s.internal("query daily quote", err)
		}
		if !ok {
			return nil, huma.Error404NotFound(fmt.Sprintf("no bars of %s yet", c.Symbol))
		}
		session, b.Open, b.High, b.Low, b.Price, b.Volume = day.T, day.Open, day.High, day.Low, day.Close, day.Volume
		b.Source = "1day"
		if _, closeT, ok := market.NYSE().Session(session); ok {
			b.AsOf = closeT.UTC()
		}
	}
	b.Session = session.Format(time.DateOnly)
	done := s.timed("quote")
	prev, ok, err := s.Engine.CloseBefore(ctx, c.Symbol, session)
	done()
	if err != nil {
		return nil, s.internal("query previous close", err)
	}
	if ok && prev > 0 {
		chg, pct := b.Price-prev, (b.Price/prev-1)*100
		b.PreviousClose, b.Change, b.ChangePercent = &prev, &chg, &pct
	}
	return out, nil
}

// sessionBar is a 15-minute bar with its start instant.
type sessionBar struct {
	StockRow
	t time.Time
}

// latestSession returns the 15-minute bars of a symbol's newest session.
func (s *Server) latestSession(ctx context.Context, symbol string) ([]sessionBar, error) {
	done := s.timed("latest_session")
	bars, err := s.Engine.LatestSession(ctx, symbol)
	done()
	if err != nil {
		return nil, s.internal("query latest session", err)
	}
	out := make([]sessionBar, len(bars))
	for i, b := range bars {
		out[i] = sessionBar{StockRow: StockRow{StockName: symbol, Date: formatTime(b.T, false), Open: b.Open, High: b.High, Low: b.Low,
			Close: b.Close, Volume: b.Volume}, t: b.T}
	}
	return out, nil
}

// MoversInput selects the period.
type MoversInput struct {
	Period string `query:"period" enum:"1d,5d,1m" default:"1d" doc:"1d: last session; 5d: five sessions; 1m: 21 sessions"`
	Limit  int    `query:"limit" minimum:"1" maximum:"50" default:"10" doc:"Stocks in each list"`
}

// Mover is one stock's performance over the period.
type Mover struct {
	Symbol        string  `json:"symbol"`
	Name          string  `json:"name"`
	Close         float64 `json:"close" doc:"Close of the newest session"`
	BaseClose     float64 `json:"base_close" doc:"Close at the start of the period"`
	ChangePercent float64 `json:"change_percent"`
	Volume        int64   `json:"volume" doc:"Shares traded over the period"`
}

// MoversOutput ranks the universe over a period.
type MoversOutput struct {
	Body struct {
		Period     string  `json:"period"`
		AsOf       string  `json:"as_of" doc:"Newest session date in the lake"`
		Gainers    []Mover `json:"gainers" doc:"Best performers first"`
		Losers     []Mover `json:"losers" doc:"Worst performers first"`
		MostActive []Mover `json:"most_active" doc:"Largest volume first"`
	}
}

var periodSessions = map[string]int{"1d": 1, "5d": 5, "1m": 21}

func (s *Server) movers(ctx context.Context, in *MoversInput) (*MoversOutput, error) {
	done := s.timed("movers")
	movers, err := s.Engine.Movers(ctx, periodSessions[in.Period])
	done()
	if err != nil {
		return nil, s.internal("query movers", err)
	}
	all := make([]Mover, len(movers))
	var asOf time.Time
	for i, m := range movers {
		all[i] = Mover{Symbol: m.Symbol, Close: m.Close, BaseClose: m.BaseClose, Volume: m.Volume, ChangePercent: (m.Close/m.BaseClose - 1) * 100}
		if c, ok := market.LookupCompany(m.Symbol); ok {
			all[i].Name = c.Name
		}
		asOf = m.Date
	}
	out := &MoversOutput{}
	b := &out.Body
	b.Period = in.Period
	if !asOf.IsZero() {
		b.AsOf = asOf.Format(time.DateOnly)
	}
	top := func(less func(a, b Mover) bool) []Mover {
		l := append([]Mover{}, all...)
		sort.SliceStable(l, func(i, j int) bool {
			if less(l[i], l[j]) != less(l[j], l[i]) {
				return less(l[i], l[j])
			}
			return l[i].Symbol < l[j].Symbol
		})
		return l[:min(in.Limit, len(l))]
	}
	b.Gainers = top(func(a, b Mover) bool { return a.ChangePercent > b.ChangePercent })
	b.Losers = top(func(a, b Mover) bool { return a.ChangePercent < b.ChangePercent })
	b.MostActive = top(func(a, b Mover) bool { return a.Volume > b.Volume })
	return out, nil
}
