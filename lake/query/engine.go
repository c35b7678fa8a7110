// Package query answers SQL over the lake with DuckDB: one view per dataset
// over the committed Parquet objects, refreshed as commits land.
package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/market"
)

// Engine runs SQL over the lake.
type Engine struct {
	db        *sql.DB
	connector *duckdb.Connector
	catalog   *lake.Catalog
	dir       *lake.Dir
	// RefreshEvery throttles how often the commit list is re-read (default 500ms).
	RefreshEvery time.Duration

	mu        sync.Mutex
	refreshed time.Time
	viewFiles map[string]int // files behind each view at the last refresh
}

// Open starts an in-memory DuckDB whose views read the lake in store.
func Open(store lake.Store) (*Engine, error) {
	dir, ok := store.(*lake.Dir)
	if !ok {
		return nil, fmt.Errorf("query engine: lake %s is not on the local filesystem", store)
	}
	c, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		for _, s := range []string{"SET TimeZone = 'UTC'"} {
			if _, err := ex.ExecContext(context.Background(), s, nil); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	return &Engine{db: sql.OpenDB(c), connector: c, catalog: &lake.Catalog{Store: store}, dir: dir,
		RefreshEvery: 500 * time.Millisecond, viewFiles: map[string]int{}}, nil
}

// Close releases DuckDB.
func (e *Engine) Close() error {
	err := e.db.Close()
	if cerr := e.connector.Close(); err == nil {
		err = cerr
	}
	return err
}

// DB is the underlying database, views included.
func (e *Engine) DB() *sql.DB { return e.db }

// Refresh re-creates the views whose committed files changed.
func (e *Engine) Refresh(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if time.Since(e.refreshed) < e.RefreshEvery && len(e.viewFiles) > 0 {
		return nil
	}
	for _, ds := range market.Datasets() {
		keys, err := e.catalog.Files(ctx, ds.Name, "parquet")
		if err != nil {
			return fmt.Errorf("list %s: %w", ds.Name, err)
		}
		if n, ok := e.viewFiles[ds.Name]; ok && n == len(keys) {
			continue // commit records only ever add files
		}
		files := make([]string, len(keys))
		for i, k := range keys {
			files[i] = e.dir.Path(k)
		}
		q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS %s", ds.Name, ds.ViewSQL(files))
		if _, err := e.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create view %s: %w", ds.Name, err)
		}
		e.viewFiles[ds.Name] = len(keys)
	}
	e.refreshed = time.Now()
	return nil
}

// Result is a query's answer.
type Result struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

// Query refreshes the views and runs q, returning at most limit rows
// (0 means all).
func (e *Engine) Query(ctx context.Context, q string, limit int, args ...any) (*Result, error) {
	if err := e.Refresh(ctx); err != nil {
		return nil, err
	}
	rows, err := e.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, c := range cols {
		res.Columns = append(res.Columns, c.Name())
		res.Types = append(res.Types, c.DatabaseTypeName())
	}
	for rows.Next() {
		if limit > 0 && len(res.Rows) >= limit {
			break
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
