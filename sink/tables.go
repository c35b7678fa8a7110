package sink

import (
	"fmt"
	"slices"

	"github.com/tickerlake/tickerlake/market"
)

// Table is one table of the original warehouse, filled from one dataset.
// The SQL sink creates and upserts these tables and the CSV export writes
// their layout, so BI tools and the original frontend keep working.
type Table struct {
	Name    string
	Dataset *market.Dataset
	Columns []TableColumn
	// OptionType, when set, keeps only the option quotes of that type: the
	// original stored calls and puts in separate tables.
	OptionType market.OptionType
}

// TableColumn is one column of a table and the dataset column it holds.
type TableColumn struct {
	Name   string        // as the original table spells it
	Source market.Column // type, key and nullability come from the dataset
	Index  int           // the source column's position in Row.Values
	// Length bounds a string column (key columns must be bounded to be
	// indexed by SQL Server); 0 means unbounded.
	Length int
	// Check, when set, is a condition on the column the database enforces,
	// written with %s for the quoted column name.
	Check string
}

// Key returns the table's natural-key columns.
func (t *Table) Key() []TableColumn {
	var k []TableColumn
	for _, c := range t.Columns {
		if c.Source.Key {
			k = append(k, c)
		}
	}
	return k
}

// Names returns the table's column names in order.
func (t *Table) Names() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// Project picks the table's rows out of dataset rows and orders their values
// as the table's columns.
func (t *Table) Project(rows []Row) [][]any {
	typeIdx := -1
	if t.OptionType != "" {
		for i, c := range t.Dataset.Columns {
			if c.Name == "option_type" {
				typeIdx = i
			}
		}
	}
	out := make([][]any, 0, len(rows))
	for _, r := range rows {
		if typeIdx >= 0 && r.Values[typeIdx] != string(t.OptionType) {
			continue
		}
		v := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			v[i] = r.Values[c.Index]
		}
		out = append(out, v)
	}
	return out
}

// col is shorthand for a table column holding dataset column src.
type col struct {
	name, src string
	length    int
	check     string
}

func table(name string, ds *market.Dataset, typ market.OptionType, cols ...col) *Table {
	t := &Table{Name: name, Dataset: ds, OptionType: typ}
	for _, c := range cols {
		src, ok := ds.Column(c.src)
		if !ok {
			panic(fmt.Sprintf("table %s: dataset %s has no column %q", name, ds.Name, c.src)) // a programming error below
		}
		t.Columns = append(t.Columns, TableColumn{Name: c.name, Source: src, Index: columnIndex(ds, c.src), Length: c.length, Check: c.check})
	}
	return t
}

// columnIndex is the position of a column in the dataset's rows.
func columnIndex(ds *market.Dataset, name string) int {
	for i, c := range ds.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

const (
	symbolLength   = 16
	contractLength = 32
	nonNegative    = "%s >= 0"
	positive       = "%s > 0"
)

func barColumns(timeName, timeSrc string) []col {
	return []col{
		{name: "StockName", src: "symbol", length: symbolLength},
		{name: timeName, src: timeSrc},
		{name: "Open", src: "open", check: positive},
		{name: "High", src: "high", check: positive},
		{name: "Low", src: "low", check: positive},
		{name: "Close", src: "close", check: positive},
		{name: "Volume", src: "volume", check: nonNegative},
		{name: "Imputed", src: "imputed"},
		{name: "IngestedAt", src: "ingested_at"},
	}
}

func optionColumns() []col {
	return []col{
		{name: "contractSymbol", src: "contract_symbol", length: contractLength},
		{name: "lastTradeDate", src: "last_trade_ts"},
		{name: "expirationDate", src: "expiration"},
		{name: "strike", src: "strike", check: positive},
		{name: "lastPrice", src: "last_price"},
		{name: "bid", src: "bid"},
		{name: "ask", src: "ask"},
		{name: "change", src: "change"},
		{name: "percentChange", src: "percent_change"},
		{name: "volume", src: "volume", check: nonNegative},
		{name: "openInterest", src: "open_interest", check: nonNegative},
		{name: "impliedVolatility", src: "source_iv"},
		{name: "inTheMoney", src: "in_the_money"},
		{name: "contractSize", src: "contract_size", length: 16},
		{name: "currency", src: "currency", length: 8},
		{name: "StockName", src: "symbol", length: symbolLength},
		// Beyond the original columns: the snapshot (part of the key, so
		// history is never overwritten) and the processor's analytics.
		{name: "snapshotTime", src: "snapshot_ts"},
		{name: "underlyingPrice", src: "underlying_price"},
		{name: "mid", src: "mid"},
		{name: "iv", src: "iv"},
		{name: "delta", src: "delta"},
		{name: "gamma", src: "gamma"},
		{name: "theta", src: "theta"},
		{name: "vega", src: "vega"},
		{name: "rho", src: "rho"},
		{name: "moneyness", src: "moneyness"},
		{name: "daysToExpiry", src: "days_to_expiry"},
		{name: "ingestedAt", src: "ingested_at"},
	}
}

// The warehouse's tables.
var (
	StockData      = table("StockData", market.DailyBars, "", barColumns("Date", "date")...)
	StockData15Min = table("StockData15Min", market.IntradayBars, "", barColumns("Datetime", "ts")...)
	CallOptions    = table("call_options", market.OptionQuotes, market.Call, optionColumns()...)
	PutOptions     = table("put_options", market.OptionQuotes, market.Put, optionColumns()...)
)

// Original lists the seed's warehouse tables, which keep its layouts; the
// first migration creates them.
func Original() []*Table { return []*Table{StockData, StockData15Min, CallOptions, PutOptions} }

// Tables lists the warehouse's tables in creation order: the original ones,
// then each further table the registry names (market.SQLDatasets), laid out
// as its dataset: the same column names, types, key and nullability.
func Tables() []*Table {
	out := Original()
	for _, ds := range market.SQLDatasets() {
		for _, name := range ds.SQLTables() {
			if !slices.ContainsFunc(out, func(t *Table) bool { return t.Name == name }) {
				out = append(out, datasetTable(name, ds))
			}
		}
	}
	return out
}

// datasetTable is a table laid out as its dataset; key strings are bounded
// so SQL Server can index them.
func datasetTable(name string, ds *market.Dataset) *Table {
	cols := make([]col, len(ds.Columns))
	for i, c := range ds.Columns {
		cols[i] = col{name: c.Name, src: c.Name}
		if c.Type == market.String && c.Key {
			cols[i].length = symbolLength
		}
	}
	return table(name, ds, "", cols...)
}

// TablesOf returns the tables filled from a dataset.
func TablesOf(ds *market.Dataset) []*Table {
	var out []*Table
	for _, t := range Tables() {
		if t.Dataset == ds {
			out = append(out, t)
		}
	}
	return out
}
