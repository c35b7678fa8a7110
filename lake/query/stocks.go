package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// The stock read models behind quotes and movers, over the daily_bars and
// intraday_bars views. Each refreshes the views first.

// SessionBar is one bar of a session: T is the bar's start (15-minute) or
// the session date (daily).
type SessionBar struct {
	T                      time.Time
	Open, High, Low, Close float64
	Volume                 int64
}

// LatestSession reads the 15-minute bars of symbol's newest session, oldest
// first; none when it has no 15-minute bars.
func (e *Engine) LatestSession(ctx context.Context, symbol string) ([]SessionBar, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("refresh views: %w", err)
	}
	rows, err := e.db.QueryContext(ctx, `SELECT ts, open, high, low, close, volume FROM intraday_bars
		WHERE symbol = ? AND ts >= (SELECT max(ts) - INTERVAL 1 DAY FROM intraday_bars WHERE symbol = ?) ORDER BY ts`, symbol, symbol)
	if err != nil {
		return nil, fmt.Errorf("query latest session: %w", err)
	}
	defer rows.Close()
	var out []SessionBar
	for rows.Next() {
		var b SessionBar
		if err := rows.Scan(&b.T, &b.Open, &b.High, &b.Low, &b.Close, &b.Volume); err != nil {
			return nil, fmt.Errorf("scan latest session: %w", err)
		}
		b.T = b.T.UTC()
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read latest session: %w", err)
	}
	// The day before the newest bar may hold the previous session's end.
	if n := len(out); n > 0 {
		last := market.DateOf(out[n-1].T)
		i := n - 1
		for i > 0 && market.DateOf(out[i-1].T).Equal(last) {
			i--
		}
		out = out[i:]
	}
	return out, nil
}

// LastDaily is symbol's newest daily bar; ok is false when it has none.
func (e *Engine) LastDaily(ctx context.Context, symbol string) (b SessionBar, ok bool, err error) {
	if err := e.Refresh(ctx); err != nil {
		return b, false, fmt.Errorf("refresh views: %w", err)
	}
	err = e.db.QueryRowContext(ctx, `SELECT date, open, high, low, close, volume FROM daily_bars WHERE symbol = ? ORDER BY date DESC LIMIT 1`, symbol).
		Scan(&b.T, &b.Open, &b.High, &b.Low, &b.Close, &b.Volume)
	if errors.Is(err, sql.ErrNoRows) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("query last daily bar: %w", err)
	}
	return b, true, nil
}

// CloseBefore is symbol's close on the newest session before date; ok is
// false when there is none.
func (e *Engine) CloseBefore(ctx context.Context, symbol string, date time.Time) (float64, bool, error) {
	if err := e.Refresh(ctx); err != nil {
		return 0, false, fmt.Errorf("refresh views: %w", err)
	}
	var c sql.NullFloat64
	err := e.db.QueryRowContext(ctx, `SELECT close FROM daily_bars WHERE symbol = ? AND date < ? ORDER BY date DESC LIMIT 1`, symbol, date).Scan(&c)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("query previous close: %w", err)
	}
	return c.Float64, c.Valid, nil
}

// Mover is one stock's move over a period of sessions ending on the lake's
// newest session.
type Mover struct {
	Symbol    string
	Date      time.Time // the newest session
	Close     float64
	BaseClose float64 // the close the period's sessions are measured from
	Volume    int64   // traded over the period
}

// Movers ranks nothing: it reads, for every stock quoted on the newest
// session, its close, its close sessions earlier and its volume over the
// period; the caller ranks them.
func (e *Engine) Movers(ctx context.Context, sessions int) ([]Mover, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("refresh views: %w", err)
	}
	// Only symbols quoted on the newest session count, each against its own
	// close n sessions earlier.
	rows, err := e.db.QueryContext(ctx, `WITH newest AS (SELECT max(date) AS d FROM daily_bars),
	r AS (SELECT symbol, date, close, volume,
		row_number() OVER (PARTITION BY symbol ORDER BY date DESC) AS rn,
		sum(volume) OVER (PARTITION BY symbol ORDER BY date DESC ROWS BETWEEN CURRENT ROW AND ? FOLLOWING) AS vol
		FROM daily_bars WHERE date >= (SELECT d FROM newest) - INTERVAL 60 DAY)
	SELECT a.symbol, a.date, a.close, b.close, a.vol FROM r a JOIN r b ON a.symbol = b.symbol AND b.rn = ? + 1
	WHERE a.rn = 1 AND a.date = (SELECT d FROM newest) AND b.close > 0`, sessions-1, sessions)
	if err != nil {
		return nil, fmt.Errorf("query movers: %w", err)
	}
	defer rows.Close()
	var out []Mover
	for rows.Next() {
		var m Mover
		if err := rows.Scan(&m.Symbol, &m.Date, &m.Close, &m.BaseClose, &m.Volume); err != nil {
			return nil, fmt.Errorf("scan movers: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read movers: %w", err)
	}
	return out, nil
}

// Ping refreshes the views and runs a trivial query: the engine answers.
func (e *Engine) Ping(ctx context.Context) error {
	if err := e.Refresh(ctx); err != nil {
		return fmt.Errorf("refresh views: %w", err)
	}
	var one int
	return e.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Newest is a dataset's newest event time (ok false when it is empty) and
// its rows, as its view shows them: from the table's manifests when the
// dataset has a table, else by a scan of its view.
func (e *Engine) Newest(ctx context.Context, ds *market.Dataset) (last time.Time, ok bool, rows int64, err error) {
	if err := e.Refresh(ctx); err != nil {
		return time.Time{}, false, 0, fmt.Errorf("refresh views: %w", err)
	}
	// A table's manifests know both without a file fetched: this runs on
	// every freshness request and readiness probe, and must not cost a
	// scan of the whole dataset.
	e.mu.Lock()
	l := e.layouts[ds.Name]
	e.mu.Unlock()
	if l != nil {
		if last, ok, rows, known := l.newest(); known {
			return last, ok, rows, nil
		}
	}
	var t sql.NullTime
	q := fmt.Sprintf("SELECT max(%s)::TIMESTAMPTZ, count(*) FROM %s", ds.TimeCol, ds.Name)
	if err := e.db.QueryRowContext(ctx, q).Scan(&t, &rows); err != nil {
		return time.Time{}, false, 0, fmt.Errorf("newest %s: %w", ds.Name, err)
	}
	return t.Time.UTC(), t.Valid, rows, nil
}
