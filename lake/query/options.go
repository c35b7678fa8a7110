package query

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// The option read models: what the API shows of the option_quotes and
// iv_smile views, typed. Each refreshes the views first. A NULL float reads
// as NaN, as the record types hold it.

// Snapshot is the instant of symbol's newest option snapshot at or before
// at (zero at: the newest of all); ok is false when there is none.
func (e *Engine) Snapshot(ctx context.Context, symbol string, at time.Time) (snap time.Time, ok bool, err error) {
	if err := e.Refresh(ctx); err != nil {
		return time.Time{}, false, fmt.Errorf("refresh views: %w", err)
	}
	q, args := "SELECT max(snapshot_ts) FROM option_quotes WHERE symbol = ?", []any{symbol}
	if !at.IsZero() {
		q += " AND snapshot_ts <= ?"
		args = append(args, at)
	}
	var t sql.NullTime
	if err := e.db.QueryRowContext(ctx, q, args...).Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("latest snapshot: %w", err)
	}
	return t.Time.UTC(), t.Valid, nil
}

// Expiration is one expiration of a snapshot and its contracts quoted.
type Expiration struct {
	Expiration   time.Time // a date
	DaysToExpiry float64
	Calls, Puts  int
}

// Expirations lists one snapshot's expirations, nearest first.
func (e *Engine) Expirations(ctx context.Context, symbol string, snap time.Time) ([]Expiration, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("refresh views: %w", err)
	}
	rows, err := e.db.QueryContext(ctx, `SELECT expiration, coalesce(max(days_to_expiry), 0),
		count(*) FILTER (WHERE option_type = 'call'), count(*) FILTER (WHERE option_type = 'put')
		FROM option_quotes WHERE symbol = ? AND snapshot_ts = ? GROUP BY expiration ORDER BY expiration`, symbol, snap)
	if err != nil {
		return nil, fmt.Errorf("query expirations: %w", err)
	}
	defer rows.Close()
	out := []Expiration{}
	for rows.Next() {
		var x Expiration
		if err := rows.Scan(&x.Expiration, &x.DaysToExpiry, &x.Calls, &x.Puts); err != nil {
			return nil, fmt.Errorf("scan expirations: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read expirations: %w", err)
	}
	return out, nil
}

// ChainQuery selects the contracts of one snapshot of a chain; zero fields
// do not filter.
type ChainQuery struct {
	Symbol               string
	Snapshot             time.Time
	Expiration           time.Time         // a date
	Type                 market.OptionType // "" for both
	MinStrike, MaxStrike float64
}

// chainColumns are the option_quotes columns Chain reads, in scan order.
const chainColumns = `contract_symbol, option_type, last_trade_ts, expiration, strike, last_price, bid, ask, change, percent_change,
	volume, open_interest, source_iv, in_the_money, contract_size, currency, underlying_price, mid, iv, delta, gamma, theta, vega, rho, days_to_expiry`

// Chain reads one snapshot's contracts by expiration, strike and type.
func (e *Engine) Chain(ctx context.Context, q ChainQuery) ([]market.OptionQuote, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("refresh views: %w", err)
	}
	sqlText := "SELECT " + chainColumns + " FROM option_quotes WHERE symbol = ? AND snapshot_ts = ?"
	args := []any{q.Symbol, q.Snapshot}
	if !q.Expiration.IsZero() {
		sqlText += " AND expiration = ?"
		args = append(args, q.Expiration)
	}
	if q.Type != "" {
		sqlText += " AND option_type = ?"
		args = append(args, string(q.Type))
	}
	if q.MinStrike > 0 {
		sqlText += " AND strike >= ?"
		args = append(args, q.MinStrike)
	}
	if q.MaxStrike > 0 {
		sqlText += " AND strike <= ?"
		args = append(args, q.MaxStrike)
	}
	rows, err := e.db.QueryContext(ctx, sqlText+" ORDER BY expiration, strike, option_type", args...)
	if err != nil {
		return nil, fmt.Errorf("query chain: %w", err)
	}
	defer rows.Close()
	out := []market.OptionQuote{}
	for rows.Next() {
		o := market.OptionQuote{Symbol: q.Symbol, SnapshotTS: q.Snapshot}
		var (
			typ                                                   string
			lastTrade                                             sql.NullTime
			last, bid, ask, chg, pct, siv, und, mid, iv, d, g, th sql.NullFloat64
			v, rho, dte                                           sql.NullFloat64
		)
		if err := rows.Scan(&o.ContractSymbol, &typ, &lastTrade, &o.Expiration, &o.Strike, &last, &bid, &ask, &chg, &pct,
			&o.Volume, &o.OpenInterest, &siv, &o.InTheMoney, &o.ContractSize, &o.Currency, &und, &mid, &iv, &d, &g, &th, &v, &rho, &dte); err != nil {
			return nil, fmt.Errorf("scan chain: %w", err)
		}
		o.Type = market.OptionType(typ)
		if lastTrade.Valid {
			o.LastTradeTS = lastTrade.Time.UTC()
		}
		o.LastPrice, o.Bid, o.Ask, o.Change, o.PercentChange = nan(last), nan(bid), nan(ask), nan(chg), nan(pct)
		o.SourceIV, o.UnderlyingPrice, o.Mid, o.IV, o.Delta, o.Gamma = nan(siv), nan(und), nan(mid), nan(iv), nan(d), nan(g)
		o.Theta, o.Vega, o.Rho, o.DaysToExpiry = nan(th), nan(v), nan(rho), nan(dte)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read chain: %w", err)
	}
	return out, nil
}

// Smile is one expiration's implied-volatility smile as the processor
// stored it in iv_smile: its points are out of the money from the forward
// (transform's one definition). Row.Smile, the points' JSON, is decoded
// into Points, each with the call's and the put's own IV at its strike.
type Smile struct {
	Row    market.IVSmile
	Points []SmilePoint
}

// SmilePoint is one strike of a stored smile and both sides' IV there
// (NaN where a side has none).
type SmilePoint struct {
	market.SmilePoint
	CallIV, PutIV float64
}

// Smiles reads the stored smiles of one snapshot, of one expiration (a
// date) or of all when expiration is zero, nearest first.
func (e *Engine) Smiles(ctx context.Context, symbol string, snap, expiration time.Time) ([]Smile, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("refresh views: %w", err)
	}
	cond, args := "symbol = ? AND snapshot_ts = ?", []any{symbol, snap}
	if !expiration.IsZero() {
		cond += " AND expiration = ?"
		args = append(args, expiration)
	}
	rows, err := e.db.QueryContext(ctx, `SELECT expiration, days_to_expiry, underlying_price, forward, atm_iv, call_25d_iv, put_25d_iv,
		skew_25d, butterfly_25d, points, smile FROM iv_smile WHERE `+cond+` ORDER BY expiration`, args...)
	if err != nil {
		return nil, fmt.Errorf("query iv_smile: %w", err)
	}
	defer rows.Close()
	out := []Smile{}
	for rows.Next() {
		r := market.IVSmile{Symbol: symbol, SnapshotTS: snap}
		var dte, und, fwd, atm, c25, p25, sk, bf sql.NullFloat64
		if err := rows.Scan(&r.Expiration, &dte, &und, &fwd, &atm, &c25, &p25, &sk, &bf, &r.Points, &r.Smile); err != nil {
			return nil, fmt.Errorf("scan iv_smile: %w", err)
		}
		r.DaysToExpiry, r.UnderlyingPrice, r.Forward, r.ATMIV = nan(dte), nan(und), nan(fwd), nan(atm)
		r.Call25IV, r.Put25IV, r.Skew25, r.Butterfly25 = nan(c25), nan(p25), nan(sk), nan(bf)
		var pts []market.SmilePoint
		if err := json.Unmarshal([]byte(r.Smile), &pts); err != nil {
			return nil, fmt.Errorf("iv_smile %s %s: points: %w", symbol, r.Expiration.Format(time.DateOnly), err)
		}
		sm := Smile{Row: r, Points: make([]SmilePoint, len(pts))}
		for i, p := range pts {
			sm.Points[i] = SmilePoint{SmilePoint: p, CallIV: math.NaN(), PutIV: math.NaN()}
		}
		out = append(out, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read iv_smile: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	return out, e.sideIVs(ctx, cond, args, out)
}

// sideIVs fills each smile point's call and put IV from the snapshot's
// quotes at its strike.
func (e *Engine) sideIVs(ctx context.Context, cond string, args []any, smiles []Smile) error {
	rows, err := e.db.QueryContext(ctx, `SELECT expiration, strike, max(iv) FILTER (WHERE option_type = 'call'),
		max(iv) FILTER (WHERE option_type = 'put') FROM option_quotes WHERE `+cond+` GROUP BY expiration, strike`, args...)
	if err != nil {
		return fmt.Errorf("query side ivs: %w", err)
	}
	defer rows.Close()
	type key struct {
		exp    string
		strike float64
	}
	at := map[key]*SmilePoint{}
	for i := range smiles {
		exp := smiles[i].Row.Expiration.Format(time.DateOnly)
		for j := range smiles[i].Points {
			at[key{exp, smiles[i].Points[j].Strike}] = &smiles[i].Points[j]
		}
	}
	for rows.Next() {
		var (
			exp      time.Time
			strike   float64
			civ, piv sql.NullFloat64
		)
		if err := rows.Scan(&exp, &strike, &civ, &piv); err != nil {
			return fmt.Errorf("scan side ivs: %w", err)
		}
		if p := at[key{exp.Format(time.DateOnly), strike}]; p != nil {
			p.CallIV, p.PutIV = nan(civ), nan(piv)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read side ivs: %w", err)
	}
	return nil
}

// ContractQuery selects the history of one option contract: the newest
// Limit snapshots between From and To (zero: unbounded).
type ContractQuery struct {
	Contract string
	From, To time.Time
	Limit    int
}

// ContractHistory reads one contract's quotes, oldest first; Symbol,
// OptionType, Expiration and Strike are the same on every one.
func (e *Engine) ContractHistory(ctx context.Context, q ContractQuery) ([]market.OptionQuote, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("refresh views: %w", err)
	}
	sqlText := `SELECT snapshot_ts, symbol, option_type, expiration, strike, underlying_price, bid, ask, mid, last_price, volume, open_interest,
		source_iv, iv, delta, gamma, theta, vega, rho FROM option_quotes WHERE contract_symbol = ?`
	args := []any{q.Contract}
	if !q.From.IsZero() {
		sqlText += " AND snapshot_ts >= ?"
		args = append(args, q.From)
	}
	if !q.To.IsZero() {
		sqlText += " AND snapshot_ts <= ?"
		args = append(args, q.To)
	}
	rows, err := e.db.QueryContext(ctx, "SELECT * FROM ("+sqlText+" ORDER BY snapshot_ts DESC LIMIT ?) ORDER BY snapshot_ts", append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("query contract: %w", err)
	}
	defer rows.Close()
	out := []market.OptionQuote{}
	for rows.Next() {
		o := market.OptionQuote{ContractSymbol: q.Contract}
		var (
			typ                                                 string
			und, bid, ask, mid, last, siv, iv, d, g, th, v, rho sql.NullFloat64
		)
		if err := rows.Scan(&o.SnapshotTS, &o.Symbol, &typ, &o.Expiration, &o.Strike, &und, &bid, &ask, &mid, &last, &o.Volume, &o.OpenInterest,
			&siv, &iv, &d, &g, &th, &v, &rho); err != nil {
			return nil, fmt.Errorf("scan contract: %w", err)
		}
		o.SnapshotTS, o.Type = o.SnapshotTS.UTC(), market.OptionType(typ)
		o.UnderlyingPrice, o.Bid, o.Ask, o.Mid, o.LastPrice = nan(und), nan(bid), nan(ask), nan(mid), nan(last)
		o.SourceIV, o.IV, o.Delta, o.Gamma, o.Theta, o.Vega, o.Rho = nan(siv), nan(iv), nan(d), nan(g), nan(th), nan(v), nan(rho)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read contract: %w", err)
	}
	return out, nil
}

// nan is a nullable float as the record types hold it: NaN for NULL.
func nan(n sql.NullFloat64) float64 {
	if !n.Valid {
		return math.NaN()
	}
	return n.Float64
}
