package sqlsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
)

// pgMigrationLock is the pg_advisory_lock key that serialises migrations
// across replicas starting at once.
const pgMigrationLock = 0x7469636b65726c // "tickerl"

// pgMaxParams is PostgreSQL's limit on bind parameters per statement.
const pgMaxParams = 65535

type postgres struct {
	pool     *pgxpool.Pool
	bulkRows int
}

var pgDDL = ddl{
	quote:    pgQuote,
	typeName: pgType,
	pkName:   func(t string) string { return t + "_pkey" },
}

func pgQuote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

func pgType(c sink.TableColumn) string {
	switch c.Source.Type {
	case market.Float64:
		return "DOUBLE PRECISION"
	case market.Int64:
		return "BIGINT"
	case market.Bool:
		return "BOOLEAN"
	case market.Timestamp:
		return "TIMESTAMPTZ"
	case market.Date:
		return "DATE"
	}
	if c.Length > 0 {
		return fmt.Sprintf("VARCHAR(%d)", c.Length)
	}
	return "TEXT"
}

func openPostgres(ctx context.Context, dsn string, bulkRows int) (*postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("parse postgres dsn") // its message may echo the password
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return &postgres{pool: pool, bulkRows: bulkRows}, nil
}

func (p *postgres) quote(ident string) string { return pgQuote(ident) }

func (p *postgres) close() error {
	p.pool.Close()
	return nil
}

func (p *postgres) queryInt(ctx context.Context, query string) (int64, error) {
	var n int64
	err := p.pool.QueryRow(ctx, query).Scan(&n)
	return n, err
}

func (p *postgres) exec(ctx context.Context, query string) error {
	_, err := p.pool.Exec(ctx, query)
	return err
}

const pgMigrationsTable = `CREATE TABLE IF NOT EXISTS tickerlake_schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

func (p *postgres) migrate(ctx context.Context, migs []migration) ([]int, error) {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	// A session lock: held across the migrations' own transactions.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(pgMigrationLock)); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		// Unlock on a context that outlives ctx; a lost session frees it anyway.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(pgMigrationLock))
	}()
	if _, err := conn.Exec(ctx, pgMigrationsTable); err != nil {
		return nil, fmt.Errorf("create migrations table: %w", err)
	}
	done := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM tickerlake_schema_migrations")
	if err != nil {
		return nil, err
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	for _, v := range versions {
		done[int(v)] = true
	}
	var applied []int
	for _, m := range migs {
		if done[m.version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO tickerlake_schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}

func (p *postgres) upsert(ctx context.Context, batches []tableRows) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		for _, b := range batches {
			var err error
			if len(b.rows) >= p.bulkRows {
				err = p.copyUpsert(ctx, tx, b)
			} else {
				err = p.insertUpsert(ctx, tx, b)
			}
			if err != nil {
				return fmt.Errorf("table %s: %w", b.table.Name, err)
			}
		}
		return nil
	})
}

// insertUpsert sends the rows as parameters, in as few statements as the
// parameter limit allows.
func (p *postgres) insertUpsert(ctx context.Context, tx pgx.Tx, b tableRows) error {
	asIs := func(_ sink.TableColumn, v any) any { return v }
	return inChunks(b, pgMaxParams, asIs, func(n int, args []any) error {
		_, err := tx.Exec(ctx, pgInsertSQL(b.table, n), args...)
		return err
	})
}

// copyUpsert COPYs the rows into a staging table that lives until the
// transaction ends, then upserts from it in one statement.
func (p *postgres) copyUpsert(ctx context.Context, tx pgx.Tx, b tableRows) error {
	stage := pgStageName(b.table)
	if _, err := tx.Exec(ctx, pgStageSQL(b.table)); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, b.table.Names(), pgx.CopyFromRows(b.rows)); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	_, err := tx.Exec(ctx, pgMergeFromStageSQL(b.table))
	return err
}

func pgStageName(t *sink.Table) string { return "tl_stage_" + t.Name }

// pgStageSQL creates the staging table: the target's columns and types, so
// COPY refuses what the target would.
func pgStageSQL(t *sink.Table) string {
	return fmt.Sprintf("CREATE TEMP TABLE %s (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP", pgQuote(pgStageName(t)), pgQuote(t.Name))
}

// pgInsertSQL upserts n rows given as parameters.
func pgInsertSQL(t *sink.Table, n int) string {
	values := valuesList(n, len(t.Columns), func(k int) string { return "$" + strconv.Itoa(k) })
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES %s%s", pgQuote(t.Name), pgDDL.list(t.Names()), values, pgConflictSQL(t))
}

// pgMergeFromStageSQL upserts the staging table's rows.
func pgMergeFromStageSQL(t *sink.Table) string {
	cols := pgDDL.list(t.Names())
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s%s", pgQuote(t.Name), cols, cols, pgQuote(pgStageName(t)), pgConflictSQL(t))
}

// pgConflictSQL updates a stored row with the same key unless it was
// ingested later than the incoming one, so a replay of older data never
// overwrites newer.
func pgConflictSQL(t *sink.Table) string {
	sets := make([]string, 0, len(t.Columns))
	for _, c := range valueColumns(t) {
		sets = append(sets, fmt.Sprintf("%s = EXCLUDED.%s", pgQuote(c), pgQuote(c)))
	}
	s := fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s", pgDDL.list(columnNames(t.Key())), strings.Join(sets, ", "))
	if ing := ingestedColumn(t); ing != "" {
		s += fmt.Sprintf(" WHERE %s.%s <= EXCLUDED.%s", pgQuote(t.Name), pgQuote(ing), pgQuote(ing))
	}
	return s
}

func (p *postgres) classify(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "22"), strings.HasPrefix(pg.Code, "23"):
			// Data exception or integrity constraint violation: the rows themselves.
			return sink.Rejected(err)
		case pg.Code == "40001", pg.Code == "40P01", strings.HasPrefix(pg.Code, "08"),
			strings.HasPrefix(pg.Code, "53"), strings.HasPrefix(pg.Code, "57P"):
			// Serialization failure, deadlock, connection, resources, shutdown.
			return sink.Transient(err)
		}
		return err
	}
	var netErr net.Error
	if pgconn.Timeout(err) || pgconn.SafeToRetry(err) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isConnectError(err) {
		return sink.Transient(err)
	}
	return err
}

func isConnectError(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}
