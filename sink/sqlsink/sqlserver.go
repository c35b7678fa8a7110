package sqlsink

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/azuread"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
)

// msMaxParams stays under SQL Server's 2100 parameters per request.
const msMaxParams = 2000

// msMigrationLock is the sp_getapplock resource serialising migrations.
const msMigrationLock = "tickerlake.migrations"

type sqlServer struct {
	db       *sql.DB
	bulkRows int
}

var msDDL = ddl{
	quote:    msQuote,
	typeName: msType,
	pkName:   func(t string) string { return "PK_" + t },
}

func msQuote(ident string) string { return "[" + strings.ReplaceAll(ident, "]", "]]") + "]" }

func msType(c sink.TableColumn) string {
	switch c.Source.Type {
	case market.Float64:
		return "FLOAT"
	case market.Int64:
		return "BIGINT"
	case market.Bool:
		return "BIT"
	case market.Timestamp:
		return "DATETIME2(6)" // microseconds, UTC, as the lake stores them
	case market.Date:
		return "DATE"
	}
	if c.Length > 0 {
		return fmt.Sprintf("NVARCHAR(%d)", c.Length)
	}
	return "NVARCHAR(MAX)"
}

// msDriver picks the driver a DSN asks for: Azure AD authentication
// (fedauth=ActiveDirectoryDefault, ActiveDirectoryServicePrincipal,
// ActiveDirectoryManagedIdentity, ...) needs the azuread driver.
func msDriver(dsn string) string {
	u, err := url.Parse(dsn)
	if err == nil {
		for k := range u.Query() {
			if strings.EqualFold(k, "fedauth") {
				return azuread.DriverName
			}
		}
	}
	return "sqlserver"
}

func openSQLServer(ctx context.Context, dsn string, bulkRows int) (*sqlServer, error) {
	db, err := sql.Open(msDriver(dsn), dsn)
	if err != nil {
		return nil, errors.New("parse sqlserver dsn") // its message may echo the password
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &sqlServer{db: db, bulkRows: bulkRows}, nil
}

func (s *sqlServer) quote(ident string) string { return msQuote(ident) }

func (s *sqlServer) close() error { return s.db.Close() }

func (s *sqlServer) queryInt(ctx context.Context, query string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, query).Scan(&n)
	return n, err
}

func (s *sqlServer) exec(ctx context.Context, query string) error {
	_, err := s.db.ExecContext(ctx, query)
	return err
}

// msLockSQL takes the migration lock for the session; a negative result
// means it was not granted.
const msLockSQL = `DECLARE @result INT;
EXEC @result = sp_getapplock @Resource = N'` + msMigrationLock + `', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 120000;
SELECT @result;`

const msUnlockSQL = `EXEC sp_releaseapplock @Resource = N'` + msMigrationLock + `', @LockOwner = 'Session';`

const msMigrationsTable = `IF OBJECT_ID(N'dbo.tickerlake_schema_migrations', N'U') IS NULL
CREATE TABLE dbo.tickerlake_schema_migrations (
    version INT NOT NULL PRIMARY KEY,
    name NVARCHAR(200) NOT NULL,
    applied_at DATETIME2(6) NOT NULL DEFAULT SYSUTCDATETIME()
);`

func (s *sqlServer) migrate(ctx context.Context, migs []migration) ([]int, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var granted int
	if err := conn.QueryRowContext(ctx, msLockSQL).Scan(&granted); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	if granted < 0 {
		return nil, fmt.Errorf("take migration lock: sp_getapplock returned %d", granted)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), msUnlockSQL) }()
	if _, err := conn.ExecContext(ctx, msMigrationsTable); err != nil {
		return nil, fmt.Errorf("create migrations table: %w", err)
	}
	done := map[int]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM dbo.tickerlake_schema_migrations")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		done[v] = true
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range migs {
		if done[m.version] {
			continue
		}
		err := inTx(ctx, conn, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO dbo.tickerlake_schema_migrations (version, name) VALUES (@p1, @p2)", m.version, m.name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}

// txBeginner is a *sql.DB or *sql.Conn.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func inTx(ctx context.Context, db txBeginner, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *sqlServer) upsert(ctx context.Context, batches []tableRows) error {
	// One connection for the transaction: temporary tables are per session.
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		for _, b := range batches {
			var err error
			if len(b.rows) >= s.bulkRows {
				err = s.bulkMerge(ctx, tx, b)
			} else {
				err = s.paramMerge(ctx, tx, b)
			}
			if err != nil {
				return fmt.Errorf("table %s: %w", b.table.Name, err)
			}
		}
		return nil
	})
}

// paramMerge sends the rows as parameters of MERGE statements.
func (s *sqlServer) paramMerge(ctx context.Context, tx *sql.Tx, b tableRows) error {
	return inChunks(b, msMaxParams, msParam, func(n int, args []any) error {
		_, err := tx.ExecContext(ctx, msMergeValuesSQL(b.table, n), args...)
		return err
	})
}

// msParam types a value for SQL Server: civil dates and date-times travel
// as DATE and DATETIME2 rather than DATETIMEOFFSET.
func msParam(c sink.TableColumn, v any) any {
	t, ok := v.(time.Time)
	if !ok {
		return v
	}
	if c.Source.Type == market.Date {
		return civil.DateOf(t)
	}
	return civil.DateTimeOf(t.UTC())
}

// bulkMerge bulk-copies the rows into a session temporary table, merges
// from it, and drops it.
func (s *sqlServer) bulkMerge(ctx context.Context, tx *sql.Tx, b tableRows) error {
	for _, q := range msStageSQL(b.table) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
	}
	stmt, err := tx.PrepareContext(ctx, mssqlCopyIn(b.table))
	if err != nil {
		return fmt.Errorf("bulk copy: %w", err)
	}
	for _, r := range b.rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			_ = stmt.Close()
			var me mssql.Error
			if c := s.classify(err); !errors.As(err, &me) && !sink.IsTransient(c) {
				// The driver buffers rows and converts them to the column
				// types itself: an error here that is neither the server's
				// nor the network's is this row's value.
				return sink.Rejected(fmt.Errorf("bulk copy: %w", err))
			}
			return fmt.Errorf("bulk copy: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil { // flushes the rows
		_ = stmt.Close()
		return fmt.Errorf("bulk copy: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("bulk copy: %w", err)
	}
	if _, err := tx.ExecContext(ctx, msMergeStageSQL(b.table)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "DROP TABLE "+msQuote(msStageName(b.table)))
	return err
}

func msStageName(t *sink.Table) string { return "#stage_" + t.Name }

// msStageSQL creates an empty session temporary table with the target's
// columns and types, dropping one left by an earlier failed transaction.
func msStageSQL(t *sink.Table) []string {
	stage := msQuote(msStageName(t))
	return []string{
		fmt.Sprintf("DROP TABLE IF EXISTS %s", stage),
		fmt.Sprintf("SELECT TOP 0 %s INTO %s FROM %s", msDDL.list(t.Names()), stage, msQuote(t.Name)),
	}
}

// msMergeValuesSQL merges n rows given as parameters @p1, @p2, ...
func msMergeValuesSQL(t *sink.Table, n int) string {
	values := valuesList(n, len(t.Columns), func(k int) string { return "@p" + strconv.Itoa(k) })
	return msMergeSQL(t, fmt.Sprintf("(VALUES %s) AS s (%s)", values, msDDL.list(t.Names())))
}

// msMergeStageSQL merges the staging table's rows.
func msMergeStageSQL(t *sink.Table) string {
	return msMergeSQL(t, msQuote(msStageName(t))+" AS s")
}

// msMergeSQL upserts from source (aliased s) on the natural key: a stored
// row is updated unless it was ingested later than the incoming one.
// HOLDLOCK makes the match-then-insert atomic against concurrent writers.
func msMergeSQL(t *sink.Table, source string) string {
	var on, sets, ins []string
	for _, c := range t.Key() {
		on = append(on, fmt.Sprintf("t.%s = s.%s", msQuote(c.Name), msQuote(c.Name)))
	}
	for _, c := range valueColumns(t) {
		sets = append(sets, fmt.Sprintf("%s = s.%s", msQuote(c), msQuote(c)))
	}
	for _, c := range t.Names() {
		ins = append(ins, "s."+msQuote(c))
	}
	matched := "WHEN MATCHED"
	if ing := ingestedColumn(t); ing != "" {
		matched += fmt.Sprintf(" AND t.%s <= s.%s", msQuote(ing), msQuote(ing))
	}
	return fmt.Sprintf("MERGE INTO %s WITH (HOLDLOCK) AS t\nUSING %s\nON %s\n%s THEN UPDATE SET %s\nWHEN NOT MATCHED BY TARGET THEN INSERT (%s) VALUES (%s);",
		msQuote(t.Name), source, strings.Join(on, " AND "), matched, strings.Join(sets, ", "),
		msDDL.list(t.Names()), strings.Join(ins, ", "))
}

// SQL Server error numbers by what they mean for a write.
var (
	// The rows themselves: NULL into NOT NULL, constraint conflicts,
	// truncation, overflow, conversion failures.
	msRejected = map[int32]bool{515: true, 547: true, 2601: true, 2627: true, 8152: true, 2628: true,
		8115: true, 220: true, 232: true, 241: true, 242: true, 245: true, 8114: true, 4815: true}
	// Worth retrying: deadlock victim, lock timeout, and Azure SQL's
	// documented transient errors (throttling, failover, reconfiguration).
	msTransient = map[int32]bool{1205: true, 1222: true, 4060: true, 4221: true, 40197: true, 40501: true,
		40613: true, 49918: true, 49919: true, 49920: true, 10928: true, 10929: true, 10053: true,
		10054: true, 10060: true, 233: true, 64: true, 121: true}
)

func (s *sqlServer) classify(err error) error {
	var me mssql.Error
	if errors.As(err, &me) {
		switch {
		case msRejected[me.Number]:
			return sink.Rejected(err)
		case msTransient[me.Number]:
			return sink.Transient(err)
		}
		return err
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return sink.Transient(err)
	}
	return err
}

// mssqlCopyIn is the bulk-copy statement for a table's staging table.
func mssqlCopyIn(t *sink.Table) string {
	return mssql.CopyIn(msStageName(t), mssql.BulkOptions{CheckConstraints: true}, t.Names()...)
}
