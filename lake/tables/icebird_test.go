package tables_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go/table"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// icebird is the second reader of the tables: scripts/icebird/read.mjs, a
// Node program around icebird (a JavaScript Iceberg reader that shares no
// code with iceberg-go), which prints a table's rows as JSON lines.
type icebird struct {
	node, script string
}

// icebirdReader returns the reader scripts/services/icebird.sh installed
// (TICKERLAKE_TEST_ICEBIRD, TICKERLAKE_TEST_NODE). Without it the test
// skips, or fails under CI=true.
func icebirdReader(t *testing.T) icebird {
	t.Helper()
	script := os.Getenv("TICKERLAKE_TEST_ICEBIRD")
	if script == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TICKERLAKE_TEST_ICEBIRD is not set under CI: scripts/services/icebird.sh did not run")
		}
		t.Skip("no icebird reader: run scripts/services/icebird.sh (bash scripts/test.sh does) and export what it prints")
	}
	node := os.Getenv("TICKERLAKE_TEST_NODE")
	if node == "" {
		node = "node"
	}
	return icebird{node: node, script: script}
}

// read runs the reader on a table's folder, at the metadata file named
// (the one version-hint.text names when ""), and renders its rows as
// renderRows does.
func (ib icebird) read(ctx context.Context, ds *market.Dataset, dir, metadataFile string) ([]string, error) {
	args := []string{ib.script, dir}
	if metadataFile != "" {
		args = append(args, metadataFile)
	}
	cmd := exec.CommandContext(ctx, ib.node, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("icebird %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	var out []string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		row, err := icebirdRow(ds, sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("icebird %s: %w", dir, err)
		}
		out = append(out, row)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

// icebirdFile is a live manifest entry of a snapshot as icebird decodes
// it (read.mjs --files).
type icebirdFile struct {
	Status             int            `json:"status"`
	Content            int            `json:"content"`
	FilePath           string         `json:"file_path"`
	FileFormat         string         `json:"file_format"`
	RecordCount        int64          `json:"record_count"`
	FileSizeInBytes    int64          `json:"file_size_in_bytes"`
	SpecID             *int           `json:"spec_id"`
	Partition          map[string]any `json:"partition"`
	SequenceNumber     *int64         `json:"sequence_number"`
	FileSequenceNumber *int64         `json:"file_sequence_number"`
}

// files runs the reader's --files on a table's folder.
func (ib icebird) files(ctx context.Context, dir string) ([]icebirdFile, error) {
	cmd := exec.CommandContext(ctx, ib.node, ib.script, "--files", dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("icebird --files %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	var out []icebirdFile
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	for dec.More() {
		var f icebirdFile
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("icebird --files %s: %w", dir, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// tableMetadata is what checkFiles takes from a metadata file, read as
// plain JSON.
type tableMetadata struct {
	CurrentSchemaID int `json:"current-schema-id"`
	Schemas         []struct {
		ID     int `json:"schema-id"`
		Fields []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"fields"`
	} `json:"schemas"`
	Specs []struct {
		ID     int `json:"spec-id"`
		Fields []struct {
			SourceID  int    `json:"source-id"`
			Name      string `json:"name"`
			Transform string `json:"transform"`
		} `json:"fields"`
	} `json:"partition-specs"`
}

// checkFiles compares the manifests of a table's current snapshot, as
// icebird decodes them, with the table as iceberg-go lists it and with the
// files themselves: the same data files, each of the size and row count
// its entry says, with sequence numbers, and whose every row's partition
// value (the spec's transform of its source column) is the entry's.
func checkFiles(t *testing.T, ib icebird, c *tables.Catalog, ds *market.Dataset, dir string) {
	t.Helper()
	ctx := context.Background()
	entries, err := ib.files(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.DataFiles(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(strings.TrimPrefix(tbl.MetadataLocation(), "file://"))
	if err != nil {
		t.Fatal(err)
	}
	var md tableMetadata
	if err := json.Unmarshal(raw, &md); err != nil {
		t.Fatalf("%s: metadata %s: %v", ds.Name, tbl.MetadataLocation(), err)
	}
	columns := map[int]string{}
	for _, sc := range md.Schemas {
		if sc.ID == md.CurrentSchemaID {
			for _, f := range sc.Fields {
				columns[f.ID] = f.Name
			}
		}
	}
	got := map[string]bool{}
	for _, e := range entries {
		if e.Content != 0 {
			continue // a delete file: no rows of its own to check here
		}
		got[e.FilePath] = true
		if e.SequenceNumber == nil || e.FileSequenceNumber == nil || e.SpecID == nil || e.FileFormat != "PARQUET" {
			t.Errorf("%s: manifest entry %+v lacks a sequence number, spec or Parquet format", ds.Name, e)
			continue
		}
		name := strings.TrimPrefix(e.FilePath, "file://")
		st, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: data file %s: %v", ds.Name, e.FilePath, err)
			continue
		}
		if st.Size() != e.FileSizeInBytes {
			t.Errorf("%s: data file %s: %d bytes, its manifest entry says %d", ds.Name, e.FilePath, st.Size(), e.FileSizeInBytes)
		}
		rows := readParquet(t, name)
		if rows.NumRows() != e.RecordCount {
			t.Errorf("%s: data file %s: %d rows, its manifest entry says %d", ds.Name, e.FilePath, rows.NumRows(), e.RecordCount)
		}
		var spec []struct {
			SourceID  int    `json:"source-id"`
			Name      string `json:"name"`
			Transform string `json:"transform"`
		}
		for _, sp := range md.Specs {
			if sp.ID == *e.SpecID {
				spec = sp.Fields
			}
		}
		if len(spec) != len(e.Partition) {
			t.Errorf("%s: data file %s: partition %v, spec %d has %d fields", ds.Name, e.FilePath, e.Partition, *e.SpecID, len(spec))
		}
		for _, pf := range spec {
			v, ok := e.Partition[pf.Name]
			if !ok {
				t.Errorf("%s: data file %s: no partition value %s in %v", ds.Name, e.FilePath, pf.Name, e.Partition)
				continue
			}
			if err := samePartition(rows, columns[pf.SourceID], pf.Transform, v); err != nil {
				t.Errorf("%s: data file %s: partition %s=%v: %v", ds.Name, e.FilePath, pf.Name, v, err)
			}
		}
		rows.Release()
	}
	if len(got) != len(want) {
		t.Errorf("%s: icebird finds %d data files in the snapshot, iceberg-go %d", ds.Name, len(got), len(want))
	}
	for f := range want {
		if !got[f] {
			t.Errorf("%s: iceberg-go lists data file %s, icebird does not", ds.Name, f)
		}
	}
}

// readParquet reads a Parquet file with arrow-go, apart from iceberg-go.
func readParquet(t *testing.T, name string) arrow.Table {
	t.Helper()
	pf, err := file.OpenParquetFile(name, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pf.Close() }()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return tbl
}

// samePartition checks that transform maps every value of column in rows
// to the partition value v (as icebird prints it: an integer, or an
// instant at midnight UTC for a day). It knows the transforms of dates
// and instants.
func samePartition(rows arrow.Table, column, transform string, v any) error {
	var want int64
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return err
		}
		want = n
	case string: // a date: days since 1970-01-01
		ts, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return err
		}
		want = ts.Unix() / 86400
	default:
		return fmt.Errorf("partition value of type %T", v)
	}
	idx := rows.Schema().FieldIndices(column)
	if len(idx) != 1 {
		return fmt.Errorf("no column %s", column)
	}
	for _, chunk := range rows.Column(idx[0]).Data().Chunks() {
		for i := 0; i < chunk.Len(); i++ {
			var ts time.Time
			switch a := chunk.(type) {
			case *array.Date32:
				ts = a.Value(i).ToTime()
			case *array.Timestamp:
				ts = a.Value(i).ToTime(a.DataType().(*arrow.TimestampType).Unit)
			default:
				return fmt.Errorf("column %s of type %s: transform %s not checked here", column, chunk.DataType(), transform)
			}
			ts = ts.UTC()
			var got int64
			switch transform {
			case "year":
				got = int64(ts.Year() - 1970)
			case "month":
				got = int64(ts.Year()-1970)*12 + int64(ts.Month()-1)
			case "day":
				got = int64(math.Floor(float64(ts.Unix()) / 86400))
			case "hour":
				got = int64(math.Floor(float64(ts.Unix()) / 3600))
			default:
				return fmt.Errorf("transform %s not checked here", transform)
			}
			if got != want {
				return fmt.Errorf("row %d: %s(%s) of %s is %d", i, transform, column, ts.Format(time.RFC3339Nano), got)
			}
		}
	}
	return nil
}

// icebirdRow renders one JSON line of the reader as renderRows does,
// refusing a value of the wrong type and a missing or extra column.
func icebirdRow(ds *market.Dataset, line []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return "", fmt.Errorf("row %s: %w", line, err)
	}
	if len(m) != len(ds.Columns) {
		return "", fmt.Errorf("row %s: %d columns, want %d", line, len(m), len(ds.Columns))
	}
	vals := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		v, ok := m[c.Name]
		if !ok {
			return "", fmt.Errorf("row %s: no column %s", line, c.Name)
		}
		if v == nil {
			vals[i] = "NULL"
			continue
		}
		var err error
		switch c.Type {
		case market.String:
			s, ok := v.(string)
			if !ok {
				err = fmt.Errorf("not a string")
			}
			vals[i] = strconv.Quote(s)
		case market.Bool:
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("not a boolean")
			}
			vals[i] = strconv.FormatBool(b)
		case market.Int64:
			var n int64
			if num, ok := v.(json.Number); ok {
				n, err = strconv.ParseInt(num.String(), 10, 64)
			} else {
				err = fmt.Errorf("not an integer")
			}
			vals[i] = strconv.FormatInt(n, 10)
		case market.Float64:
			var f float64
			switch x := v.(type) {
			case json.Number:
				f, err = strconv.ParseFloat(x.String(), 64)
			case string: // NaN, Infinity, -Infinity
				f, err = strconv.ParseFloat(x, 64)
			default:
				err = fmt.Errorf("not a number")
			}
			vals[i] = renderFloat(f)
		case market.Timestamp, market.Date:
			s, _ := v.(string)
			layout := time.RFC3339Nano
			if c.Type == market.Date {
				layout = time.DateOnly
			}
			var ts time.Time
			if ts, err = time.Parse(layout, s); err == nil {
				vals[i] = renderTime(c, ts)
			}
		}
		if err != nil {
			return "", fmt.Errorf("row %s: column %s: %v: %w", line, c.Name, v, err)
		}
	}
	return strings.Join(vals, "|"), nil
}

// renderRows renders every column of an iceberg-go scan, one text per row
// in the dataset's column order, sorted: strings quoted, floats in their
// shortest exact form, timestamps in UTC to the microsecond, NULL for null.
func renderRows(t *testing.T, ds *market.Dataset, tbl arrow.Table) []string {
	t.Helper()
	var out []string
	rd := array.NewTableReader(tbl, 0)
	defer rd.Release()
	for rd.Next() {
		rec := rd.RecordBatch()
		cols := make([]arrow.Array, len(ds.Columns))
		for i, c := range ds.Columns {
			idx := rec.Schema().FieldIndices(c.Name)
			if len(idx) != 1 {
				t.Fatalf("%s: iceberg-go scan has no column %s", ds.Name, c.Name)
			}
			cols[i] = rec.Column(idx[0])
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			vals := make([]string, len(cols))
			for i, col := range cols {
				if col.IsNull(r) {
					vals[i] = "NULL"
					continue
				}
				switch a := col.(type) {
				case *array.String:
					vals[i] = strconv.Quote(a.Value(r))
				case *array.LargeString:
					vals[i] = strconv.Quote(a.Value(r))
				case *array.Boolean:
					vals[i] = strconv.FormatBool(a.Value(r))
				case *array.Int64:
					vals[i] = strconv.FormatInt(a.Value(r), 10)
				case *array.Float64:
					vals[i] = renderFloat(a.Value(r))
				case *array.Timestamp:
					vals[i] = renderTime(ds.Columns[i], a.Value(r).ToTime(a.DataType().(*arrow.TimestampType).Unit))
				case *array.Date32:
					vals[i] = renderTime(ds.Columns[i], a.Value(r).ToTime())
				default:
					t.Fatalf("%s: column %s of type %s has no rendering", ds.Name, ds.Columns[i].Name, col.DataType())
				}
			}
			out = append(out, strings.Join(vals, "|"))
		}
	}
	slices.Sort(out)
	return out
}

// viewRows renders every column of ds's view in the query engine (what
// tickerlake sql shows) as renderRows does.
func viewRows(t *testing.T, db *sql.DB, ds *market.Dataset) []string {
	t.Helper()
	names := make([]string, len(ds.Columns))
	for i, c := range ds.Columns {
		names[i] = c.Name
	}
	return laketest.SelectRows(t, db, ds, names, func(i int, v any) string {
		switch x := v.(type) {
		case nil:
			return "NULL"
		case string:
			return strconv.Quote(x)
		case bool:
			return strconv.FormatBool(x)
		case int64:
			return strconv.FormatInt(x, 10)
		case float64:
			return renderFloat(x)
		case time.Time:
			return renderTime(ds.Columns[i], x)
		}
		t.Fatalf("%s: column %s: %T has no rendering", ds.Name, names[i], v)
		return ""
	})
}

func renderFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func renderTime(c market.Column, ts time.Time) string {
	if c.Type == market.Date {
		return ts.Format(time.DateOnly)
	}
	return ts.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// diffRows says how two sorted renderings differ, "" when they do not.
func diffRows(a, b []string) string {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			i++
			j++
		case a[i] < b[j]:
			return fmt.Sprintf("%d rows vs %d; only in the first: %s", len(a), len(b), a[i])
		default:
			return fmt.Sprintf("%d rows vs %d; only in the second: %s", len(a), len(b), b[j])
		}
	}
	switch {
	case i < len(a):
		return fmt.Sprintf("%d rows vs %d; only in the first: %s", len(a), len(b), a[i])
	case j < len(b):
		return fmt.Sprintf("%d rows vs %d; only in the second: %s", len(a), len(b), b[j])
	}
	return ""
}

// TestIcebirdReadsWhatTheLakeShows reads every table with icebird, a
// reader of the Iceberg spec independent of the writer's iceberg-go, at
// points of a run from empty tables through new ranges, an exact replay, re-collections (whose
// copy-on-write replaces files), a writer crash leaving orphans, late data
// and a compaction, and compares every column of every row with
// iceberg-go's scan and with what the query engine's views show. Replaced
// files and orphans stay on disk (no janitor runs): only the snapshot says
// they are gone. An older metadata file, whose snapshot still holds a file
// a re-collection replaced, must read differently.
func TestIcebirdReadsWhatTheLakeShows(t *testing.T) {
	ib := icebirdReader(t)
	ctx := context.Background()
	root, st, c := dirLake(t)
	eng := openEngine(t, st)
	eng.RefreshEvery = 0
	w := laketest.Writer(st)
	w.Tables = c

	// Instants to the microsecond, so a reader that rounds them to the
	// millisecond shows.
	clock := time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC)
	next := map[string]int64{} // next offset per topic partition
	send := func(ds *market.Dataset, part int, rows any) []kafka.Message {
		tp := laketest.Topic(ds) + "/" + strconv.Itoa(part)
		msgs := laketest.Messages(t, ds, part, next[tp], 4, rows)
		next[tp] += int64(len(msgs))
		return msgs
	}
	write := func(msgs []kafka.Message) {
		t.Helper()
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string) {
		t.Run(name, func(t *testing.T) {
			if err := eng.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			for _, ds := range market.Datasets() {
				got, err := ib.read(ctx, ds, filepath.Join(root, ds.Name), "")
				if err != nil {
					t.Fatalf("%s: %v", ds.Name, err)
				}
				tbl, err := c.Reload(ctx, ds.Name)
				if err != nil {
					t.Fatal(err)
				}
				scan, err := c.Read(ctx, tbl)
				if err != nil {
					t.Fatal(err)
				}
				byGo := renderRows(t, ds, scan)
				scan.Release()
				if d := diffRows(got, byGo); d != "" {
					t.Errorf("%s: icebird and iceberg-go read the table differently: %s", ds.Name, d)
				}
				if d := diffRows(got, viewRows(t, eng.DB(), ds)); d != "" {
					t.Errorf("%s: icebird reads the table, the engine's view shows other rows: %s", ds.Name, d)
				}
				checkFiles(t, ib, c, ds, filepath.Join(root, ds.Name))
				t.Logf("%s: icebird reads %d rows", ds.Name, len(got))
			}
		})
	}

	// Tables created, nothing committed yet: no snapshot, no rows.
	for _, ds := range market.Datasets() {
		if _, err := c.Table(ctx, ds.Name); err != nil {
			t.Fatal(err)
		}
	}
	check("empty")

	// New ranges of every dataset; NULLs (NaN floats, zero times), an
	// integer past 2^53 and sub-millisecond times among them.
	daily := laketest.DailyBars([]string{"AAPL", "MSFT"}, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 5, clock)
	daily[0].Volume = 1<<53 + 1
	write(send(market.DailyBars, 0, daily))
	write(send(market.IntradayBars, 3, laketest.IntradayBars([]string{"AAPL", "NVDA"}, time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), clock)))
	snap := time.Date(2026, 11, 16, 20, 45, 0, 0, time.UTC) // 15:45 in New York
	chain := laketest.OptionChain("AAPL", snap, 2, 3, clock)
	chain[0].LastPrice, chain[1].IV, chain[2].Delta = math.NaN(), math.NaN(), math.NaN()
	chain[3].LastTradeTS = snap.Add(-90*time.Minute - 1500*time.Microsecond)
	write(send(market.OptionQuotes, 1, chain))
	// An evening snapshot: 20:30 in New York, the next day in UTC, in the
	// same New York date's folder.
	evening := time.Date(2026, 11, 17, 1, 30, 0, 0, time.UTC)
	write(send(market.OptionQuotes, 2, laketest.OptionChain("MSFT", evening, 1, 2, clock)))
	exp := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	write(send(market.IVSmiles, 1, []market.IVSmile{{SnapshotTS: snap, Symbol: "AAPL", Expiration: exp, DaysToExpiry: 3.8,
		UnderlyingPrice: 100.25, Forward: 100.3, ATMIV: math.NaN(), Call25IV: 0.31, Put25IV: 0.34, Skew25: 0.03,
		Butterfly25: 0.01, Points: 5, Smile: `[{"strike":100,"iv":0.3}]`, IngestedAt: clock},
		{SnapshotTS: evening, Symbol: "MSFT", Expiration: exp, DaysToExpiry: 3.2, UnderlyingPrice: 400, Forward: 400.1,
			ATMIV: 0.25, Call25IV: 0.24, Put25IV: 0.27, Skew25: 0.03, Butterfly25: 0.005, Points: 4, Smile: `[]`, IngestedAt: clock}}))
	write(send(market.CorporateActions, 0, []market.CorporateAction{
		{Symbol: "AAPL", ExDate: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), Action: market.ActionDividend, Amount: 0.26,
			Numerator: math.NaN(), Denominator: math.NaN(), IngestedAt: clock},
		{Symbol: "NVDA", ExDate: time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC), Action: market.ActionSplit, Amount: math.NaN(),
			Numerator: 10, Denominator: 1, IngestedAt: clock},
	}))
	replay := send(market.DailyBars, 1, laketest.DailyBars([]string{"NVDA"}, time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), 3, clock))
	write(replay)
	write(replay) // a replay of the same range adds nothing
	check("new")

	// Before the re-collection: the metadata file whose snapshot still
	// holds the file it replaces.
	before, err := c.Reload(ctx, market.DailyBars.Name)
	if err != nil {
		t.Fatal(err)
	}
	beforeFiles, err := c.DataFiles(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	// A re-collection of MSFT's bars: the file holding them is rewritten
	// without them (copy-on-write) and leaves the snapshot, not the disk.
	clock = clock.Add(time.Hour + 7*time.Microsecond)
	again := laketest.DailyBars([]string{"MSFT"}, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 5, clock)
	for i := range again {
		again[i].Close += 1
	}
	write(send(market.DailyBars, 2, again))
	// A writer crash: data objects written, no commit; the range comes again.
	crashed := send(market.DailyBars, 0, laketest.DailyBars([]string{"AMZN"}, time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), 3, clock))
	w.BeforeCommit = func(lake.Commit) error { return errCrash }
	if err := w.WriteBatch(ctx, crashed); !errors.Is(err, errCrash) {
		t.Fatalf("crash before the commit: %v", err)
	}
	w.BeforeCommit = nil
	write(crashed)
	// Late data into last year, and a re-collected option snapshot.
	write(send(market.DailyBars, 1, laketest.DailyBars([]string{"AAPL"}, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), 2, clock)))
	rechain := laketest.OptionChain("AAPL", snap, 1, 3, clock)
	write(send(market.OptionQuotes, 1, rechain))
	check("recollected")

	// A compaction merges each partition's files into one; what it
	// replaced stays on disk.
	comp := &lake.Compactor{Store: st, Tables: c, Clock: laketest.NewClock(clock.Add(time.Hour))}
	rep, err := comp.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.FilesReplaced == 0 {
		t.Fatalf("compaction replaced no file: %+v", rep)
	}
	clock = clock.Add(2 * time.Hour)
	write(send(market.IntradayBars, 3, laketest.IntradayBars([]string{"AAPL"}, time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), clock)))
	check("compacted")

	// Each table's folder holds Parquet files its snapshot no longer
	// names: a reader that went by the files on disk would be wrong.
	for _, ds := range []*market.Dataset{market.DailyBars, market.IntradayBars, market.OptionQuotes} {
		tbl, err := c.Reload(ctx, ds.Name)
		if err != nil {
			t.Fatal(err)
		}
		live, err := c.DataFiles(ctx, tbl)
		if err != nil {
			t.Fatal(err)
		}
		var stale int
		onDisk, err := st.List(ctx, ds.Name+"/")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range onDisk {
			if path.Ext(k) == ".parquet" && !live[c.Location("")+k] {
				stale++
			}
		}
		if stale == 0 {
			t.Errorf("%s: every Parquet file on disk is in the snapshot; the run should have left replaced ones", ds.Name)
		}
		t.Logf("%s: %d data files in the snapshot, %d Parquet files on disk it excludes", ds.Name, len(live), stale)
	}

	// The older metadata file: its snapshot holds a file since replaced
	// (still on disk). icebird must read it as iceberg-go reads that
	// snapshot, and the comparison with the view must then fail.
	ds := market.DailyBars
	now, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	nowFiles, err := c.DataFiles(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	var replaced []string
	for f := range beforeFiles {
		if !nowFiles[f] {
			if _, err := os.Stat(strings.TrimPrefix(f, "file://")); err == nil {
				replaced = append(replaced, f)
			}
		}
	}
	if len(replaced) == 0 {
		t.Fatal("the older snapshot holds no file the current one replaced that is still on disk")
	}
	old, err := ib.read(ctx, ds, filepath.Join(root, ds.Name), path.Base(before.MetadataLocation()))
	if err != nil {
		t.Fatal(err)
	}
	oldScan, err := before.Scan(table.WithSnapshotID(before.CurrentSnapshot().SnapshotID)).ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer oldScan.Release()
	if d := diffRows(old, renderRows(t, ds, oldScan)); d != "" {
		t.Errorf("%s at %s: icebird and iceberg-go read the older snapshot differently: %s", ds.Name, path.Base(before.MetadataLocation()), d)
	}
	// Rows only the older snapshot shows: those of the replaced file that
	// the re-collection superseded.
	view := viewRows(t, eng.DB(), ds)
	var stale []string
	for _, r := range old {
		if _, found := slices.BinarySearch(view, r); !found {
			stale = append(stale, r)
		}
	}
	if len(stale) == 0 || diffRows(old, view) == "" {
		t.Errorf("%s: icebird at the older metadata %s (holding replaced %v) shows no row the view does not: the comparison cannot fail",
			ds.Name, path.Base(before.MetadataLocation()), replaced)
	} else {
		t.Logf("%s at the older metadata file, whose snapshot holds %d files since replaced: %d rows the view no longer shows, such as %s",
			ds.Name, len(replaced), len(stale), stale[0])
	}

	// The reader goes by version-hint.text: a hint left at the older
	// metadata file reads the older snapshot, not the newest file in
	// metadata/.
	hint := filepath.Join(root, ds.Name, lake.MetadataDir, lake.VersionHint)
	current, err := os.ReadFile(hint)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hint, []byte(strings.TrimSuffix(path.Base(before.MetadataLocation()), ".metadata.json")), 0o644); err != nil {
		t.Fatal(err)
	}
	byHint, err := ib.read(ctx, ds, filepath.Join(root, ds.Name), "")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffRows(byHint, old); d != "" {
		t.Errorf("%s: icebird by a hint naming %s does not read that snapshot: %s", ds.Name, path.Base(before.MetadataLocation()), d)
	}
	if err := os.WriteFile(hint, current, 0o644); err != nil {
		t.Fatal(err)
	}
}
