package sqlsink

import (
	"fmt"
	"strings"

	"github.com/tickerlake/tickerlake/sink"
)

// ddl is how a dialect spells identifiers and column types.
type ddl struct {
	quote    func(string) string
	typeName func(sink.TableColumn) string
	// pkName names a table's primary-key constraint.
	pkName func(table string) string
}

// createTable is the DDL of a table, derived from its layout: types and
// nullability from the dataset's columns, the primary key from its natural
// key, and an index for reading one stock's rows in time order.
func (d ddl) createTable(t *sink.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (\n", d.quote(t.Name))
	for _, c := range t.Columns {
		fmt.Fprintf(&b, "    %s %s", d.quote(c.Name), d.typeName(c))
		if !c.Source.Nullable {
			b.WriteString(" NOT NULL")
		}
		if c.Check != "" {
			fmt.Fprintf(&b, " CHECK (%s)", fmt.Sprintf(c.Check, d.quote(c.Name)))
		}
		b.WriteString(",\n")
	}
	fmt.Fprintf(&b, "    CONSTRAINT %s PRIMARY KEY (%s)\n);\n", d.quote(d.pkName(t.Name)), d.list(columnNames(t.Key())))
	if idx := indexColumns(t); len(idx) > 0 {
		fmt.Fprintf(&b, "CREATE INDEX %s ON %s (%s);\n", d.quote("ix_"+t.Name+"_"+strings.Join(idx, "_")), d.quote(t.Name), d.list(idx))
	}
	return b.String()
}

// schema is the DDL of the original tables: the first migration. Each later
// table has a migration of its own (see TestLaterTablesHaveMigrations).
func (d ddl) schema() string {
	var parts []string
	for _, t := range sink.Original() {
		parts = append(parts, d.createTable(t))
	}
	return "-- The warehouse tables, derived from the datasets (see package sink).\n" + strings.Join(parts, "\n")
}

// indexColumns are the columns of the per-stock index: the option tables
// are keyed by contract, but read by underlying and snapshot.
func indexColumns(t *sink.Table) []string {
	if t.OptionType == "" {
		return nil // the key already starts with StockName
	}
	return []string{"StockName", "snapshotTime"}
}

func (d ddl) list(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = d.quote(n)
	}
	return strings.Join(q, ", ")
}

func columnNames(cols []sink.TableColumn) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// valueColumns are the columns an upsert updates: all but the key.
func valueColumns(t *sink.Table) []string {
	var out []string
	for _, c := range t.Columns {
		if !c.Source.Key {
			out = append(out, c.Name)
		}
	}
	return out
}

// valuesList renders n rows of cols parameter markers, "(m1, m2), (m3, m4)",
// numbering the markers from 1 with mark.
func valuesList(n, cols int, mark func(k int) string) string {
	var b strings.Builder
	k := 1
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := 0; j < cols; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(mark(k))
			k++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inChunks calls send with as many rows as fit in maxParams parameters,
// flattened, each value passed through param.
func inChunks(b tableRows, maxParams int, param func(c sink.TableColumn, v any) any, send func(n int, args []any) error) error {
	cols := len(b.table.Columns)
	per := maxParams / cols
	for start := 0; start < len(b.rows); start += per {
		chunk := b.rows[start:min(start+per, len(b.rows))]
		args := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			for i, v := range r {
				args = append(args, param(b.table.Columns[i], v))
			}
		}
		if err := send(len(chunk), args); err != nil {
			return err
		}
	}
	return nil
}
