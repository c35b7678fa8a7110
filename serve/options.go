package serve

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/market"
)

// snapshotAt finds the newest option snapshot of symbol at or before at
// (zero: the newest of all), or answers 404.
func (s *Server) snapshotAt(ctx context.Context, db *sql.DB, symbol string, at time.Time) (time.Time, error) {
	q, args := "SELECT max(snapshot_ts) FROM option_quotes WHERE symbol = ?", []any{symbol}
	if !at.IsZero() {
		q += " AND snapshot_ts <= ?"
		args = append(args, at)
	}
	var snap sql.NullTime
	defer s.timed("snapshot")()
	if err := db.QueryRowContext(ctx, q, args...).Scan(&snap); err != nil {
		return time.Time{}, s.internal("latest snapshot", err)
	}
	if !snap.Valid {
		if at.IsZero() {
			return time.Time{}, huma.Error404NotFound(fmt.Sprintf("no option snapshots of %s yet", symbol))
		}
		return time.Time{}, huma.Error404NotFound(fmt.Sprintf("no option snapshot of %s at or before %s", symbol, at.UTC().Format(time.RFC3339)))
	}
	return snap.Time.UTC(), nil
}

// atSnapshot resolves a symbol and the snapshot a request asks for (RFC 3339
// instant, "" for the newest).
func (s *Server) atSnapshot(ctx context.Context, symbol, snapshot string) (market.Company, *sql.DB, time.Time, error) {
	c, err := company(symbol)
	if err != nil {
		return c, nil, time.Time{}, err
	}
	at, err := parseInstant("snapshot", snapshot)
	if err != nil {
		return c, nil, time.Time{}, err
	}
	db, err := s.db(ctx)
	if err != nil {
		return c, nil, time.Time{}, err
	}
	snap, err := s.snapshotAt(ctx, db, c.Symbol, at)
	return c, db, snap, err
}

func parseInstant(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, huma.Error422UnprocessableEntity(fmt.Sprintf("%s %q is not an RFC 3339 time (e.g. 2026-11-27T20:00:00Z)", name, v))
	}
	return t, nil
}

// chainFilter narrows one snapshot's chain.
type chainFilter struct {
	expiration           time.Time // zero: every expiration
	optionType           string    // "call", "put", or "" / "both"
	minStrike, maxStrike float64   // zero: unbounded
}

func (s *Server) validateChainFilter(expiration, optionType string, minStrike, maxStrike float64) (chainFilter, error) {
	f := chainFilter{optionType: optionType, minStrike: minStrike, maxStrike: maxStrike}
	if expiration != "" {
		var err error
		if f.expiration, err = parseDate("expiration", expiration, time.Time{}); err != nil {
			return f, err
		}
	}
	if maxStrike > 0 && minStrike > maxStrike {
		return f, huma.Error422UnprocessableEntity(fmt.Sprintf("min_strike %g is above max_strike %g", minStrike, maxStrike))
	}
	return f, nil
}

// chain reads one snapshot's contracts, split into calls and puts, ordered
// by expiration and strike, with the expirations seen and the spot.
func (s *Server) chain(ctx context.Context, db *sql.DB, symbol string, snap time.Time, f chainFilter) (calls, puts []OptionRow, expirations []string, spot *float64, err error) {
	q := `SELECT contract_symbol, option_type, last_trade_ts, expiration, strike, last_price, bid, ask, change, percent_change,
		volume, open_interest, source_iv, in_the_money, contract_size, currency, underlying_price, mid, iv, delta, gamma, theta, vega, rho, days_to_expiry
		FROM option_quotes WHERE symbol = ? AND snapshot_ts = ?`
	args := []any{symbol, snap}
	if !f.expiration.IsZero() {
		q += " AND expiration = ?"
		args = append(args, f.expiration)
	}
	if f.optionType != "both" && f.optionType != "" {
		q += " AND option_type = ?"
		args = append(args, f.optionType)
	}
	if f.minStrike > 0 {
		q += " AND strike >= ?"
		args = append(args, f.minStrike)
	}
	if f.maxStrike > 0 {
		q += " AND strike <= ?"
		args = append(args, f.maxStrike)
	}
	defer s.timed("chain")()
	rows, err := db.QueryContext(ctx, q+" ORDER BY expiration, strike, option_type", args...)
	if err != nil {
		return nil, nil, nil, nil, s.internal("query options", err)
	}
	defer rows.Close()
	calls, puts, expirations = []OptionRow{}, []OptionRow{}, []string{}
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
			return nil, nil, nil, nil, s.internal("scan options", err)
		}
		r.StockName = symbol
		r.ExpirationDate = expiration.Format(time.DateOnly)
		if lastTrade.Valid {
			lt := lastTrade.Time.UTC().Format(time.RFC3339)
			r.LastTradeDate = &lt
		}
		r.LastPrice, r.Bid, r.Ask, r.Change, r.PercentChange = nullable(last), nullable(bid), nullable(ask), nullable(chg), nullable(pct)
		r.ImpliedVolatility, r.Mid, r.IV, r.Delta, r.Gamma = nullable(siv), nullable(mid), nullable(iv), nullable(d), nullable(g)
		r.Theta, r.Vega, r.Rho, r.DaysToExpiry = nullable(th), nullable(v), nullable(rho), nullable(dte)
		if u := nullable(und); u != nil {
			spot = u
		}
		if !seen[r.ExpirationDate] {
			seen[r.ExpirationDate] = true
			expirations = append(expirations, r.ExpirationDate)
		}
		if typ == string(market.Put) {
			puts = append(puts, r)
		} else {
			calls = append(calls, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, nil, s.internal("read options", err)
	}
	return calls, puts, expirations, spot, nil
}

// ExpirationsInput selects a symbol's snapshot.
type ExpirationsInput struct {
	Symbol   string `path:"symbol" minLength:"1" maxLength:"16" example:"AAPL"`
	Snapshot string `query:"snapshot" doc:"Use the newest snapshot at or before this instant (RFC 3339); default the newest" example:"2026-11-27T20:00:00Z"`
}

// Expiration is one expiration of a snapshot.
type Expiration struct {
	Expiration   string  `json:"expiration" example:"2026-12-18"`
	DaysToExpiry float64 `json:"days_to_expiry"`
	Calls        int     `json:"calls" doc:"Call contracts quoted"`
	Puts         int     `json:"puts" doc:"Put contracts quoted"`
}

// ExpirationsOutput lists a snapshot's expirations.
type ExpirationsOutput struct {
	Body struct {
		Symbol      string       `json:"symbol"`
		SnapshotTS  time.Time    `json:"snapshot_ts"`
		Expirations []Expiration `json:"expirations"`
	}
}

func (s *Server) expirations(ctx context.Context, in *ExpirationsInput) (*ExpirationsOutput, error) {
	c, db, snap, err := s.atSnapshot(ctx, in.Symbol, in.Snapshot)
	if err != nil {
		return nil, err
	}
	defer s.timed("expirations")()
	rows, err := db.QueryContext(ctx, `SELECT expiration, coalesce(max(days_to_expiry), 0),
		count(*) FILTER (WHERE option_type = 'call'), count(*) FILTER (WHERE option_type = 'put')
		FROM option_quotes WHERE symbol = ? AND snapshot_ts = ? GROUP BY expiration ORDER BY expiration`, c.Symbol, snap)
	if err != nil {
		return nil, s.internal("query expirations", err)
	}
	defer rows.Close()
	out := &ExpirationsOutput{}
	out.Body.Symbol, out.Body.SnapshotTS, out.Body.Expirations = c.Symbol, snap, []Expiration{}
	for rows.Next() {
		var (
			e   Expiration
			exp time.Time
		)
		if err := rows.Scan(&exp, &e.DaysToExpiry, &e.Calls, &e.Puts); err != nil {
			return nil, s.internal("scan expirations", err)
		}
		e.Expiration = exp.Format(time.DateOnly)
		out.Body.Expirations = append(out.Body.Expirations, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal("read expirations", err)
	}
	return out, nil
}

// ChainInput selects one snapshot's chain.
type ChainInput struct {
	Symbol     string  `path:"symbol" minLength:"1" maxLength:"16" example:"AAPL"`
	Expiration string  `query:"expiration" doc:"Only this expiration (YYYY-MM-DD)" example:"2026-12-18"`
	Type       string  `query:"type" enum:"call,put,both" default:"both"`
	MinStrike  float64 `query:"min_strike" minimum:"0"`
	MaxStrike  float64 `query:"max_strike" minimum:"0"`
	Snapshot   string  `query:"snapshot" doc:"Use the newest snapshot at or before this instant (RFC 3339); default the newest"`
}

// ChainOutput is one snapshot of a chain with tickerlake's own implied
// volatility and Greeks on every contract: the legacy shape.
type ChainOutput = OptionsDataOutput

func (s *Server) optionChain(ctx context.Context, in *ChainInput) (*ChainOutput, error) {
	f, err := s.validateChainFilter(in.Expiration, in.Type, in.MinStrike, in.MaxStrike)
	if err != nil {
		return nil, err
	}
	c, db, snap, err := s.atSnapshot(ctx, in.Symbol, in.Snapshot)
	if err != nil {
		return nil, err
	}
	out := &ChainOutput{}
	b := &out.Body
	b.Symbol, b.SnapshotTS = c.Symbol, snap
	if b.Calls, b.Puts, b.Expirations, b.UnderlyingPrice, err = s.chain(ctx, db, c.Symbol, snap, f); err != nil {
		return nil, err
	}
	if !f.expiration.IsZero() && len(b.Expirations) == 0 {
		return nil, huma.Error404NotFound(fmt.Sprintf("the %s snapshot of %s has no expiration %s", snap.Format(time.RFC3339), c.Symbol, in.Expiration))
	}
	return out, nil
}

// SmilePoint is the implied volatility at one strike.
type SmilePoint struct {
	Strike    float64  `json:"strike"`
	Moneyness *float64 `json:"moneyness" doc:"strike / underlying"`
	CallIV    *float64 `json:"call_iv"`
	PutIV     *float64 `json:"put_iv"`
	IV        *float64 `json:"iv" doc:"Out-of-the-money side: the put below spot, the call at or above; the other side when missing"`
}

// Smile is one expiration's implied-volatility curve.
type Smile struct {
	Expiration   string       `json:"expiration" example:"2026-12-18"`
	DaysToExpiry *float64     `json:"days_to_expiry"`
	ATMIV        *float64     `json:"atm_iv" doc:"IV at the forward (from the iv_smile dataset), else at the strike nearest the underlying"`
	Forward      *float64     `json:"forward" doc:"S·e^{(r-q)T}, where the smile is centred (iv_smile dataset)"`
	Call25IV     *float64     `json:"call_25d_iv" doc:"IV at call delta 0.25 (iv_smile dataset)"`
	Put25IV      *float64     `json:"put_25d_iv" doc:"IV at put delta -0.25 (iv_smile dataset)"`
	Skew25       *float64     `json:"skew_25d" doc:"put_25d_iv - call_25d_iv"`
	Butterfly25  *float64     `json:"butterfly_25d" doc:"(put_25d_iv + call_25d_iv) / 2 - atm_iv"`
	Points       []SmilePoint `json:"points"`
}

// addSmileSummaries fills each smile's forward, ATM and 25-delta figures
// from the processor's iv_smile dataset, where it has the snapshot.
func (s *Server) addSmileSummaries(ctx context.Context, db *sql.DB, symbol string, snap time.Time, smiles []Smile) error {
	if _, ok := market.DatasetByName("iv_smile"); !ok || len(smiles) == 0 {
		return nil
	}
	defer s.timed("smile_summary")()
	rows, err := db.QueryContext(ctx, `SELECT expiration, forward, atm_iv, call_25d_iv, put_25d_iv, skew_25d, butterfly_25d
		FROM iv_smile WHERE symbol = ? AND snapshot_ts = ?`, symbol, snap)
	if err != nil {
		return s.internal("query iv_smile", err)
	}
	defer rows.Close()
	byExp := map[string]*Smile{}
	for i := range smiles {
		byExp[smiles[i].Expiration] = &smiles[i]
	}
	for rows.Next() {
		var (
			exp                          time.Time
			fwd, atm, c25, p25, sk, bfly sql.NullFloat64
		)
		if err := rows.Scan(&exp, &fwd, &atm, &c25, &p25, &sk, &bfly); err != nil {
			return s.internal("scan iv_smile", err)
		}
		sm := byExp[exp.Format(time.DateOnly)]
		if sm == nil {
			continue
		}
		sm.Forward, sm.Call25IV, sm.Put25IV, sm.Skew25, sm.Butterfly25 = nullable(fwd), nullable(c25), nullable(p25), nullable(sk), nullable(bfly)
		if v := nullable(atm); v != nil {
			sm.ATMIV = v
		}
	}
	if err := rows.Err(); err != nil {
		return s.internal("read iv_smile", err)
	}
	return nil
}

// smiles reads the IV by strike of one snapshot, for one expiration or all,
// from tickerlake's own implied volatilities.
func (s *Server) smiles(ctx context.Context, db *sql.DB, symbol string, snap, expiration time.Time) ([]Smile, *float64, error) {
	q := `SELECT expiration, strike, max(moneyness), max(iv) FILTER (WHERE option_type = 'call'), max(iv) FILTER (WHERE option_type = 'put'),
		max(underlying_price), max(days_to_expiry)
		FROM option_quotes WHERE symbol = ? AND snapshot_ts = ?`
	args := []any{symbol, snap}
	if !expiration.IsZero() {
		q += " AND expiration = ?"
		args = append(args, expiration)
	}
	defer s.timed("smile")()
	rows, err := db.QueryContext(ctx, q+" GROUP BY expiration, strike ORDER BY expiration, strike", args...)
	if err != nil {
		return nil, nil, s.internal("query smile", err)
	}
	defer rows.Close()
	var (
		out  []Smile
		spot *float64
	)
	for rows.Next() {
		var (
			exp                  time.Time
			p                    SmilePoint
			mny, civ, piv, u, dd sql.NullFloat64
		)
		if err := rows.Scan(&exp, &p.Strike, &mny, &civ, &piv, &u, &dd); err != nil {
			return nil, nil, s.internal("scan smile", err)
		}
		if v := nullable(u); v != nil {
			spot = v
		}
		p.Moneyness, p.CallIV, p.PutIV = nullable(mny), nullable(civ), nullable(piv)
		p.IV = otmIV(p, spot)
		e := exp.Format(time.DateOnly)
		if len(out) == 0 || out[len(out)-1].Expiration != e {
			out = append(out, Smile{Expiration: e, DaysToExpiry: nullable(dd), Points: []SmilePoint{}})
		}
		sm := &out[len(out)-1]
		sm.Points = append(sm.Points, p)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, s.internal("read smile", err)
	}
	for i := range out {
		out[i].ATMIV = atmIV(out[i].Points, spot)
	}
	if err := s.addSmileSummaries(ctx, db, symbol, snap, out); err != nil {
		return nil, nil, err
	}
	return out, spot, nil
}

func otmIV(p SmilePoint, spot *float64) *float64 {
	first, second := p.CallIV, p.PutIV
	if spot != nil && p.Strike < *spot {
		first, second = p.PutIV, p.CallIV
	}
	if first != nil {
		return first
	}
	return second
}

func atmIV(points []SmilePoint, spot *float64) *float64 {
	if spot == nil {
		return nil
	}
	best := math.Inf(1)
	var iv *float64
	for _, p := range points {
		if d := math.Abs(p.Strike - *spot); p.IV != nil && d < best {
			best, iv = d, p.IV
		}
	}
	return iv
}

// SmileInput selects one expiration of a snapshot.
type SmileInput struct {
	Symbol     string `path:"symbol" minLength:"1" maxLength:"16" example:"AAPL"`
	Expiration string `query:"expiration" required:"true" doc:"Expiration date (YYYY-MM-DD)" example:"2026-12-18"`
	Snapshot   string `query:"snapshot" doc:"Use the newest snapshot at or before this instant (RFC 3339); default the newest"`
}

// SmileOutput is one expiration's smile.
type SmileOutput struct {
	Body struct {
		Symbol          string    `json:"symbol"`
		SnapshotTS      time.Time `json:"snapshot_ts"`
		UnderlyingPrice *float64  `json:"underlying_price"`
		Smile
	}
}

func (s *Server) smile(ctx context.Context, in *SmileInput) (*SmileOutput, error) {
	exp, err := parseDate("expiration", in.Expiration, time.Time{})
	if err != nil {
		return nil, err
	}
	c, db, snap, err := s.atSnapshot(ctx, in.Symbol, in.Snapshot)
	if err != nil {
		return nil, err
	}
	sm, spot, err := s.smiles(ctx, db, c.Symbol, snap, exp)
	if err != nil {
		return nil, err
	}
	if len(sm) == 0 {
		return nil, huma.Error404NotFound(fmt.Sprintf("the %s snapshot of %s has no expiration %s", snap.Format(time.RFC3339), c.Symbol, in.Expiration))
	}
	out := &SmileOutput{}
	out.Body.Symbol, out.Body.SnapshotTS, out.Body.UnderlyingPrice, out.Body.Smile = c.Symbol, snap, spot, sm[0]
	return out, nil
}

// SurfaceOutput is every expiration's smile of one snapshot.
type SurfaceOutput struct {
	Body struct {
		Symbol          string    `json:"symbol"`
		SnapshotTS      time.Time `json:"snapshot_ts"`
		UnderlyingPrice *float64  `json:"underlying_price"`
		Smiles          []Smile   `json:"smiles" doc:"One per expiration, nearest first"`
	}
}

func (s *Server) surface(ctx context.Context, in *ExpirationsInput) (*SurfaceOutput, error) {
	c, db, snap, err := s.atSnapshot(ctx, in.Symbol, in.Snapshot)
	if err != nil {
		return nil, err
	}
	sm, spot, err := s.smiles(ctx, db, c.Symbol, snap, time.Time{})
	if err != nil {
		return nil, err
	}
	out := &SurfaceOutput{}
	out.Body.Symbol, out.Body.SnapshotTS, out.Body.UnderlyingPrice, out.Body.Smiles = c.Symbol, snap, spot, sm
	if out.Body.Smiles == nil {
		out.Body.Smiles = []Smile{}
	}
	return out, nil
}

// ContractInput names one option contract.
type ContractInput struct {
	Contract string `path:"contract" pattern:"^[A-Z][A-Z0-9]{0,5}[0-9]{6}[CP][0-9]{8}$" doc:"OCC contract symbol: root, YYMMDD, C or P, strike × 1000 in 8 digits" example:"AAPL261218C00200000"`
	From     string `query:"from" doc:"First snapshot instant (RFC 3339)"`
	To       string `query:"to" doc:"Last snapshot instant (RFC 3339)"`
	Limit    int    `query:"limit" minimum:"1" maximum:"10000" default:"2000" doc:"Most snapshots returned, newest kept"`
}

// ContractQuote is a contract in one snapshot.
type ContractQuote struct {
	SnapshotTS      time.Time `json:"snapshot_ts"`
	UnderlyingPrice *float64  `json:"underlying_price"`
	Bid             *float64  `json:"bid"`
	Ask             *float64  `json:"ask"`
	Mid             *float64  `json:"mid"`
	LastPrice       *float64  `json:"last_price"`
	Volume          int64     `json:"volume"`
	OpenInterest    int64     `json:"open_interest"`
	SourceIV        *float64  `json:"source_iv" doc:"The provider's implied volatility"`
	IV              *float64  `json:"iv" doc:"tickerlake's own implied volatility"`
	Delta           *float64  `json:"delta"`
	Gamma           *float64  `json:"gamma"`
	Theta           *float64  `json:"theta"`
	Vega            *float64  `json:"vega"`
	Rho             *float64  `json:"rho"`
}

// ContractOutput is the point-in-time history of one contract.
type ContractOutput struct {
	Body struct {
		ContractSymbol string          `json:"contract_symbol"`
		Symbol         string          `json:"symbol"`
		OptionType     string          `json:"option_type" enum:"call,put"`
		Expiration     string          `json:"expiration"`
		Strike         float64         `json:"strike"`
		History        []ContractQuote `json:"history" doc:"Oldest first"`
	}
}

func (s *Server) contractHistory(ctx context.Context, in *ContractInput) (*ContractOutput, error) {
	from, err := parseInstant("from", in.From)
	if err != nil {
		return nil, err
	}
	to, err := parseInstant("to", in.To)
	if err != nil {
		return nil, err
	}
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("from %s is after to %s", in.From, in.To))
	}
	db, err := s.db(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT snapshot_ts, symbol, option_type, expiration, strike, underlying_price, bid, ask, mid, last_price, volume, open_interest,
		source_iv, iv, delta, gamma, theta, vega, rho FROM option_quotes WHERE contract_symbol = ?`
	args := []any{in.Contract}
	if !from.IsZero() {
		q += " AND snapshot_ts >= ?"
		args = append(args, from)
	}
	if !to.IsZero() {
		q += " AND snapshot_ts <= ?"
		args = append(args, to)
	}
	defer s.timed("contract")()
	rows, err := db.QueryContext(ctx, q+" ORDER BY snapshot_ts DESC LIMIT ?", append(args, in.Limit)...)
	if err != nil {
		return nil, s.internal("query contract", err)
	}
	defer rows.Close()
	out := &ContractOutput{}
	b := &out.Body
	b.ContractSymbol, b.History = in.Contract, []ContractQuote{}
	for rows.Next() {
		var (
			r                                                   ContractQuote
			exp                                                 time.Time
			und, bid, ask, mid, last, siv, iv, d, g, th, v, rho sql.NullFloat64
		)
		if err := rows.Scan(&r.SnapshotTS, &b.Symbol, &b.OptionType, &exp, &b.Strike, &und, &bid, &ask, &mid, &last, &r.Volume, &r.OpenInterest,
			&siv, &iv, &d, &g, &th, &v, &rho); err != nil {
			return nil, s.internal("scan contract", err)
		}
		b.Expiration = exp.Format(time.DateOnly)
		r.SnapshotTS = r.SnapshotTS.UTC()
		r.UnderlyingPrice, r.Bid, r.Ask, r.Mid, r.LastPrice = nullable(und), nullable(bid), nullable(ask), nullable(mid), nullable(last)
		r.SourceIV, r.IV, r.Delta, r.Gamma, r.Theta, r.Vega, r.Rho = nullable(siv), nullable(iv), nullable(d), nullable(g), nullable(th), nullable(v), nullable(rho)
		b.History = append(b.History, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal("read contract", err)
	}
	if len(b.History) == 0 {
		return nil, huma.Error404NotFound(fmt.Sprintf("no snapshots of contract %s", in.Contract))
	}
	sort.Slice(b.History, func(i, j int) bool { return b.History[i].SnapshotTS.Before(b.History[j].SnapshotTS) })
	return out, nil
}
