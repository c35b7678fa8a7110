package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// ErrRefused marks SQL that read-only querying does not run: anything but
// one SELECT, or a SELECT reaching outside the lake. Test with errors.Is.
var ErrRefused = errors.New("refused")

// ErrTimeout marks a read-only query stopped by the statement timeout.
var ErrTimeout = errors.New("statement timeout")

// readOnlyDB is a second in-memory DuckDB with the same views, locked down:
// it reads only the lake's directories, loads and installs no extensions,
// and its configuration cannot be changed by the SQL it runs.
type readOnlyDB struct {
	db        *sql.DB // planned, as Engine.DB
	raw       *sql.DB // unplanned, for parsing
	connector *duckdb.Connector
	limits    Limits
}

func openReadOnly(e *Engine, roots []string, l Limits) (*readOnlyDB, error) {
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("open read-only duckdb: %w", err)
	}
	dirs := make([]string, len(roots))
	for i, r := range roots {
		dirs[i] = quoteString(strings.TrimSuffix(r, "/") + "/")
	}
	setup := []string{
		"SET GLOBAL TimeZone = 'UTC'",
		"SET GLOBAL allowed_directories = [" + strings.Join(dirs, ", ") + "]",
		"SET GLOBAL enable_external_access = false",
		"SET GLOBAL autoinstall_known_extensions = false",
		"SET GLOBAL autoload_known_extensions = false",
		"SET GLOBAL allow_community_extensions = false",
		"SET GLOBAL memory_limit = " + quoteString(l.MemoryLimit),
		fmt.Sprintf("SET GLOBAL threads = %d", l.Threads),
		"SET GLOBAL lock_configuration = true",
	}
	conn, err := c.Connect(context.Background())
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("open read-only duckdb: %w", err)
	}
	for _, s := range setup {
		if _, err := conn.(driver.ExecerContext).ExecContext(context.Background(), s, nil); err != nil {
			conn.Close()
			c.Close()
			return nil, fmt.Errorf("read-only duckdb: %s: %w", s, err)
		}
	}
	if err := conn.Close(); err != nil {
		c.Close()
		return nil, fmt.Errorf("open read-only duckdb: %w", err)
	}
	return &readOnlyDB{db: sql.OpenDB(&plannedConnector{inner: c, e: e}), raw: sql.OpenDB(c), connector: c, limits: l}, nil
}

func (r *readOnlyDB) Close() error {
	err := r.db.Close()
	if rerr := r.raw.Close(); err == nil {
		err = rerr
	}
	if cerr := r.connector.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadOnlyQuery runs one SELECT statement from an untrusted caller over the
// lake's views (market.ViewNames) on the hardened
// read-only database, and returns at most limit rows (0 or more than the
// engine's MaxRows: MaxRows), setting Truncated when more matched.
//
// It refuses, with an error wrapping ErrRefused, anything but a single
// SELECT (SET, PRAGMA, COPY, ATTACH, INSTALL, LOAD, CREATE, INSERT, ...)
// and any read outside the lake's directories (/etc/passwd, other
// buckets). A query running past the statement timeout is interrupted and
// returns an error wrapping ErrTimeout; one over the memory limit fails
// with DuckDB's out-of-memory error. Other errors are the query's own
// (syntax, unknown column) and say so.
func (e *Engine) ReadOnlyQuery(ctx context.Context, q string, limit int) (*Result, error) {
	l := e.ro.limits
	if limit <= 0 || limit > l.MaxRows {
		limit = l.MaxRows
	}
	if err := e.Refresh(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	if err := e.ro.checkSelect(ctx, q); err != nil {
		return nil, err
	}
	q, err := rewriteNames(ctx, q, e.files)
	if err != nil {
		return nil, err
	}
	conn, err := e.ro.db.Conn(ctx)
	if err != nil {
		return nil, timeoutOr(ctx, err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, classify(ctx, err)
	}
	defer rows.Close()
	res, err := collectRows(rows, limit)
	if err != nil {
		return nil, classify(ctx, err)
	}
	return res, nil
}

// checkSelect lets through exactly one SELECT statement. DuckDB's own
// parser decides: json_serialize_sql serializes SELECT statements only.
// The statement is never executed here, and since the driver would run
// every statement but the last while preparing, a second one is refused
// before anything is prepared.
func (r *readOnlyDB) checkSelect(ctx context.Context, q string) error {
	var out string
	if err := r.raw.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", q).Scan(&out); err != nil {
		return timeoutOr(ctx, fmt.Errorf("parse query: %w", err))
	}
	var parsed struct {
		Error        bool              `json:"error"`
		ErrorType    string            `json:"error_type"`
		ErrorMessage string            `json:"error_message"`
		Statements   []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &parsed); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	switch {
	case parsed.Error && parsed.ErrorType == "parser":
		return fmt.Errorf("syntax error: %s", parsed.ErrorMessage)
	case parsed.Error:
		return fmt.Errorf("%w: only SELECT statements are allowed (%s)", ErrRefused, parsed.ErrorMessage)
	case len(parsed.Statements) != 1:
		return fmt.Errorf("%w: exactly one statement is allowed, got %d", ErrRefused, len(parsed.Statements))
	}
	return nil
}

// classify marks permission errors as refusals and interruptions by the
// deadline as timeouts.
func classify(ctx context.Context, err error) error {
	t, ok := errorOf(err)
	switch {
	case ok && t == duckdb.ErrorTypePermission:
		return fmt.Errorf("%w: the query reads outside the lake: %v", ErrRefused, err)
	case ok && t == duckdb.ErrorTypeCatalog && fileTableName.MatchString(err.Error()):
		// With external access off, DuckDB no longer reads a quoted file
		// name as a table, and says the table does not exist.
		return fmt.Errorf("%w: only the lake's views and files can be read: %v", ErrRefused, err)
	case ok && t == duckdb.ErrorTypeParser && strings.Contains(err.Error(), "single SELECT"):
		return fmt.Errorf("%w: only SELECT statements are allowed: %v", ErrRefused, err)
	}
	return timeoutOr(ctx, err)
}

// fileTableName matches DuckDB's complaint about a table named like a file.
var fileTableName = regexp.MustCompile(`Table with name [^ ]*[/\\.][^ ]* does not exist`)

func timeoutOr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: query interrupted: %v", ErrTimeout, err)
	}
	return err
}
