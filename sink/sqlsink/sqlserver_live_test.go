//go:build mssql

package sqlsink

import (
	"os"
	"testing"
)

// TestSQLServer runs the warehouse test against a SQL Server or Azure SQL
// named by MSSQL_DSN. No SQL Server runs where CI does, so the test lives
// behind the mssql build tag instead of skipping there; the default suite
// pins the dialect's statements with the golden SQL of
// TestSQLServerStatements. Point it at a scratch database: the test drops
// and recreates the tables.
//
//	MSSQL_DSN='sqlserver://...' go test -tags mssql -run TestSQLServer ./sink/sqlsink/
func TestSQLServer(t *testing.T) {
	dsn := os.Getenv("MSSQL_DSN")
	if dsn == "" {
		t.Fatal("MSSQL_DSN is not set: -tags mssql asks for the live SQL Server test, which needs a server")
	}
	testWarehouse(t, dsn)
}
