package sqlsink

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
)

// tableRows are rows projected onto one table, in its column order.
type tableRows struct {
	table *sink.Table
	rows  [][]any
}

// dialect is what differs between databases.
type dialect interface {
	// migrate applies the migrations not yet applied, under a lock held for
	// the whole run, and returns the versions it applied.
	migrate(ctx context.Context, migs []migration) ([]int, error)
	// upsert writes every batch in one transaction.
	upsert(ctx context.Context, batches []tableRows) error
	// classify wraps err with sink.Rejected or sink.Transient when it is one.
	classify(err error) error
	// queryInt runs a query returning one integer (for checks and tests).
	queryInt(ctx context.Context, query string) (int64, error)
	exec(ctx context.Context, query string) error
	quote(ident string) string
	close() error
}

// Config configures the sink.
type Config struct {
	// DSN selects the database and its dialect by scheme: postgres:// or
	// postgresql:// for PostgreSQL, sqlserver:// for SQL Server and Azure
	// SQL (with fedauth=... for Azure AD authentication).
	DSN string
	// BulkRows is the batch size from which a table's rows are bulk-loaded
	// into a staging table (COPY, bulk copy) and upserted from there rather
	// than sent as parameters (default 500).
	BulkRows int
	Log      *slog.Logger
}

// Sink writes the processed datasets to the warehouse tables.
type Sink struct {
	db  dialect
	log *slog.Logger
}

// Open connects, applies pending migrations, and returns the sink.
func Open(ctx context.Context, cfg Config) (*Sink, error) {
	if cfg.BulkRows == 0 {
		cfg.BulkRows = 500
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("sql dsn: not a URL")
	}
	var (
		db   dialect
		name string
	)
	switch u.Scheme {
	case "postgres", "postgresql":
		name = "postgres"
		db, err = openPostgres(ctx, cfg.DSN, cfg.BulkRows)
	case "sqlserver":
		name = "sqlserver"
		db, err = openSQLServer(ctx, cfg.DSN, cfg.BulkRows)
	default:
		return nil, fmt.Errorf("sql dsn %s: scheme %q is neither postgres:// nor sqlserver://", Redact(cfg.DSN), u.Scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Redact(cfg.DSN), err)
	}
	migs, err := migrations(name)
	if err != nil {
		_ = db.close()
		return nil, err
	}
	applied, err := db.migrate(ctx, migs)
	if err != nil {
		_ = db.close()
		return nil, fmt.Errorf("migrate %s: %w", Redact(cfg.DSN), err)
	}
	cfg.Log.Info("sql warehouse ready", "dsn", Redact(cfg.DSN), "dialect", name, "migrations_applied", applied, "schema_version", migs[len(migs)-1].version)
	return &Sink{db: db, log: cfg.Log}, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "sql" }

// Datasets implements sink.Sink.
func (s *Sink) Datasets() []*market.Dataset { return market.SQLDatasets() }

// Write upserts the rows of one dataset into its tables in one transaction.
func (s *Sink) Write(ctx context.Context, ds *market.Dataset, rows []sink.Row) error {
	var batches []tableRows
	for _, t := range sink.TablesOf(ds) {
		if r := t.Project(rows); len(r) > 0 {
			batches = append(batches, tableRows{table: t, rows: r})
		}
	}
	if len(batches) == 0 {
		return nil
	}
	if err := s.db.upsert(ctx, batches); err != nil {
		return s.db.classify(fmt.Errorf("upsert %d %s rows: %w", len(rows), ds.Name, err))
	}
	return nil
}

// Count returns the number of rows in a table.
func (s *Sink) Count(ctx context.Context, t *sink.Table) (int64, error) {
	return s.db.queryInt(ctx, "SELECT COUNT(*) FROM "+s.db.quote(t.Name))
}

// Close releases the connections.
func (s *Sink) Close() error { return s.db.close() }

// Redact hides the password of a DSN, in its user info or its query, for logs.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "<unparsable dsn>"
	}
	q := u.Query()
	for k := range q {
		if l := strings.ToLower(k); l == "password" || l == "pwd" || strings.Contains(l, "secret") {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// ingestedColumn is the table column holding the ingestion time: a row
// replaces a stored one only if it is at least as new.
func ingestedColumn(t *sink.Table) string {
	for _, c := range t.Columns {
		if c.Source.Name == "ingested_at" {
			return c.Name
		}
	}
	return ""
}
