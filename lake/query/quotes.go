package query

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// QuoteQuery selects the quotes of every stock's newest option-chain
// snapshot, by symbol, expiration, strike and type. Zero fields do not
// filter; Limit and Offset page (Limit 0 means all).
type QuoteQuery struct {
	Expiration           time.Time         // a date
	Type                 market.OptionType // "" for both
	MinStrike, MaxStrike float64
	Limit, Offset        int
}

// QuotePage is one page of a QuoteQuery and the number of quotes it selects.
type QuotePage struct {
	Total  int64
	Quotes []market.OptionQuote
}

// LatestQuotes reads one page of the quotes of each stock's newest snapshot.
func (e *Engine) LatestQuotes(ctx context.Context, q QuoteQuery) (QuotePage, error) {
	if err := e.Refresh(ctx); err != nil {
		return QuotePage{}, fmt.Errorf("refresh views: %w", err)
	}
	ds := market.OptionQuotes
	var (
		cond []string
		args []any
	)
	if !q.Expiration.IsZero() {
		cond, args = append(cond, "o.expiration = ?"), append(args, q.Expiration)
	}
	if q.Type != "" {
		cond, args = append(cond, "o.option_type = ?"), append(args, string(q.Type))
	}
	if q.MinStrike > 0 {
		cond, args = append(cond, "o.strike >= ?"), append(args, q.MinStrike)
	}
	if q.MaxStrike > 0 {
		cond, args = append(cond, "o.strike <= ?"), append(args, q.MaxStrike)
	}
	where := ""
	if len(cond) > 0 {
		where = " WHERE " + strings.Join(cond, " AND ")
	}
	from := fmt.Sprintf(`%[1]s o JOIN (SELECT symbol, max(snapshot_ts) AS snap FROM %[1]s GROUP BY symbol) l
		ON o.symbol = l.symbol AND o.snapshot_ts = l.snap`, ds.Name) + where
	var page QuotePage
	if err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM "+from, args...).Scan(&page.Total); err != nil {
		return QuotePage{}, fmt.Errorf("count quotes: %w", err)
	}
	cols := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		cols[i] = "o." + c.Name
	}
	limit := "ALL"
	if q.Limit > 0 {
		limit = fmt.Sprint(q.Limit)
	}
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s ORDER BY o.symbol, o.expiration, o.strike, o.option_type LIMIT %s OFFSET ?",
		strings.Join(cols, ", "), from, limit), append(args, max(q.Offset, 0))...)
	if err != nil {
		return QuotePage{}, fmt.Errorf("query quotes: %w", err)
	}
	defer rows.Close()
	page.Quotes = []market.OptionQuote{}
	for rows.Next() {
		var oq market.OptionQuote
		if err := scanRow(rows, ds, reflect.ValueOf(&oq).Elem()); err != nil {
			return QuotePage{}, fmt.Errorf("scan quotes: %w", err)
		}
		page.Quotes = append(page.Quotes, oq)
	}
	if err := rows.Err(); err != nil {
		return QuotePage{}, fmt.Errorf("read quotes: %w", err)
	}
	return page, nil
}

// scanRow scans a row of ds's columns, in order, into row (a ds.RowType):
// NULL floats become NaN and NULL times the zero time, as the record types
// hold them.
func scanRow(rows *sql.Rows, ds *market.Dataset, row reflect.Value) error {
	dest := make([]any, len(ds.Columns))
	for i, c := range ds.Columns {
		switch c.Type {
		case market.String:
			dest[i] = new(sql.NullString)
		case market.Float64:
			dest[i] = new(sql.NullFloat64)
		case market.Int64:
			dest[i] = new(sql.NullInt64)
		case market.Bool:
			dest[i] = new(sql.NullBool)
		default:
			dest[i] = new(sql.NullTime)
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	for i, c := range ds.Columns {
		f := row.Field(c.Field)
		switch d := dest[i].(type) {
		case *sql.NullString:
			f.SetString(d.String)
		case *sql.NullFloat64:
			if d.Valid {
				f.SetFloat(d.Float64)
			} else {
				f.SetFloat(math.NaN())
			}
		case *sql.NullInt64:
			f.SetInt(d.Int64)
		case *sql.NullBool:
			f.SetBool(d.Bool)
		case *sql.NullTime:
			if d.Valid {
				f.Set(reflect.ValueOf(d.Time.UTC()))
			}
		}
	}
	return nil
}
