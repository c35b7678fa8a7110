package query

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// plannedConnector hands out DuckDB connections that plan each statement
// before running it (see plan): the views it reads are made temporary
// views of this connection over only the files the statement may read,
// fetched into the cache and held there while the views stand. So every
// caller of Engine.DB, not only Query, reads just what it needs.
type plannedConnector struct {
	inner driver.Connector
	e     *Engine
}

func (c *plannedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &plannedConn{inner: conn, e: c.e, views: map[string]installed{}}, nil
}

func (c *plannedConnector) Driver() driver.Driver { return c.inner.Driver() }

// installed is a temporary view of one connection and the hold on its files.
type installed struct {
	sql     string
	release func()
}

type plannedConn struct {
	inner driver.Conn
	e     *Engine
	views map[string]installed
}

// duckConn is what the engine needs of a DuckDB connection.
type duckConn interface {
	driver.Conn
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnBeginTx
	driver.NamedValueChecker
}

func (c *plannedConn) duck() (duckConn, error) {
	d, ok := c.inner.(duckConn)
	if !ok {
		return nil, errors.New("query engine: the DuckDB driver lacks context methods")
	}
	return d, nil
}

// install plans q and makes its views read what it needs.
func (c *plannedConn) install(ctx context.Context, q string, args []driver.NamedValue) error {
	d, err := c.duck()
	if err != nil {
		return err
	}
	views, err := c.e.viewsFor(ctx, q, args)
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(views))
	for i, name := range names {
		v := views[name]
		old, ok := c.views[name]
		if ok && old.sql == v.sql {
			v.release() // the installed view holds the same files
			continue
		}
		if _, err := d.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP VIEW %s AS %s", quoteIdent(name), v.sql), nil); err != nil {
			for _, rest := range names[i:] {
				views[rest].release()
			}
			return fmt.Errorf("create view %s: %w", name, err)
		}
		if ok {
			old.release()
		}
		c.views[name] = v
	}
	return nil
}

func (c *plannedConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.install(ctx, q, args); err != nil {
		return nil, err
	}
	d, _ := c.duck()
	return d.QueryContext(ctx, q, args)
}

func (c *plannedConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.install(ctx, q, args); err != nil {
		return nil, err
	}
	d, _ := c.duck()
	return d.ExecContext(ctx, q, args)
}

func (c *plannedConn) CheckNamedValue(nv *driver.NamedValue) error {
	d, err := c.duck()
	if err != nil {
		return err
	}
	return d.CheckNamedValue(nv)
}

func (c *plannedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	d, err := c.duck()
	if err != nil {
		return nil, err
	}
	return d.BeginTx(ctx, opts)
}

// Prepare returns a statement planned anew at each execution, since its
// arguments decide what it reads.
func (c *plannedConn) Prepare(q string) (driver.Stmt, error) { return &plannedStmt{c: c, q: q}, nil }

func (c *plannedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *plannedConn) Close() error {
	for _, v := range c.views {
		v.release()
	}
	c.views = nil
	return c.inner.Close()
}

type plannedStmt struct {
	c *plannedConn
	q string
}

func (s *plannedStmt) Close() error  { return nil }
func (s *plannedStmt) NumInput() int { return -1 }

func (s *plannedStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *plannedStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func (s *plannedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.q, args)
}

func (s *plannedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.q, args)
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}
