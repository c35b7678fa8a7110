package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

// SQLRunner runs one read-only statement over the lake's views and returns
// at most limit rows; *query.Engine is one, with DuckDB's own guards behind
// this package's first check (CheckReadOnly).
type SQLRunner interface {
	ReadOnlyQuery(ctx context.Context, sql string, limit int) (*query.Result, error)
}

func (s *Server) sqlRunner() SQLRunner {
	if s.SQL != nil {
		return s.SQL
	}
	return s.Engine
}

// SQLInput is an ad-hoc query.
type SQLInput struct {
	Body struct {
		SQL   string `json:"sql" minLength:"1" maxLength:"20000" doc:"One read-only DuckDB statement over the lake's views (see the operation's summary)" example:"SELECT symbol, max(close) AS high FROM daily_bars GROUP BY symbol ORDER BY high DESC LIMIT 5"`
		Limit int    `json:"limit,omitempty" minimum:"1" maximum:"100000" default:"1000" doc:"Most rows returned; the server's cap (TICKERLAKE_SQL_MAX_ROWS, default 10000) applies"`
	}
}

// SQLColumn is a result column.
type SQLColumn struct {
	Name string `json:"name" example:"symbol"`
	Type string `json:"type" example:"VARCHAR" doc:"DuckDB type"`
}

// SQLOutput is a query's result.
type SQLOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Columns   []SQLColumn `json:"columns"`
		Rows      [][]any     `json:"rows" doc:"One array per row, values in column order"`
		RowCount  int         `json:"row_count"`
		Truncated bool        `json:"truncated" doc:"More rows matched than limit"`
		TookMS    float64     `json:"took_ms"`
	}
}

func (s *Server) runSQL(ctx context.Context, in *SQLInput) (*SQLOutput, error) {
	limit := in.Body.Limit
	if limit == 0 {
		limit = 1000
	}
	if limit > s.Config.SQLMaxRows {
		return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("limit %d is above this server's cap of %d rows", limit, s.Config.SQLMaxRows))
	}
	if err := CheckReadOnly(in.Body.SQL); err != nil {
		return nil, huma.Error403Forbidden("refused: " + err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, s.Config.SQLTimeout)
	defer cancel()
	start := time.Now()
	res, err := s.sqlRunner().ReadOnlyQuery(ctx, in.Body.SQL, limit+1)
	took := time.Since(start)
	s.Metrics.QuerySeconds.WithLabelValues("sql").Observe(took.Seconds())
	if err != nil {
		if errors.Is(err, query.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil, huma.NewError(http.StatusRequestTimeout, fmt.Sprintf("the query ran longer than %s", s.Config.SQLTimeout))
		}
		if errors.Is(err, query.ErrRefused) {
			return nil, huma.Error403Forbidden(duckdbMessage(err))
		}
		s.Log.Info("sql refused by duckdb", "request_id", RequestID(ctx), "err", err)
		return nil, huma.Error400BadRequest(duckdbMessage(err))
	}
	out := &SQLOutput{CacheControl: "no-store"}
	b := &out.Body
	b.Columns, b.Rows = []SQLColumn{}, [][]any{}
	for i, c := range res.Columns {
		t := ""
		if i < len(res.Types) {
			t = res.Types[i]
		}
		b.Columns = append(b.Columns, SQLColumn{Name: c, Type: t})
	}
	for i, row := range res.Rows {
		if i == limit {
			b.Truncated = true
			break
		}
		vals := make([]any, len(row))
		for j, v := range row {
			vals[j] = query.JSONValue(v)
		}
		b.Rows = append(b.Rows, vals)
	}
	b.RowCount, b.TookMS = len(b.Rows), float64(took.Microseconds())/1000
	return out, nil
}

// duckdbMessage keeps the useful first lines of a DuckDB error.
func duckdbMessage(err error) string {
	msg := err.Error()
	if len(msg) > 600 {
		msg = msg[:600] + "…"
	}
	return strings.TrimSpace(msg)
}

// CollectInput asks for one collection task.
type CollectInput struct {
	Kind string `path:"kind" enum:"daily,15min,historical,options" doc:"What to collect"`
	Body *struct {
		Symbols []string   `json:"symbols,omitempty" maxItems:"500" doc:"Symbols to collect; empty means the whole universe"`
		From    *time.Time `json:"from,omitempty" doc:"Window start; default by kind (daily: 7 days ago, 15min: 1 day ago, historical: 1 year ago, options: now)"`
		To      *time.Time `json:"to,omitempty" doc:"Window end (an option snapshot's instant); default now"`
	}
}

// CollectOutput is the published task.
type CollectOutput struct {
	Body struct {
		Task ingest.Task `json:"task"`
	}
}

func (s *Server) collect(ctx context.Context, in *CollectInput) (*CollectOutput, error) {
	if s.Collect == nil {
		return nil, huma.Error503ServiceUnavailable("collection triggers need Kafka: this api process has no brokers configured")
	}
	kind := ingest.Kind(in.Kind)
	window, err := kind.Window()
	if err != nil {
		return nil, huma.Error422UnprocessableEntity(err.Error())
	}
	to := s.Clock.Now().UTC().Truncate(time.Second)
	from := to.Add(-window)
	var symbols []string
	if in.Body != nil {
		if in.Body.To != nil {
			to = in.Body.To.UTC()
		}
		if in.Body.From != nil {
			from = in.Body.From.UTC()
		} else if in.Body.To != nil {
			from = to.Add(-window)
		}
		for _, sym := range in.Body.Symbols {
			c, ok := market.LookupCompany(sym)
			if !ok {
				return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("unknown symbol %q", sym))
			}
			symbols = append(symbols, c.Symbol)
		}
	}
	if from.After(to) {
		return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("from %s is after to %s", from.Format(time.RFC3339), to.Format(time.RFC3339)))
	}
	task := ingest.NewTask(kind, from, to, symbols...)
	if err := task.Validate(); err != nil {
		return nil, huma.Error422UnprocessableEntity(err.Error())
	}
	if err := s.Collect(ctx, task); err != nil {
		s.Log.Error("publish collection task", "task", task.ID, "err", err)
		return nil, huma.Error503ServiceUnavailable("could not publish the task to task-queue; try again")
	}
	s.Log.Info("collection triggered", "task", task.ID, "request_id", RequestID(ctx))
	out := &CollectOutput{}
	out.Body.Task = task
	return out, nil
}
