package sqlsink

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-sql/civil"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/tickerlake/tickerlake/sink"
)

var update = flag.Bool("update", false, "rewrite golden files and the first migrations from the table layouts")

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the generated SQL (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// The first migration of each dialect is the DDL derived from the table
// layouts; a column change needs a new migration and this file regenerated.
func TestFirstMigrationIsDerivedDDL(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		ddl     ddl
	}{{"postgres", pgDDL}, {"sqlserver", msDDL}} {
		t.Run(tc.dialect, func(t *testing.T) {
			golden(t, filepath.Join("migrations", tc.dialect, "0001_warehouse.sql"), tc.ddl.schema())
			migs, err := migrations(tc.dialect)
			if err != nil {
				t.Fatal(err)
			}
			if migs[0].version != 1 || migs[0].name != "warehouse" {
				t.Fatalf("first migration is %04d_%s", migs[0].version, migs[0].name)
			}
		})
	}
}

// Each table beyond the original ones is created by a migration of its own,
// NNNN_<table>.sql in table order after the first, holding its derived DDL.
func TestLaterTablesHaveMigrations(t *testing.T) {
	later := sink.Tables()[len(sink.Original()):]
	if len(later) == 0 {
		t.Fatal("no table beyond the original ones; corporate_actions should be one")
	}
	for _, tc := range []struct {
		dialect string
		ddl     ddl
	}{{"postgres", pgDDL}, {"sqlserver", msDDL}} {
		for i, tb := range later {
			name := fmt.Sprintf("%04d_%s.sql", i+2, strings.ToLower(tb.Name))
			golden(t, filepath.Join("migrations", tc.dialect, name), "-- The "+tb.Name+" table, derived from its dataset (see package sink).\n"+tc.ddl.createTable(tb))
		}
		migs, err := migrations(tc.dialect)
		if err != nil {
			t.Fatal(err)
		}
		if len(migs) != 1+len(later) {
			t.Errorf("%s: %d migrations for %d later tables", tc.dialect, len(migs), len(later))
		}
	}
}

// The SQL Server statements, exactly: no server runs them here, so their
// text is reviewed in testdata/sqlserver and pinned by this test.
func TestSQLServerStatements(t *testing.T) {
	for _, tb := range sink.Tables() {
		t.Run(tb.Name, func(t *testing.T) {
			var b strings.Builder
			section := func(title, sql string) { fmt.Fprintf(&b, "-- %s\n%s\n\n", title, strings.TrimSpace(sql)) }
			section("upsert of 2 rows given as parameters", msMergeValuesSQL(tb, 2))
			stage := msStageSQL(tb)
			section("staging table for bulk copy", strings.Join(stage, ";\n")+";")
			section("bulk copy into the staging table", mssqlCopyIn(tb))
			section("upsert from the staging table", msMergeStageSQL(tb))
			golden(t, filepath.Join("testdata", "sqlserver", tb.Name+".sql"), b.String())
		})
	}
	t.Run("migration lock", func(t *testing.T) {
		golden(t, filepath.Join("testdata", "sqlserver", "lock.sql"), msLockSQL+"\n\n"+msUnlockSQL+"\n\n"+msMigrationsTable+"\n")
	})
}

func TestPostgresStatements(t *testing.T) {
	for _, tb := range sink.Tables() {
		t.Run(tb.Name, func(t *testing.T) {
			var b strings.Builder
			fmt.Fprintf(&b, "-- upsert of 2 rows given as parameters\n%s;\n\n", pgInsertSQL(tb, 2))
			fmt.Fprintf(&b, "-- staging table for COPY\n%s;\n\n", pgStageSQL(tb))
			fmt.Fprintf(&b, "-- upsert from the staging table\n%s;\n", pgMergeFromStageSQL(tb))
			golden(t, filepath.Join("testdata", "postgres", tb.Name+".sql"), b.String())
		})
	}
}

// Parameters per statement stay under each server's limit for every table.
func TestChunksFitParameterLimits(t *testing.T) {
	for _, tb := range sink.Tables() {
		if n := (msMaxParams / len(tb.Columns)) * len(tb.Columns); n > 2100 {
			t.Errorf("%s: %d SQL Server parameters per statement", tb.Name, n)
		}
		if n := (pgMaxParams / len(tb.Columns)) * len(tb.Columns); n > 65535 {
			t.Errorf("%s: %d PostgreSQL parameters per statement", tb.Name, n)
		}
	}
}

func TestSQLServerDriverFollowsDSN(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"sqlserver://sa:pw@localhost:1433?database=tickerlake", "sqlserver"},
		{"sqlserver://server.database.windows.net?database=tl&fedauth=ActiveDirectoryDefault", "azuresql"},
		{"sqlserver://server.database.windows.net?database=tl&FedAuth=ActiveDirectoryManagedIdentity&user+id=abc", "azuresql"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			if got := msDriver(tc.dsn); got != tc.want {
				t.Errorf("driver %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u:secret@db:5432/x?sslmode=disable", "postgres://u:xxxxx@db:5432/x?sslmode=disable"},
		{"sqlserver://sa:p%40ss@h?database=d", "sqlserver://sa:xxxxx@h?database=d"},
		{"sqlserver://h?database=d&password=hunter2", "sqlserver://h?database=d&password=xxxxx"},
		{"postgres://h/x", "postgres://h/x"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			got := Redact(tc.dsn)
			if got != tc.want {
				t.Errorf("Redact = %q, want %q", got, tc.want)
			}
			if strings.Contains(got, "secret") || strings.Contains(got, "hunter2") || strings.Contains(got, "p@ss") {
				t.Errorf("password leaked: %s", got)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	pg := &postgres{}
	ms := &sqlServer{}
	for _, tc := range []struct {
		name      string
		classify  func(error) error
		err       error
		rejected  bool
		transient bool
	}{
		{"pg check violation", pg.classify, &pgconn.PgError{Code: "23514"}, true, false},
		{"pg value too long", pg.classify, &pgconn.PgError{Code: "22001"}, true, false},
		{"pg deadlock", pg.classify, &pgconn.PgError{Code: "40P01"}, false, true},
		{"pg shutting down", pg.classify, &pgconn.PgError{Code: "57P01"}, false, true},
		{"pg permission denied", pg.classify, &pgconn.PgError{Code: "42501"}, false, false},
		{"pg connection lost", pg.classify, fmt.Errorf("upsert: %w", io.ErrUnexpectedEOF), false, true},
		{"ms constraint", ms.classify, fmt.Errorf("merge: %w", mssql.Error{Number: 547}), true, false},
		{"ms truncation", ms.classify, mssql.Error{Number: 2628}, true, false},
		{"ms deadlock victim", ms.classify, mssql.Error{Number: 1205}, false, true},
		{"ms azure throttled", ms.classify, mssql.Error{Number: 40501}, false, true},
		{"ms login failed", ms.classify, mssql.Error{Number: 18456}, false, false},
		{"other", ms.classify, errors.New("boom"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.classify(tc.err)
			if sink.IsRejected(got) != tc.rejected || sink.IsTransient(got) != tc.transient {
				t.Errorf("classify(%v) = %v: rejected %v transient %v, want %v %v", tc.err, got,
					sink.IsRejected(got), sink.IsTransient(got), tc.rejected, tc.transient)
			}
			if !strings.Contains(got.Error(), tc.err.Error()) {
				t.Errorf("classify lost the cause: %v", got)
			}
		})
	}
}

// Dates and instants travel to SQL Server as DATE and DATETIME2 (civil
// types), never as DATETIMEOFFSET in the server's zone.
func TestSQLServerParams(t *testing.T) {
	cols := map[string]sink.TableColumn{}
	for _, c := range sink.CallOptions.Columns {
		cols[c.Name] = c
	}
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		col  string
		in   any
		want any
	}{
		{"expirationDate", time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC), civil.Date{Year: 2026, Month: 12, Day: 18}},
		{"snapshotTime", time.Date(2026, 11, 20, 16, 0, 0, 0, ny), civil.DateTime{Date: civil.Date{Year: 2026, Month: 11, Day: 20}, Time: civil.Time{Hour: 21}}},
		{"strike", 42.5, 42.5},
		{"lastPrice", nil, nil},
		{"contractSymbol", "AAPL261218C00200000", "AAPL261218C00200000"},
	} {
		t.Run(tc.col, func(t *testing.T) {
			if got := msParam(cols[tc.col], tc.in); got != tc.want {
				t.Errorf("msParam(%v) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}
