package tables_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// TestMigrateInPlace writes a lake with no catalog (re-collections that
// repeat keys, a compaction, more writes after it), migrates it: every
// table then reads what the query engine shows, from the lake's own
// objects; a second run changes nothing, and a replay of a migrated range
// through the catalog adds nothing.
func TestMigrateInPlace(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	w := laketest.Writer(st) // --catalog none
	ds := market.DailyBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	first := laketest.Messages(t, ds, 0, 0, 4, laketest.DailyBars([]string{"AAPL", "MSFT"}, day, 8, ing))
	next := int64(len(first))
	if err := w.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	write := func(part int, rows any) {
		msgs := laketest.Messages(t, ds, part, next, 4, rows)
		next += int64(len(msgs))
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	write(0, laketest.DailyBars([]string{"AAPL"}, day.AddDate(0, 0, 4), 6, ing.Add(time.Hour)))
	if _, err := (&lake.Compactor{Store: st, Grace: time.Hour}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	write(1, laketest.DailyBars([]string{"MSFT", "NVDA"}, day.AddDate(0, 0, 6), 4, ing.Add(2*time.Hour)))
	laketest.Commit(t, st, market.IntradayBars, 2, 0, 10, laketest.IntradayBars([]string{"AAPL", "NVDA"}, day, ing))

	for _, d := range market.Datasets() {
		rep, err := c.Migrate(ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %+v", d.Name, rep)
	}
	eng := openEngine(t, st)
	sameAsEngine(t, c, st, eng, nil)

	snapshots := map[string]int{}
	for _, d := range market.Datasets() {
		tbl, err := c.Reload(ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		snapshots[d.Name] = len(tbl.Metadata().Snapshots())
		rep, err := c.Migrate(ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 0 || rep.Removed != 0 {
			t.Errorf("%s: a second migration added %d and removed %d data files", d.Name, rep.Added, rep.Removed)
		}
	}
	w.Tables = c
	if err := w.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	for _, d := range market.Datasets() {
		tbl, err := c.Reload(ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(tbl.Metadata().Snapshots()); n != snapshots[d.Name] {
			t.Errorf("%s: %d snapshots after a second migration and a replay, %d before", d.Name, n, snapshots[d.Name])
		}
	}
	sameAsEngine(t, c, st, eng, nil)
}

// TestMigrateRefusesATableAhead: a table holding offsets the commit
// records lack (written through the catalog alone), or records naming an
// object the lake no longer holds, makes Migrate fail with ErrTableAhead
// and leave the table as it was.
func TestMigrateRefusesATableAhead(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.DailyBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	old := laketest.Writer(st) // the records alone
	first := laketest.Messages(t, ds, 0, 0, 4, laketest.DailyBars([]string{"AAPL"}, day, 4, ing))
	if err := old.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Migrate(ctx, ds.Name); err != nil {
		t.Fatal(err)
	}
	w := laketest.Writer(st)
	w.Tables = c
	next := laketest.Messages(t, ds, 0, int64(len(first)), 4, laketest.DailyBars([]string{"MSFT"}, day, 4, ing))
	if err := w.WriteBatch(ctx, next); err != nil {
		t.Fatal(err)
	}
	// The newer range is in the table alone, as a lake written through its
	// catalog keeps it.
	records, err := st.List(ctx, lake.CommitPrefix+"/"+ds.Name+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range records {
		if strings.Contains(k, fmt.Sprintf("-%020d-", len(first))) {
			if err := st.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := tableRows(t, c, ds)
	_, err = c.Migrate(ctx, ds.Name)
	if !errors.Is(err, tables.ErrTableAhead) || !strings.Contains(err.Error(), "tickerlake.through."+laketest.Topic(ds)+".0=") {
		t.Fatalf("migrating a table ahead of the records: %v, want ErrTableAhead naming the partition's offsets", err)
	}
	if after := tableRows(t, c, ds); after != before {
		t.Errorf("the refused migration changed the table: %d rows, %d before", after, before)
	}

	// Records naming an object the lake lacks: the table moved on and
	// the janitor removed it.
	keys, err := (&lake.Catalog{Store: st}).Files(ctx, ds.Name, "parquet")
	if err != nil {
		t.Fatal(err)
	}
	_, st2, c2 := dirLake(t) // the first range again, by its records alone
	if err := laketest.Writer(st2).WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := st2.Delete(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Migrate(ctx, ds.Name); !errors.Is(err, tables.ErrTableAhead) || !strings.Contains(err.Error(), keys[0]) {
		t.Fatalf("migrating records that name a removed object: %v, want ErrTableAhead naming %s", err, keys[0])
	}
}

// tableRows counts the rows of a dataset's table as iceberg-go reads it.
func tableRows(t *testing.T, c *tables.Catalog, ds *market.Dataset) int {
	t.Helper()
	n := 0
	for _, s := range laketest.TableKeys(t, c, ds) {
		n += s.N()
	}
	return n
}

// countCommits is a lake.Tables that counts the commits asked of it.
type countCommits struct {
	lake.Tables
	n int
}

func (c *countCommits) Commit(ctx context.Context, cm lake.Commit) error {
	c.n++
	return c.Tables.Commit(ctx, cm)
}

// TestUnmigratedLakeIsRefused: in a lake whose commit records no table
// holds yet, the writer, the compactor, retention and the janitor with
// tables stop with ErrNotMigrated, at once, creating no table and deleting
// nothing; after tickerlake migrate they work, and the refused range's
// replay commits it.
func TestUnmigratedLakeIsRefused(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.DailyBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	old := laketest.Writer(st) // an older tickerlake: records alone
	off := int64(0)
	for i, sym := range []string{"AAPL", "MSFT", "NVDA"} {
		msgs := laketest.Messages(t, ds, 0, off, 4, laketest.DailyBars([]string{sym}, day.AddDate(0, 0, i), 8, ing))
		off += int64(len(msgs))
		if err := old.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	oldRows := len(laketest.StoredKeys(t, st, ds))
	listing := func() []string {
		t.Helper()
		keys, err := st.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			if !strings.HasPrefix(k, "_locks/") {
				out = append(out, k)
			}
		}
		return out
	}
	noTable := func(who string) {
		t.Helper()
		for _, d := range market.Datasets() {
			if _, _, ok, err := c.Visible(ctx, d.Name, ""); err != nil || ok {
				t.Fatalf("after the refused %s: a table of %s (%v, %v), want none", who, d.Name, ok, err)
			}
		}
	}
	refused := func(who string, err error) {
		t.Helper()
		if !errors.Is(err, lake.ErrNotMigrated) || !strings.Contains(err.Error(), ds.Name+": ") || !strings.Contains(err.Error(), "run tickerlake migrate") {
			t.Fatalf("%s over an unmigrated lake: %v, want ErrNotMigrated naming %s", who, err, ds.Name)
		}
		noTable(who)
	}

	tbls := &countCommits{Tables: c}
	w := laketest.Writer(st)
	w.Tables = tbls
	next := laketest.Messages(t, ds, 0, off, 4, laketest.DailyBars([]string{"AMZN"}, day, 8, ing))
	refused("writer", w.WriteBatch(ctx, next))
	refused("writer, again", w.WriteBatch(ctx, next)) // nothing remembered a pass
	if tbls.n != 0 {
		t.Errorf("the refused writer asked the tables for %d commits", tbls.n)
	}
	before := listing()
	grace := laketest.NewClock(ing.AddDate(1, 0, 0)) // everything long past every grace
	_, err := (&lake.Compactor{Store: st, Tables: tbls, Clock: grace, Datasets: []*market.Dataset{ds}}).Run(ctx)
	refused("compactor", err)
	_, err = (&lake.Retention{Store: st, Tables: tbls, Clock: grace, Keep: map[string]time.Duration{ds.Name: 24 * time.Hour}}).Run(ctx)
	refused("retention", err)
	_, err = (&lake.Janitor{Store: st, Tables: tbls, Clock: grace, Grace: time.Nanosecond, Datasets: []*market.Dataset{ds}}).Run(ctx)
	refused("janitor", err)
	if after := listing(); !slices.Equal(before, after) {
		t.Errorf("the refused jobs changed the lake: %d objects, %d before", len(after), len(before))
	}
	if tbls.n != 0 {
		t.Errorf("the refused jobs asked the tables for %d commits", tbls.n)
	}
	if n := len(laketest.StoredKeys(t, st, ds)); n != oldRows {
		t.Errorf("%d keys visible after the refusals, %d before", n, oldRows)
	}

	if _, err := c.Migrate(ctx, ds.Name); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteBatch(ctx, next); err != nil { // the refused range, replayed
		t.Fatal(err)
	}
	if n, want := tableRows(t, c, ds), oldRows+8; n != want {
		t.Fatalf("after migrate and the replay: %d rows in the table, want %d", n, want)
	}
	rep, err := (&lake.Compactor{Store: st, Tables: tbls, Datasets: []*market.Dataset{ds}}).Run(ctx)
	if err != nil || rep.Partitions == 0 {
		t.Fatalf("compaction after migrate: %+v, %v", rep, err)
	}
	if n, want := tableRows(t, c, ds), oldRows+8; n != want {
		t.Errorf("after compaction: %d rows in the table, want %d", n, want)
	}
}

// TestHousekeepingGoesOnBesideAnUnmigratedDataset: one dataset still only
// in commit records does not hold up the others. Housekeeping compacts the
// dataset that has a table, leaves the other as it is, and reports the
// refusal once, naming it.
func TestHousekeepingGoesOnBesideAnUnmigratedDataset(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	old := laketest.Writer(st) // an older tickerlake: records alone
	daily := laketest.Messages(t, market.DailyBars, 0, 0, 4, laketest.DailyBars([]string{"AAPL"}, day, 8, ing))
	if err := old.WriteBatch(ctx, daily); err != nil {
		t.Fatal(err)
	}
	w := laketest.Writer(st)
	w.Tables = c
	off := int64(0)
	for _, sym := range []string{"AAPL", "MSFT", "NVDA"} {
		msgs := laketest.Messages(t, market.OptionQuotes, 0, off, 0, laketest.OptionChain(sym, day.Add(17*time.Hour), 2, 3, ing))
		off += int64(len(msgs))
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	files := func(ds *market.Dataset) int {
		t.Helper()
		_, fs, ok, err := c.Visible(ctx, ds.Name, "")
		if err != nil || !ok {
			t.Fatalf("table of %s: %v, %v", ds.Name, ok, err)
		}
		return len(fs)
	}
	if n := files(market.OptionQuotes); n != 3 {
		t.Fatalf("%d option files before housekeeping, want 3", n)
	}
	rows := tableRows(t, c, market.OptionQuotes)
	dailyBefore, err := st.List(ctx, market.DailyBars.Name+"/")
	if err != nil {
		t.Fatal(err)
	}
	h := &lake.Housekeeping{Store: st, Tables: c, Log: slog.New(slog.DiscardHandler), Clock: laketest.NewClock(ing.AddDate(0, 1, 0)),
		Keep: map[string]time.Duration{market.DailyBars.Name: 24 * time.Hour}}
	err = h.Once(ctx)
	if !errors.Is(err, lake.ErrNotMigrated) || strings.Count(err.Error(), market.DailyBars.Name+": ") != 1 {
		t.Fatalf("housekeeping: %v, want one ErrNotMigrated naming %s", err, market.DailyBars.Name)
	}
	if n := files(market.OptionQuotes); n != 1 {
		t.Errorf("%d option files after housekeeping, want them merged into 1", n)
	}
	if n := tableRows(t, c, market.OptionQuotes); n != rows {
		t.Errorf("%d option rows after housekeeping, want %d", n, rows)
	}
	if _, _, ok, err := c.Visible(ctx, market.DailyBars.Name, ""); err != nil || ok {
		t.Errorf("housekeeping made a table of the unmigrated dataset (%v, %v)", ok, err)
	}
	if after, err := st.List(ctx, market.DailyBars.Name+"/"); err != nil || !slices.Equal(after, dailyBefore) {
		t.Errorf("housekeeping changed the unmigrated dataset: %d objects, %d before (%v)", len(after), len(dailyBefore), err)
	}
}

// TestMigrateRefusesATableCompactedAlone: once a migrated table has been
// compacted (through the table alone, with no commit record), migrating
// again would swap the merged file back for the records' objects; it is
// refused with ErrTableAhead naming the merged file, and changes nothing.
func TestMigrateRefusesATableCompactedAlone(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.DailyBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	msgs := laketest.Messages(t, ds, 0, 0, 2, laketest.DailyBars([]string{"AAPL", "MSFT"}, day, 6, ing))
	old := laketest.Writer(st)
	for i := 0; i < len(msgs); i += 2 {
		if err := old.WriteBatch(ctx, msgs[i:min(i+2, len(msgs))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Migrate(ctx, ds.Name); err != nil {
		t.Fatal(err)
	}
	if rep, err := c.Migrate(ctx, ds.Name); err != nil || rep.Added != 0 || rep.Removed != 0 {
		t.Fatalf("a second migration before any other commit: %+v, %v; want nothing changed", rep, err)
	}
	if rep, err := (&lake.Compactor{Store: st, Tables: c}).Run(ctx); err != nil || rep.Partitions != 1 {
		t.Fatalf("compaction: %+v, %v", rep, err)
	}
	before, files := tableFiles(t, c, ds)
	_, err := c.Migrate(ctx, ds.Name)
	if !errors.Is(err, tables.ErrTableAhead) || !strings.Contains(err.Error(), "/compact-") {
		t.Fatalf("migrating a table compacted alone: %v, want ErrTableAhead naming the merged file", err)
	}
	after, again := tableFiles(t, c, ds)
	if after.MetadataLocation() != before.MetadataLocation() || len(again) != len(files) {
		t.Errorf("the refused migration changed the table: %s, %d files; was %s, %d", after.MetadataLocation(), len(again), before.MetadataLocation(), len(files))
	}
}

// TestMigrateRefusesAPartitionExpiredAlone: once retention has expired a
// partition of a migrated table (through the table alone, with no commit
// record), migrating again would bring back the objects the records still
// name there; it is refused with ErrTableAhead naming the partition, and
// changes nothing.
func TestMigrateRefusesAPartitionExpiredAlone(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.DailyBars
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	laketest.Commit(t, st, ds, 0, 0, 0, laketest.DailyBars([]string{"AAPL"}, time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC), 4, ing))
	laketest.Commit(t, st, ds, 0, 1, 0, laketest.DailyBars([]string{"AAPL"}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 4, ing))
	if _, err := c.Migrate(ctx, ds.Name); err != nil {
		t.Fatal(err)
	}
	ret := &lake.Retention{Store: st, Tables: c, Keep: map[string]time.Duration{ds.Name: 180 * 24 * time.Hour}, Clock: laketest.NewClock(ing)}
	if rep, err := ret.Run(ctx); err != nil || rep.Partitions != 1 {
		t.Fatalf("retention: %+v, %v; want year=2025 expired", rep, err)
	}
	before, _ := tableFiles(t, c, ds)
	rows := tableRows(t, c, ds)
	if rows != 4 {
		t.Fatalf("%d rows after retention, want the 4 of 2026", rows)
	}
	_, err := c.Migrate(ctx, ds.Name)
	if !errors.Is(err, tables.ErrTableAhead) || !strings.Contains(err.Error(), "partition year=2025") {
		t.Fatalf("migrating a table with a partition expired alone: %v, want ErrTableAhead naming year=2025", err)
	}
	if after, _ := tableFiles(t, c, ds); after.MetadataLocation() != before.MetadataLocation() || tableRows(t, c, ds) != rows {
		t.Errorf("the refused migration changed the table")
	}
}
