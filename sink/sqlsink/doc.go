// Package sqlsink is the SQL warehouse sink: it keeps the original
// StockData, StockData15Min, call_options and put_options tables current in
// PostgreSQL or SQL Server / Azure SQL, with natural-key upserts.
//
// A dialect file per database (postgres.go, sqlserver.go) holds its SQL:
// upserts (INSERT ... ON CONFLICT; MERGE), bulk loads (COPY; bulk copy into a
// staging table, then the same upsert), the migration lock
// (pg_advisory_lock; sp_getapplock) and the classification of its errors
// into rejected rows and transient failures. The versioned migrations under
// migrations/<dialect>/ are embedded and applied at start; their first
// version is the DDL derived from the table layouts in package sink.
package sqlsink
