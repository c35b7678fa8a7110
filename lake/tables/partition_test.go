package tables_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// TestPartitionSpec checks that a new daily_bars table is partitioned by
// year(date), that each data file's partition value is the year of its
// lake folder, and that a scan filtered on a date plans files of that
// year only; intraday_bars, of instants, is partitioned by day(ts).
func TestPartitionSpec(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tables.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	w := laketest.Writer(st)
	w.Tables = c
	now := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	// Across New Year: a file per year.
	bars := laketest.DailyBars([]string{"AAPL", "MSFT"}, time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC), 20, now)
	if err := w.WriteBatch(ctx, laketest.Messages(t, market.DailyBars, 0, 0, 0, bars)); err != nil {
		t.Fatal(err)
	}
	// A re-collection of some days rewrites files of both years.
	again := laketest.DailyBars([]string{"AAPL"}, time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC), 5, now.Add(time.Hour))
	if err := w.WriteBatch(ctx, laketest.Messages(t, market.DailyBars, 0, 1, 0, again)); err != nil {
		t.Fatal(err)
	}
	intraday := laketest.IntradayBars([]string{"AAPL"}, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), now)
	if err := w.WriteBatch(ctx, laketest.Messages(t, market.IntradayBars, 0, 0, 0, intraday)); err != nil {
		t.Fatal(err)
	}

	tbl, err := c.Reload(ctx, market.DailyBars.Name)
	if err != nil {
		t.Fatal(err)
	}
	spec := tbl.Spec()
	if spec.NumFields() != 1 {
		t.Fatalf("daily_bars spec %s, want year(date)", spec)
	}
	f := spec.Field(0)
	if _, ok := f.Transform.(iceberg.YearTransform); !ok {
		t.Fatalf("daily_bars partition field %s, want year(date)", f.String())
	}
	partitionSummaries(t, tbl)
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	years := map[int]int{}
	for _, task := range tasks {
		dir := path.Base(path.Dir(task.File.FilePath()))
		y, err := strconv.Atoi(strings.TrimPrefix(dir, "year="))
		if err != nil {
			t.Fatalf("data file %s is not in a year= folder", task.File.FilePath())
		}
		v, ok := task.File.Partition()[f.FieldID]
		if !ok || v == nil {
			t.Fatalf("data file %s has no partition value", task.File.FilePath())
		}
		if got := int(v.(int32)); got != y-1970 {
			t.Errorf("data file %s: partition value %d, want %d (year %d)", task.File.FilePath(), got, y-1970, y)
		}
		years[y]++
	}
	if years[2025] == 0 || years[2026] == 0 {
		t.Fatalf("data files by year %v, want some of 2025 and of 2026", years)
	}
	pruned, err := tbl.Scan(table.WithRowFilter(iceberg.EqualTo(iceberg.Reference("date"), iceberg.Date(20460)))).PlanFiles(ctx) // 2026-01-07
	if err != nil {
		t.Fatal(err)
	}
	if len(pruned) == 0 {
		t.Error("a scan of 2026-01-07 plans no file")
	}
	for _, task := range pruned {
		if !strings.Contains(task.File.FilePath(), "/year=2026/") {
			t.Errorf("a scan of 2026-01-07 plans %s", task.File.FilePath())
		}
	}
	keys, _ := scanKeys(t, c, market.DailyBars)
	if len(keys) != len(bars) {
		t.Errorf("daily_bars holds %d keys, want %d", len(keys), len(bars))
	}

	itbl, err := c.Reload(ctx, market.IntradayBars.Name)
	if err != nil {
		t.Fatal(err)
	}
	if s := itbl.Spec(); s.NumFields() != 1 || s.Field(0).Transform.String() != "day" || s.Field(0).Name != "ts_day" {
		t.Errorf("intraday_bars spec %s, want day(ts)", s)
	}
}

// warnings is a logger's handler that keeps warnings and calls cancel at
// each.
type warnings struct {
	mu     sync.Mutex
	lines  []string
	cancel context.CancelFunc
}

func (h *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *warnings) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *warnings) WithGroup(string) slog.Handler                { return h }
func (h *warnings) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	h.mu.Lock()
	h.lines = append(h.lines, line)
	h.mu.Unlock()
	h.cancel()
	return nil
}

// eveningChains are option snapshots of symbol on New York's 2026-01-05
// (EST, UTC-5) at 15:00 and at 20:30 there, which is 01:30 UTC on
// 2026-01-06, and on 2026-01-06 at 10:00: the folder date=2026-01-05 holds
// rows of two UTC days.
func eveningChains(symbol string, ingested time.Time) []market.OptionQuote {
	var rows []market.OptionQuote
	for _, at := range []time.Time{
		time.Date(2026, 1, 5, 20, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 6, 1, 30, 0, 0, time.UTC),
		time.Date(2026, 1, 6, 15, 0, 0, 0, time.UTC),
	} {
		rows = append(rows, laketest.OptionChain(symbol, at, 2, 4, ingested)...)
	}
	return rows
}

// quoteRows renders option quotes as laketest.TableRows renders a table's.
func quoteRows(t *testing.T, rows []market.OptionQuote) []string {
	t.Helper()
	if k := market.OptionQuotes.Key(); !slices.Equal(k, []string{"snapshot_ts", "contract_symbol"}) {
		t.Fatalf("option_quotes key %v: quoteRows renders another", k)
	}
	out := make([]string, len(rows))
	for i, q := range rows {
		out[i] = strings.Join([]string{q.SnapshotTS.UTC().Format(time.RFC3339Nano), q.ContractSymbol, q.IngestedAt.UTC().Format(time.RFC3339Nano)}, "|")
	}
	sort.Strings(out)
	return out
}

// dayFiles checks that every data file of a day(ts)-partitioned table
// holds rows of the one UTC day its partition value names, and returns
// the files of a folder by that day.
func dayFiles(t *testing.T, c *tables.Catalog, st lake.Store, ds *market.Dataset, folder string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	spec := tbl.Spec()
	if spec.NumFields() != 1 || spec.Field(0).Transform.String() != "day" {
		t.Fatalf("%s spec %s, want day(%s)", ds.Name, spec, ds.TimeCol)
	}
	partitionSummaries(t, tbl)
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, task := range tasks {
		key := strings.TrimPrefix(task.File.FilePath(), c.Location(ds.Name)+"/")
		v, ok := task.File.Partition()[spec.Field(0).FieldID]
		if !ok || v == nil {
			t.Fatalf("data file %s has no partition value", key)
		}
		var days int64
		switch d := v.(type) {
		case iceberg.Date:
			days = int64(d)
		case int32:
			days = int64(d)
		default:
			t.Fatalf("data file %s has partition value %v of type %T, want days", key, v, v)
		}
		day := time.Unix(days*86400, 0).UTC().Format("2006-01-02")
		held, _ := laketest.UTCDays(t, st, ds, ds.Name+"/"+key)
		for _, d := range held {
			if d != day {
				t.Fatalf("data file %s, of partition %s, holds a row of UTC day %s", key, day, d)
			}
		}
		if path.Dir(key) == folder {
			out[day] = append(out[day], key)
		}
	}
	return out
}

// TestDayPartitionedInstants: a new option_quotes table is partitioned
// by day(snapshot_ts), the UTC day. Evening snapshots (after 19:00 New
// York, past UTC midnight) go to files of their UTC day in the folder of
// their New York date; iceberg-go adds them, gives each the partition
// value of all its rows, prunes by it, and scans back the rows written. A
// replay adds nothing, and a compaction merges each UTC day's files
// apart, keeping every row.
func TestDayPartitionedInstants(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.OptionQuotes
	w := laketest.Writer(st)
	w.Tables = c
	write := func(msgs []kafka.Message) {
		t.Helper()
		// The writer retries a commit the table refuses for ever: its
		// first warning stops it here.
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		warn := &warnings{cancel: cancel}
		w.Log = slog.New(warn)
		if err := w.WriteBatch(wctx, msgs); err != nil || len(warn.lines) > 0 {
			t.Fatalf("write: %v; %s", err, strings.Join(warn.lines, "; "))
		}
	}
	ing := time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC)
	rows := eveningChains("AAPL", ing)
	msgs := laketest.Messages(t, ds, 0, 0, 16, rows)
	write(msgs)
	more := eveningChains("MSFT", ing)
	write(laketest.Messages(t, ds, 1, 0, 16, more))
	want := quoteRows(t, append(slices.Clone(rows), more...))
	if got := laketest.TableRows(t, c, ds); !slices.Equal(got, want) {
		t.Fatalf("iceberg-go reads %d rows, want the %d written; first difference: %s", len(got), len(want), firstDiff(got, want))
	}
	byDay := dayFiles(t, c, st, ds, "date=2026-01-05")
	if len(byDay["2026-01-05"]) != 2 || len(byDay["2026-01-06"]) != 2 || len(byDay) != 2 {
		t.Fatalf("date=2026-01-05 data files by UTC day %v, want two of each day", byDay)
	}

	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	snapshots := len(tbl.Metadata().Snapshots())
	// The UTC day 2026-01-06: files of both folders.
	lo := time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC).UnixMicro()
	pruned, err := tbl.Scan(table.WithRowFilter(iceberg.NewAnd(
		iceberg.GreaterThanEqual(iceberg.Reference("snapshot_ts"), lo),
		iceberg.LessThan(iceberg.Reference("snapshot_ts"), lo+86400e6)))).PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	folders := map[string]int{}
	for _, task := range pruned {
		folders[path.Base(path.Dir(task.File.FilePath()))]++
	}
	if len(pruned) != 4 || folders["date=2026-01-05"] != 2 || folders["date=2026-01-06"] != 2 {
		t.Errorf("a scan of UTC day 2026-01-06 plans %d files by folder %v, want 2 of each folder", len(pruned), folders)
	}

	write(msgs)
	tbl, err = c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tbl.Metadata().Snapshots()); n != snapshots {
		t.Errorf("a replay made %d snapshots, want %d", n, snapshots)
	}

	rep, err := (&lake.Compactor{Store: st, Tables: c, Datasets: []*market.Dataset{ds}}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Partitions != 3 {
		t.Errorf("compaction merged %d groups, want 3 (date=2026-01-05 by UTC day, and date=2026-01-06)", rep.Partitions)
	}
	if got := laketest.TableRows(t, c, ds); !slices.Equal(got, want) {
		t.Errorf("after compaction iceberg-go reads %d rows, want the %d written; first difference: %s", len(got), len(want), firstDiff(got, want))
	}
	byDay = dayFiles(t, c, st, ds, "date=2026-01-05")
	if len(byDay["2026-01-05"]) != 1 || len(byDay["2026-01-06"]) != 1 || len(byDay) != 2 {
		t.Errorf("date=2026-01-05 data files by UTC day after compaction %v, want one of each day", byDay)
	}
}

// olderObject puts rows of ds as one object of the New York date folder
// of its first row, as a writer that did not split at UTC midnight made
// it, with the commit record of offsets first..last of the dataset's
// topic partition 0, recorded without key bounds; it returns its key.
func olderObject(t *testing.T, st lake.Store, ds *market.Dataset, first, last int64, rows any) string {
	t.Helper()
	ctx := context.Background()
	rec, err := ds.Record(memory.DefaultAllocator, rows)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	times, err := ds.TimesOf(rec)
	if err != nil || len(times) == 0 {
		t.Fatalf("times of %d rows: %v", rec.NumRows(), err)
	}
	data, err := lake.EncodeParquet(ds, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	cm := lake.Commit{Dataset: ds.Name, Topic: laketest.Topic(ds), FirstOffset: first, LastOffset: last, Rows: rec.NumRows(),
		MinTime: times[0], MaxTime: times[len(times)-1], SchemaVersion: market.SchemaVersion}
	key := path.Join(ds.Name, ds.PartitionOf(times[0]), fmt.Sprintf("%s-0-%020d-%020d.parquet", cm.Topic, first, last))
	cm.Files = []lake.File{{Key: key, Format: "parquet", Rows: cm.Rows}}
	body, err := json.Marshal(cm)
	if err != nil {
		t.Fatal(err)
	}
	for k, b := range map[string][]byte{key: data, cm.Key(): body} {
		if _, err := st.PutIfAbsent(ctx, k, b); err != nil {
			t.Fatal(err)
		}
	}
	return key
}

// TestMigrateSpanningUTCMidnight migrates a lake whose commit records make
// visible an option_quotes object an older writer made, holding rows of
// two UTC days: the new table is unpartitioned, the report and the log
// name the object, and the table reads every row; intraday_bars, whose
// objects each hold one UTC day, is partitioned by day(ts). The writer
// then goes on through both tables. A spanning object later recorded into
// the partitioned table makes Migrate fail naming it, changing nothing.
func TestMigrateSpanningUTCMidnight(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.OptionQuotes
	ing := time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC)
	rows := eveningChains("AAPL", ing)
	span := olderObject(t, st, ds, 0, 1, rows[:32]) // 20:00 UTC and 01:30 UTC
	laketest.Commit(t, st, ds, 1, 0, 16, eveningChains("MSFT", ing))
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	bars := laketest.IntradayBars([]string{"AAPL", "MSFT"}, day, ing)
	laketest.Commit(t, st, market.IntradayBars, 0, 0, 13, bars)

	for _, d := range market.Datasets() {
		rep, err := c.Migrate(ctx, d.Name)
		if err != nil {
			t.Fatalf("migrate %s: %v", d.Name, err)
		}
		want := ""
		if d == ds {
			want = span
		}
		if rep.Unpartitioned != want {
			t.Errorf("migrate %s: unpartitioned for %q, want %q", d.Name, rep.Unpartitioned, want)
		}
	}
	qtbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !qtbl.Spec().IsUnpartitioned() {
		t.Errorf("option_quotes spec %s, want unpartitioned", qtbl.Spec())
	}
	want := quoteRows(t, append(slices.Clone(rows[:32]), eveningChains("MSFT", ing)...))
	if got := laketest.TableRows(t, c, ds); !slices.Equal(got, want) {
		t.Errorf("iceberg-go reads %d rows, want %d; first difference: %s", len(got), len(want), firstDiff(got, want))
	}
	dayFiles(t, c, st, market.IntradayBars, "")
	if n := len(laketest.TableKeys(t, c, market.IntradayBars)); n != len(bars) {
		t.Errorf("intraday_bars holds %d keys, want %d", n, len(bars))
	}
	rep, err := c.Migrate(ctx, ds.Name)
	if err != nil || rep.Added != 0 || rep.Removed != 0 || rep.Unpartitioned != "" {
		t.Errorf("a second migration: %+v, %v; want nothing done", rep, err)
	}

	// Through the tables from here: the rest of the evening's snapshots.
	w := laketest.Writer(st)
	w.Tables = c
	if err := w.WriteBatch(ctx, laketest.Messages(t, ds, 0, 2, 16, rows[32:])); err != nil {
		t.Fatal(err)
	}
	if got := laketest.TableRows(t, c, ds); !slices.Equal(got, quoteRows(t, append(slices.Clone(rows), eveningChains("MSFT", ing)...))) {
		t.Errorf("after the writer's commit iceberg-go reads %d rows, want %d", len(got), len(rows)+16*3)
	}

	// An evening bar at 23:45 and one at 00:15 UTC, both of New York's
	// 2026-01-05, in one older object.
	late := []market.IntradayBar{bars[0], bars[1]}
	late[0].TS = time.Date(2026, 1, 5, 23, 45, 0, 0, time.UTC)
	late[1].TS = time.Date(2026, 1, 6, 0, 15, 0, 0, time.UTC)
	bad := olderObject(t, st, market.IntradayBars, 100, 100, late)
	itbl, err := c.Reload(ctx, market.IntradayBars.Name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Migrate(ctx, market.IntradayBars.Name)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "two UTC days") {
		t.Errorf("migrating a spanning object into a day(ts) table: %v, want an error naming %s", err, bad)
	}
	after, err := c.Reload(ctx, market.IntradayBars.Name)
	if err != nil {
		t.Fatal(err)
	}
	if after.MetadataLocation() != itbl.MetadataLocation() {
		t.Errorf("a refused migration moved intraday_bars from %s to %s", itbl.MetadataLocation(), after.MetadataLocation())
	}
}

// TestCommitRefusesAnObjectSpanningTwoDays: an object whose rows fall on
// two UTC days cannot be one data file of a day(ts) table. The commit
// fails at once with lake.ErrSpansPartitions, naming it, which the writer
// does not retry, and the table stays as it was.
func TestCommitRefusesAnObjectSpanningTwoDays(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.IntradayBars
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC)
	bars := laketest.IntradayBars([]string{"AAPL"}, day, ing)
	w := laketest.Writer(st)
	w.Tables = c
	if err := w.WriteBatch(ctx, laketest.Messages(t, ds, 0, 0, 13, bars)); err != nil {
		t.Fatal(err)
	}
	before, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if before.Spec().IsUnpartitioned() {
		t.Fatalf("%s is unpartitioned, want day(ts)", ds.Name)
	}

	late := []market.IntradayBar{bars[0], bars[1]}
	late[0].TS = time.Date(2026, 1, 5, 23, 45, 0, 0, time.UTC)
	late[1].TS = time.Date(2026, 1, 6, 0, 15, 0, 0, time.UTC)
	key := olderObject(t, st, ds, 100, 100, late)
	rec, err := ds.Record(memory.DefaultAllocator, late)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	cm := lake.Commit{Dataset: ds.Name, Topic: laketest.Topic(ds), FirstOffset: 100, LastOffset: 100, Rows: 2,
		Files: []lake.File{{Key: key, Format: "parquet", Rows: 2, Keys: lake.KeyRangesOf(ds, []arrow.RecordBatch{rec})}}}
	err = c.Commit(ctx, cm)
	if !errors.Is(err, lake.ErrSpansPartitions) || !strings.Contains(err.Error(), key) {
		t.Fatalf("commit of an object spanning two UTC days: %v, want ErrSpansPartitions naming %s", err, key)
	}
	after, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if after.MetadataLocation() != before.MetadataLocation() {
		t.Errorf("a refused commit moved %s from %s to %s", ds.Name, before.MetadataLocation(), after.MetadataLocation())
	}
}

// partitionSummaries checks that the manifest list of tbl's current
// snapshot summarises each manifest's one partition field.
func partitionSummaries(t *testing.T, tbl *table.Table) {
	t.Helper()
	for _, m := range currentManifests(t, tbl) {
		if len(m.Partitions()) != 1 {
			t.Errorf("manifest %s has %d partition summaries in the manifest list, want 1", m.FilePath(), len(m.Partitions()))
		}
	}
}

// currentManifests reads the manifest list of tbl's current snapshot.
func currentManifests(t *testing.T, tbl *table.Table) []iceberg.ManifestFile {
	t.Helper()
	fs, err := tbl.FS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	manifests, err := tbl.CurrentSnapshot().Manifests(fs)
	if err != nil {
		t.Fatal(err)
	}
	return manifests
}
