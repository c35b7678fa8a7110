package query

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// BarQuery selects one stock's bars, oldest first: daily bars of the
// session dates From through To, or the 15-minute bars whose start falls on
// those New York session dates. Limit and Offset page through them (Limit 0
// means all).
type BarQuery struct {
	Symbol   string // canonical; "" for every stock's, by time then symbol
	Intraday bool   // 15-minute bars rather than daily
	From, To time.Time
	// Adjusted puts every price on today's basis for splits and cash
	// dividends (see Adjustment).
	Adjusted      bool
	Limit, Offset int
}

// Bar is one OHLCV bar; T is the session date (daily) or the bar's start.
type Bar struct {
	Symbol                 string
	T                      time.Time
	Open, High, Low, Close float64
	Volume                 int64
	Imputed                bool
	// PriceFactor and VolumeFactor are what adjustment multiplied the
	// stored prices and volume by (1 when unadjusted).
	PriceFactor, VolumeFactor float64
}

// BarPage is one page of a BarQuery and the number of bars in its range.
type BarPage struct {
	Total int64
	Bars  []Bar
}

// Bars reads one page of a stock's bars from the lake's views.
func (e *Engine) Bars(ctx context.Context, q BarQuery) (BarPage, error) {
	if err := e.Refresh(ctx); err != nil {
		return BarPage{}, fmt.Errorf("refresh views: %w", err)
	}
	table, col, cond, args := q.where()
	var page BarPage
	if err := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", table, cond), args...).Scan(&page.Total); err != nil {
		return BarPage{}, fmt.Errorf("count bars: %w", err)
	}
	limit := "ALL"
	if q.Limit > 0 {
		limit = fmt.Sprint(q.Limit)
	}
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT symbol, %s, open, high, low, close, volume, imputed FROM %s WHERE %s ORDER BY %s, symbol LIMIT %s OFFSET ?",
		col, table, cond, col, limit), append(args, max(q.Offset, 0))...)
	if err != nil {
		return BarPage{}, fmt.Errorf("query bars: %w", err)
	}
	defer rows.Close()
	page.Bars = []Bar{}
	for rows.Next() {
		b := Bar{PriceFactor: 1, VolumeFactor: 1}
		if err := rows.Scan(&b.Symbol, &b.T, &b.Open, &b.High, &b.Low, &b.Close, &b.Volume, &b.Imputed); err != nil {
			return BarPage{}, fmt.Errorf("scan bars: %w", err)
		}
		page.Bars = append(page.Bars, b)
	}
	if err := rows.Err(); err != nil {
		return BarPage{}, fmt.Errorf("read bars: %w", err)
	}
	if q.Adjusted {
		adj := map[string]Adjustment{}
		for i := range page.Bars {
			b := &page.Bars[i]
			a, ok := adj[b.Symbol]
			if !ok {
				if a, err = e.Adjustment(ctx, b.Symbol); err != nil {
					return BarPage{}, err
				}
				adj[b.Symbol] = a
			}
			a.apply(b, q.Intraday)
		}
	}
	return page, nil
}

// where is the view, its time column and the condition with its arguments
// that select q's bars.
func (q BarQuery) where() (table, col, cond string, args []any) {
	table, col = market.DailyBars.Name, "date"
	args = []any{q.From, q.To}
	cond = "date >= ? AND date <= ?"
	if q.Intraday {
		table, col = market.IntradayBars.Name, "ts"
		cond = "ts >= ? AND ts < ?"
		args = []any{sessionStart(q.From), sessionStart(q.To.AddDate(0, 0, 1))}
	}
	if q.Symbol != "" {
		cond += " AND symbol = ?"
		args = append(args, q.Symbol)
	}
	return table, col, cond, args
}

// CopyBars has DuckDB write q's bars (as traded; Limit and Offset unused)
// to path with COPY, as CSV with a header row (format "csv") or as Parquet
// with zstd ("parquet"), oldest first.
func (e *Engine) CopyBars(ctx context.Context, q BarQuery, format, path string) error {
	opts, ok := map[string]string{"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet, COMPRESSION zstd"}[format]
	if !ok {
		return fmt.Errorf("copy bars: unknown format %q (csv or parquet)", format)
	}
	if err := e.Refresh(ctx); err != nil {
		return fmt.Errorf("refresh views: %w", err)
	}
	table, col, cond, args := q.where()
	// COPY takes no bind parameters: the values are inlined, each one a
	// quoted string or a time formatted here.
	for _, a := range args {
		var lit string
		switch v := a.(type) {
		case string:
			lit = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case time.Time:
			lit = "TIMESTAMPTZ '" + v.UTC().Format("2006-01-02 15:04:05") + "+00'"
			if !q.Intraday {
				lit = "DATE '" + v.Format(time.DateOnly) + "'"
			}
		}
		cond = strings.Replace(cond, "?", lit, 1)
	}
	stmt := fmt.Sprintf("COPY (SELECT symbol, %s, open, high, low, close, volume, imputed FROM %s WHERE %s ORDER BY %s, symbol) TO '%s' (%s)",
		col, table, cond, col, strings.ReplaceAll(path, "'", "''"), opts)
	if _, err := e.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("copy bars: %w", err)
	}
	return nil
}

// sessionStart is midnight in New York of a session date, as an instant.
func sessionStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, market.NewYork)
}

// Adjustment holds a stock's CRSP-style cumulative adjustment factors. Each
// corporate action e with ex-date x_e has a price factor f_e and a share
// factor s_e:
//
//	split n:d      f_e = d/n             s_e = n/d
//	dividend D     f_e = 1 - D/C_e       s_e = 1
//
// C_e being the stored close of the last session before x_e. A bar of
// session date t is adjusted by the product over the actions after it,
//
//	F(t) = prod_{x_e > t} f_e      V(t) = prod_{x_e > t} s_e
//
// prices times F(t), volume times V(t) (rounded), so bars on or after the
// newest action are as stored, and the adjusted closes' returns are total
// returns with dividends reinvested on the ex-date. A dividend with no close
// before it, or not below that close, has no factor.
type Adjustment struct {
	steps []adjustStep // by ex-date, oldest first
}

type adjustStep struct {
	exDate        time.Time
	price, shares float64 // cumulative F and V of a bar dated before exDate
}

// Adjustment reads a stock's corporate actions and the closes before its
// dividends, and builds its factors.
func (e *Engine) Adjustment(ctx context.Context, symbol string) (Adjustment, error) {
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf(`SELECT a.ex_date, a.action, a.amount, a.numerator, a.denominator,
		(SELECT b.close FROM %s b WHERE b.symbol = a.symbol AND b.date < a.ex_date ORDER BY b.date DESC LIMIT 1)
		FROM %s a WHERE a.symbol = ? ORDER BY a.ex_date, a.action`, market.DailyBars.Name, market.CorporateActions.Name), symbol)
	if err != nil {
		return Adjustment{}, fmt.Errorf("query corporate actions: %w", err)
	}
	defer rows.Close()
	var acts []action
	for rows.Next() {
		var (
			a                     action
			amount, num, den, prv *float64
		)
		if err := rows.Scan(&a.exDate, &a.kind, &amount, &num, &den, &prv); err != nil {
			return Adjustment{}, fmt.Errorf("scan corporate actions: %w", err)
		}
		a.amount, a.num, a.den, a.prevClose = deref(amount), deref(num), deref(den), deref(prv)
		acts = append(acts, a)
	}
	if err := rows.Err(); err != nil {
		return Adjustment{}, fmt.Errorf("read corporate actions: %w", err)
	}
	return adjustmentOf(acts), nil
}

// action is one corporate action and the close before it.
type action struct {
	exDate                      time.Time
	kind                        string
	amount, num, den, prevClose float64 // NaN when absent
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// adjustmentOf folds actions (by ex-date) into cumulative factors, newest
// first: each step's factors cover it and every later action.
func adjustmentOf(acts []action) Adjustment {
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].exDate.Before(acts[j].exDate) })
	steps := make([]adjustStep, len(acts))
	price, shares := 1.0, 1.0
	for i := len(acts) - 1; i >= 0; i-- {
		a := acts[i]
		switch a.kind {
		case market.ActionSplit:
			if a.num > 0 && a.den > 0 {
				price *= a.den / a.num
				shares *= a.num / a.den
			}
		case market.ActionDividend:
			if a.amount > 0 && a.prevClose > a.amount {
				price *= 1 - a.amount/a.prevClose
			}
		}
		steps[i] = adjustStep{exDate: a.exDate, price: price, shares: shares}
	}
	return Adjustment{steps: steps}
}

// Factors returns F(t) and V(t) for a bar of session date d (00:00 UTC).
func (a Adjustment) Factors(d time.Time) (price, shares float64) {
	// The first action after d carries the product of it and all later ones.
	i := sort.Search(len(a.steps), func(i int) bool { return a.steps[i].exDate.After(d) })
	if i == len(a.steps) {
		return 1, 1
	}
	return a.steps[i].price, a.steps[i].shares
}

// apply adjusts a bar; a 15-minute bar is dated by its New York session.
func (a Adjustment) apply(b *Bar, intraday bool) {
	d := b.T.UTC()
	if intraday {
		d = market.DateOf(b.T)
	}
	f, v := a.Factors(d)
	b.Open, b.High, b.Low, b.Close = b.Open*f, b.High*f, b.Low*f, b.Close*f
	b.Volume = int64(math.Round(float64(b.Volume) * v))
	b.PriceFactor, b.VolumeFactor = f, v
}
