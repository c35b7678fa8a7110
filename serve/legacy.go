package serve

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/market"
)

// The routes the original frontend calls, kept compatible: field names
// follow the original StockData and call_options/put_options tables.

// StockDataInput selects bars.
type StockDataInput struct {
	Symbol   string `query:"symbol" required:"true" minLength:"1" maxLength:"16" doc:"Ticker symbol, any spelling (BRK.B, BRK-B)" example:"AAPL"`
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
	Symbol     string  `query:"symbol" required:"true" minLength:"1" maxLength:"16" example:"AAPL"`
	Expiration string  `query:"expiration" doc:"Only this expiration (YYYY-MM-DD)"`
	Type       string  `query:"type" enum:"call,put,both" default:"both"`
	MinStrike  float64 `query:"min_strike" minimum:"0"`
	MaxStrike  float64 `query:"max_strike" minimum:"0"`
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
	Mid               *float64 `json:"mid"`
	IV                *float64 `json:"iv" doc:"tickerlake's own implied volatility from the mid; null when no solution"`
	Delta             *float64 `json:"delta"`
	Gamma             *float64 `json:"gamma"`
	Theta             *float64 `json:"theta" doc:"Per calendar day"`
	Vega              *float64 `json:"vega" doc:"Per volatility point"`
	Rho               *float64 `json:"rho" doc:"Per rate point"`
	DaysToExpiry      *float64 `json:"daysToExpiry"`
}

// OptionsDataOutput is the latest snapshot of a chain.
type OptionsDataOutput struct {
	Body struct {
		Symbol          string      `json:"symbol"`
		SnapshotTS      time.Time   `json:"snapshot_ts"`
		UnderlyingPrice *float64    `json:"underlying_price"`
		Expirations     []string    `json:"expirations"`
		Calls           []OptionRow `json:"calls"`
		Puts            []OptionRow `json:"puts"`
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
		Summary: "Daily or 15-minute bars of one stock", Tags: []string{"bars"}}, s.stockData)
	huma.Register(api, huma.Operation{OperationID: "options-data", Method: http.MethodGet, Path: "/api/options-data/",
		Summary: "The latest option-chain snapshot of one stock", Tags: []string{"options"}}, s.optionsData)
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
	c, err := company(in.Symbol)
	if err != nil {
		return nil, err
	}
	today := market.DateOf(s.Now())
	to, err := parseDate("to", in.To, today)
	if err != nil {
		return nil, err
	}
	back := to.AddDate(-1, 0, 0)
	if in.Interval == "15min" {
		back = to.AddDate(0, 0, -5)
	}
	from, err := parseDate("from", in.From, back)
	if err != nil {
		return nil, err
	}
	if from.After(to) {
		return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("from %s is after to %s", from.Format("2006-01-02"), to.Format("2006-01-02")))
	}
	table, col, end := "daily_bars", "date", to
	if in.Interval == "15min" {
		table, col, end = "intraday_bars", "ts", to.AddDate(0, 0, 1)
	}
	db, err := s.db(ctx)
	if err != nil {
		return nil, err
	}
	out := &StockDataOutput{}
	b := &out.Body
	b.Symbol, b.Interval, b.From, b.To, b.Page, b.PageSize = c.Symbol, in.Interval, from.Format("2006-01-02"), to.Format("2006-01-02"), in.Page, in.PageSize
	where := fmt.Sprintf("FROM %s WHERE symbol = ? AND %s >= ? AND %s < ?", table, col, col)
	if in.Interval == "1day" {
		where = fmt.Sprintf("FROM %s WHERE symbol = ? AND %s >= ? AND %s <= ?", table, col, col)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) "+where, c.Symbol, from, end).Scan(&b.Total); err != nil {
		return nil, s.internal("count bars", err)
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT %s, open, high, low, close, volume %s ORDER BY %s LIMIT ? OFFSET ?", col, where, col),
		c.Symbol, from, end, in.PageSize, (in.Page-1)*in.PageSize)
	if err != nil {
		return nil, s.internal("query bars", err)
	}
	defer rows.Close()
	b.Data = []StockRow{}
	for rows.Next() {
		r := StockRow{StockName: c.Symbol}
		var t time.Time
		if err := rows.Scan(&t, &r.Open, &r.High, &r.Low, &r.Close, &r.Volume); err != nil {
			return nil, s.internal("scan bars", err)
		}
		r.Date = formatTime(t, in.Interval == "1day")
		b.Data = append(b.Data, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal("read bars", err)
	}
	return out, nil
}

func formatTime(t time.Time, date bool) string {
	if date {
		return t.UTC().Format("2006-01-02")
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) db(ctx context.Context) (*sql.DB, error) {
	if err := s.Engine.Refresh(ctx); err != nil {
		return nil, s.internal("refresh views", err)
	}
	return s.Engine.DB(), nil
}

func (s *Server) internal(what string, err error) error {
	s.Log.Error(what, "err", err)
	return huma.Error500InternalServerError(what + " failed")
}

func nullable(n sql.NullFloat64) *float64 {
	if !n.Valid || n.Float64 != n.Float64 {
		return nil
	}
	return &n.Float64
}

func (s *Server) optionsData(ctx context.Context, in *OptionsDataInput) (*OptionsDataOutput, error) {
	c, err := company(in.Symbol)
	if err != nil {
		return nil, err
	}
	var exp time.Time
	if in.Expiration != "" {
		if exp, err = parseDate("expiration", in.Expiration, time.Time{}); err != nil {
			return nil, err
		}
	}
	if in.MaxStrike > 0 && in.MinStrike > in.MaxStrike {
		return nil, huma.Error422UnprocessableEntity("min_strike is above max_strike")
	}
	db, err := s.db(ctx)
	if err != nil {
		return nil, err
	}
	out := &OptionsDataOutput{}
	b := &out.Body
	b.Symbol, b.Calls, b.Puts, b.Expirations = c.Symbol, []OptionRow{}, []OptionRow{}, []string{}
	var snap sql.NullTime
	if err := db.QueryRowContext(ctx, "SELECT max(snapshot_ts) FROM option_quotes WHERE symbol = ?", c.Symbol).Scan(&snap); err != nil {
		return nil, s.internal("latest snapshot", err)
	}
	if !snap.Valid {
		return nil, huma.Error404NotFound(fmt.Sprintf("no option snapshots of %s yet", c.Symbol))
	}
	b.SnapshotTS = snap.Time.UTC()
	q := `SELECT contract_symbol, option_type, last_trade_ts, expiration, strike, last_price, bid, ask, change, percent_change,
		volume, open_interest, source_iv, in_the_money, contract_size, currency, underlying_price, mid, iv, delta, gamma, theta, vega, rho, days_to_expiry
		FROM option_quotes WHERE symbol = ? AND snapshot_ts = ?`
	args := []any{c.Symbol, snap.Time}
	if !exp.IsZero() {
		q += " AND expiration = ?"
		args = append(args, exp)
	}
	if in.Type != "both" && in.Type != "" {
		q += " AND option_type = ?"
		args = append(args, in.Type)
	}
	if in.MinStrike > 0 {
		q += " AND strike >= ?"
		args = append(args, in.MinStrike)
	}
	if in.MaxStrike > 0 {
		q += " AND strike <= ?"
		args = append(args, in.MaxStrike)
	}
	rows, err := db.QueryContext(ctx, q+" ORDER BY expiration, strike", args...)
	if err != nil {
		return nil, s.internal("query options", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var (
			r                                                     OptionRow
			typ                                                   string
			lastTrade                                             sql.NullTime
			expiration                                            time.Time
			last, bid, ask, chg, pct, siv, und, mid, iv, d, g, th sql.NullFloat64
			v, rho, dte                                           sql.NullFloat64
		)
		if err := rows.Scan(&r.ContractSymbol, &typ, &lastTrade, &expiration, &r.Strike, &last, &bid, &ask, &chg, &pct,
			&r.Volume, &r.OpenInterest, &siv, &r.InTheMoney, &r.ContractSize, &r.Currency, &und, &mid, &iv, &d, &g, &th, &v, &rho, &dte); err != nil {
			return nil, s.internal("scan options", err)
		}
		r.StockName = c.Symbol
		r.ExpirationDate = expiration.Format("2006-01-02")
		if lastTrade.Valid {
			lt := lastTrade.Time.UTC().Format(time.RFC3339)
			r.LastTradeDate = &lt
		}
		r.LastPrice, r.Bid, r.Ask, r.Change, r.PercentChange = nullable(last), nullable(bid), nullable(ask), nullable(chg), nullable(pct)
		r.ImpliedVolatility, r.Mid, r.IV, r.Delta, r.Gamma = nullable(siv), nullable(mid), nullable(iv), nullable(d), nullable(g)
		r.Theta, r.Vega, r.Rho, r.DaysToExpiry = nullable(th), nullable(v), nullable(rho), nullable(dte)
		b.UnderlyingPrice = nullable(und)
		if !seen[r.ExpirationDate] {
			seen[r.ExpirationDate] = true
			b.Expirations = append(b.Expirations, r.ExpirationDate)
		}
		if typ == string(market.Put) {
			b.Puts = append(b.Puts, r)
		} else {
			b.Calls = append(b.Calls, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal("read options", err)
	}
	return out, nil
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
	db, err := s.db(ctx)
	if err != nil {
		return nil, err
	}
	out := &RealtimeOutput{}
	out.Body.Symbol, out.Body.Name, out.Body.Bars = c.Symbol, c.Name, []StockRow{}
	rows, err := db.QueryContext(ctx, `SELECT ts, open, high, low, close, volume FROM intraday_bars
		WHERE symbol = ? AND ts >= (SELECT max(ts) - INTERVAL 1 DAY FROM intraday_bars WHERE symbol = ?) ORDER BY ts`, c.Symbol, c.Symbol)
	if err != nil {
		return nil, s.internal("query realtime", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := StockRow{StockName: c.Symbol}
		var t time.Time
		if err := rows.Scan(&t, &r.Open, &r.High, &r.Low, &r.Close, &r.Volume); err != nil {
			return nil, s.internal("scan realtime", err)
		}
		r.Date = formatTime(t, false)
		out.Body.Bars = append(out.Body.Bars, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal("read realtime", err)
	}
	// Keep only the newest session.
	if n := len(out.Body.Bars); n > 0 {
		lastDay := market.DateOf(mustTime(out.Body.Bars[n-1].Date))
		i := n - 1
		for i > 0 && market.DateOf(mustTime(out.Body.Bars[i-1].Date)).Equal(lastDay) {
			i--
		}
		out.Body.Bars = out.Body.Bars[i:]
		last := out.Body.Bars[len(out.Body.Bars)-1]
		out.Body.Last = &last
	}
	return out, nil
}

func mustTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
