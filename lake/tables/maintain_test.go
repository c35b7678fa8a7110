package tables_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go/table"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// TestJanitorIsIcebergMaintenance commits re-collections (rewritten data
// files), compacts, then runs the janitor with the tables: it expires old
// snapshots and removes what no live snapshot holds (replaced objects,
// rewritten files, old metadata, a stray file), keeps
// everything the current snapshot reads, and a replay of a range whose
// snapshot expired adds nothing.
func TestJanitorIsIcebergMaintenance(t *testing.T) {
	ctx := context.Background()
	root, st, c := dirLake(t)
	ds := market.DailyBars
	w := laketest.Writer(st)
	w.Tables = c
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	first := laketest.Messages(t, ds, 0, 0, 5, laketest.DailyBars([]string{"AAPL", "MSFT"}, day, 10, ing))
	if err := w.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	offset := int64(len(first))
	for i := range 12 { // each re-collects the last days: a rewrite each
		rows := laketest.DailyBars([]string{"AAPL", "MSFT"}, day.AddDate(0, 0, 5+i), 3, ing.Add(time.Duration(i+1)*time.Hour))
		msgs := laketest.Messages(t, ds, 0, offset, 5, rows)
		offset += int64(len(msgs))
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	rewrites := objects(t, root, ds, ".cow-")
	if len(rewrites) == 0 {
		t.Fatal("no data file was rewritten")
	}
	comp := &lake.Compactor{Store: st, Tables: c, Grace: time.Nanosecond}
	if _, err := comp.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := comp.Run(ctx); err != nil || rep.Partitions != 0 || rep.ObjectsDeleted != 0 { // past its grace
		t.Fatalf("compaction again: %+v, %v; want nothing merged or deleted", rep, err)
	}
	// The compactor deletes nothing with tables (and live snapshots still
	// hold the replaced objects): they stay, for the janitor.
	if len(writerObjects(t, root, ds, "year=2026")) == 0 {
		t.Errorf("compaction removed the replaced objects")
	}
	// More commits elsewhere: the snapshots before the compaction are then
	// older than the newest few, which always stay.
	for i := range tables.KeepSnapshots {
		rows := laketest.DailyBars([]string{"NVDA"}, time.Date(2025, 3, 2+i, 0, 0, 0, 0, time.UTC), 1, ing)
		msgs := laketest.Messages(t, ds, 1, int64(i), 1, rows)
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	before := laketest.TableRows(t, c, ds)
	stray := filepath.Join(root, ds.Name, "year=2026", "stray.parquet")
	strayMeta := filepath.Join(root, ds.Name, lake.MetadataDir, "stray.avro")
	for _, p := range []string{stray, strayMeta} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	metaBefore := len(objects(t, root, ds, ".metadata.json"))
	time.Sleep(time.Millisecond) // the files must be older than the grace
	jan := &lake.Janitor{Store: st, Tables: c, SnapshotKeep: time.Nanosecond, Grace: time.Nanosecond, Datasets: []*market.Dataset{ds}}
	rep, err := jan.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tbl.Metadata().Snapshots()); rep.SnapshotsExpired == 0 || n != tables.KeepSnapshots {
		t.Errorf("expired %d snapshots, %d left; want some expired and %d left", rep.SnapshotsExpired, n, tables.KeepSnapshots)
	}
	if after := laketest.TableRows(t, c, ds); !slices.Equal(before, after) {
		t.Errorf("the table reads %d rows after the janitor, %d before", len(after), len(before))
	}
	for _, p := range []string{stray, strayMeta} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: %v; want it removed", p, err)
		}
	}
	if left := writerObjects(t, root, ds, "year=2026"); len(left) != 0 {
		t.Errorf("replaced objects no snapshot holds are left: %v", left)
	}
	if metaAfter := len(objects(t, root, ds, ".metadata.json")); metaAfter >= metaBefore {
		t.Errorf("%d metadata files after the janitor, %d before", metaAfter, metaBefore)
	}
	unref, err := c.Unreferenced(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	for k := range unref {
		if !strings.HasSuffix(k, lake.VersionHint) && !strings.HasSuffix(k, ".csv") { // tables know only the Parquet objects
			t.Errorf("%s is still there and nothing references it", k)
		}
	}

	// The first range's snapshot has expired; its replay adds nothing.
	if err := w.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	if again := laketest.TableRows(t, c, ds); !slices.Equal(before, again) {
		t.Errorf("a replay after expiry: %d rows, want %d", len(again), len(before))
	}
}

// objects lists the files under a dataset's folder whose names contain s.
func objects(t *testing.T, root string, ds *market.Dataset, s string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, ds.Name), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(filepath.Base(p), s) {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writerObjects lists the Parquet objects the writer made (not merged or
// rewritten ones) in one partition of a dataset.
func writerObjects(t *testing.T, root string, ds *market.Dataset, partition string) []string {
	var out []string
	for _, p := range objects(t, root, ds, laketest.Topic(ds)) {
		if strings.HasSuffix(p, ".parquet") && !strings.Contains(p, ".cow-") && strings.Contains(p, "/"+partition+"/") {
			out = append(out, p)
		}
	}
	return out
}

// TestHousekeepingSharesManifestReads: retention's and compaction's
// plans (Visible) and the janitor's search for orphans (Unreferenced) read
// a table's manifests through the cache commits plan with, so a manifest
// is read once, not once by each; the orphans found are those iceberg-go
// finds. A housekeeping run of a new process logs what it reads.
func TestHousekeepingSharesManifestReads(t *testing.T) {
	ctx := context.Background()
	_, st, open := reopenableLake(t)
	ds := market.IntradayBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	w := laketest.Writer(st)
	w.Tables = open()
	off := int64(0)
	write := func(d int, syms ...string) {
		t.Helper()
		for _, sym := range syms {
			msgs := laketest.Messages(t, ds, 0, off, 0, laketest.IntradayBars([]string{sym}, day.AddDate(0, 0, d), ing))
			off += int64(len(msgs))
			if err := w.WriteBatch(ctx, msgs); err != nil {
				t.Fatal(err)
			}
		}
	}
	for d := range 3 {
		write(d, "AAPL", "MSFT", "NVDA")
	}
	// A compaction of the first day leaves manifests only older snapshots
	// hold; a day more is written after it.
	if _, err := (&lake.Compactor{Store: st, Tables: w.Tables, Partitions: []string{"date=2026-11-02"}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	write(3, "AAPL", "MSFT")

	c := open() // a new process
	reads := tables.CountReads(c)
	// Orphans of each kind: manifest lists of expired snapshots, a stray
	// data file and a stray metadata file.
	if n, err := c.Expire(ctx, ds.Name, time.Nanosecond); err != nil || n == 0 {
		t.Fatalf("expired %d snapshots (%v), want some", n, err)
	}
	for _, k := range []string{ds.Name + "/date=2026-11-03/stray.parquet", ds.Name + "/" + lake.MetadataDir + "/stray.avro"} {
		if err := os.WriteFile(st.Path(k), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reads.Avro()
	lists := func(avro map[string]int) (lists, manifests []string) {
		for name := range avro {
			if strings.HasPrefix(name, "snap-") {
				lists = append(lists, name)
			} else {
				manifests = append(manifests, name)
			}
		}
		return lists, manifests
	}
	if _, _, _, err := c.Visible(ctx, ds.Name, ""); err != nil {
		t.Fatal(err)
	}
	_, current := lists(reads.Avro())
	if len(current) < 4 {
		t.Fatalf("the table's current snapshot has %d manifests: too few to show anything", len(current))
	}
	if _, _, _, err := c.Visible(ctx, ds.Name, ""); err != nil {
		t.Fatal(err)
	}
	if _, again := lists(reads.Avro()); len(again) != 0 {
		t.Errorf("a second plan of the same snapshot read manifests %v again", again)
	}
	unref, err := c.Unreferenced(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, read := lists(reads.Avro()); slices.ContainsFunc(read, func(m string) bool { return slices.Contains(current, m) }) {
		t.Errorf("the search for orphans read manifests %v, the current snapshot's among them (%v), which the plan had read", read, current)
	}
	if _, err := c.Unreferenced(ctx, ds.Name); err != nil {
		t.Fatal(err)
	}
	if _, again := lists(reads.Avro()); len(again) != 0 {
		t.Errorf("a second search for orphans read manifests %v again", again)
	}
	// The same orphans as iceberg-go's own search.
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := tbl.PlanOrphanFiles(ctx, table.WithFilesOlderThan(0))
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, p := range plan.Files() {
		k := strings.TrimPrefix(strings.TrimPrefix(p, "file://"), st.Root+"/")
		if !strings.HasSuffix(k, lake.VersionHint) {
			want = append(want, k)
		}
	}
	for k := range unref {
		got = append(got, k)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.ContainsFunc(want, func(k string) bool { return strings.HasSuffix(k, ".avro") }) || !slices.Equal(got, want) {
		t.Errorf("orphans %v, iceberg-go finds %v", got, want)
	}

	c = open() // another new process: `tickerlake compact`
	reads = tables.CountReads(c)
	h := &lake.Housekeeping{Store: st, Tables: c, Log: slog.New(slog.DiscardHandler), JanitorGrace: time.Hour,
		Clock: laketest.NewClock(day.AddDate(0, 0, 4).Add(time.Hour)), Keep: map[string]time.Duration{ds.Name: 48 * time.Hour}}
	if err := h.Once(ctx); err != nil {
		t.Fatal(err)
	}
	total := 0
	avro := reads.Avro()
	for _, n := range avro {
		total += n
	}
	t.Logf("a housekeeping run read %d manifests and manifest lists, %d different ones", total, len(avro))
}

// TestManifestCacheKeepsTheCurrentSnapshot: a writer's commits keep the
// data files of the current snapshot's manifests only, not of every
// manifest a commit since the last expiry left behind (a compaction's,
// here), which would grow with the commits of a process that never
// searches for orphans; those the janitor's search read stay for its next
// search while their snapshots live.
func TestManifestCacheKeepsTheCurrentSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := lake.NewDir(filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	c := openCatalog(t, filepath.Join(dir, "catalog.db"), st)
	ds := market.IntradayBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	w := laketest.Writer(st)
	w.Tables = c
	off := int64(0)
	write := func(d int, syms ...string) {
		t.Helper()
		for _, sym := range syms {
			msgs := laketest.Messages(t, ds, 0, off, 0, laketest.IntradayBars([]string{sym}, day.AddDate(0, 0, d), ing))
			off += int64(len(msgs))
			if err := w.WriteBatch(ctx, msgs); err != nil {
				t.Fatal(err)
			}
		}
	}
	current := func() int {
		t.Helper()
		tbl, err := c.Reload(ctx, ds.Name)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := tbl.FS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := tbl.CurrentSnapshot().Manifests(fs)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	for d := range 3 {
		write(d, "AAPL", "MSFT", "NVDA")
	}
	for _, p := range []string{"date=2026-11-02", "date=2026-11-03"} {
		if _, err := (&lake.Compactor{Store: st, Tables: c, Partitions: []string{p}}).Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	write(3, "AAPL")
	visible := func() {
		t.Helper()
		if _, _, _, err := c.Visible(ctx, ds.Name, ""); err != nil {
			t.Fatal(err)
		}
	}
	visible() // plans against the current snapshot, as the next commit would
	if got, want := c.CachedManifests(ds.Name), current(); got != want {
		t.Errorf("after the commits the catalog keeps %d manifests' files, the current snapshot has %d", got, want)
	}
	if _, err := c.Unreferenced(ctx, ds.Name); err != nil {
		t.Fatal(err)
	}
	searched := c.CachedManifests(ds.Name)
	if searched <= current() {
		t.Fatalf("the search for orphans kept %d manifests' files, the current snapshot has %d: the test wants manifests only older snapshots hold", searched, current())
	}
	write(3, "MSFT")
	visible()
	if got, want := c.CachedManifests(ds.Name), searched+1; got != want {
		t.Errorf("a commit after the search keeps %d manifests' files, want %d: those the search read and the commit's new one", got, want)
	}
}

// TestJanitorOnEachStore runs the search for orphans and the janitor on
// S3, under a prefix and at the bucket's root, and in a lake folder whose
// name iceberg-go escapes in the locations it writes: a stray object
// goes, and every object the live snapshots read (metadata, manifest
// lists, manifests, data files) stays, so the table still reads back whole.
func TestJanitorOnEachStore(t *testing.T) {
	s3 := func(prefix string) func(*testing.T, *laketest.Clock) (lake.Store, func(string) string) {
		return func(t *testing.T, clock *laketest.Clock) (lake.Store, func(string) string) {
			return laketest.FakeS3(t, clock, "lake", prefix), func(k string) string { return "s3://lake/" + path.Join(prefix, k) }
		}
	}
	for _, tc := range []struct {
		name  string
		store func(*testing.T, *laketest.Clock) (lake.Store, func(string) string)
	}{
		{"s3 under a prefix", s3("tl/lake")},
		{"s3 at the bucket's root", s3("")},
		{"a folder with a space", func(t *testing.T, _ *laketest.Clock) (lake.Store, func(string) string) {
			st, err := lake.NewDir(filepath.Join(t.TempDir(), "my lake"))
			if err != nil {
				t.Fatal(err)
			}
			return st, func(k string) string { return "file://" + st.Root + "/" + k }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clock := laketest.NewClock(time.Now())
			st, location := tc.store(t, clock)
			c := openCatalog(t, filepath.Join(t.TempDir(), "catalog.db"), st)
			ds := market.IntradayBars
			day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
			ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			w := laketest.Writer(st)
			w.Tables = c
			off := int64(0)
			for d := range 2 {
				for _, sym := range []string{"AAPL", "MSFT"} {
					msgs := laketest.Messages(t, ds, 0, off, 0, laketest.IntradayBars([]string{sym}, day.AddDate(0, 0, d), ing))
					off += int64(len(msgs))
					if err := w.WriteBatch(ctx, msgs); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := (&lake.Compactor{Store: st, Tables: c, Partitions: []string{"date=2026-11-02"}}).Run(ctx); err != nil {
				t.Fatal(err)
			}
			_, want := scanKeys(t, c, ds)
			stray := ds.Name + "/date=2026-11-03/stray.parquet"
			if _, err := st.PutIfAbsent(ctx, stray, []byte("x")); err != nil {
				t.Fatal(err)
			}
			unref, err := c.Unreferenced(ctx, ds.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !unref[stray] {
				t.Errorf("orphans %v lack the stray object %s", unref, stray)
			}
			tbl, files := tableFiles(t, c, ds)
			for k := range unref {
				if files[location(k)] || strings.HasSuffix(tbl.MetadataLocation(), k) {
					t.Errorf("%s, which the current snapshot reads, is called an orphan", k)
				}
			}
			clock.Advance(24 * time.Hour)
			j := &lake.Janitor{Store: st, Tables: c, Clock: clock, Grace: time.Hour, SnapshotKeep: time.Nanosecond, Datasets: []*market.Dataset{ds}}
			rep, err := j.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Orphans == 0 {
				t.Fatal("the janitor removed nothing")
			}
			if _, err := st.Get(ctx, stray); !errors.Is(err, lake.ErrNotFound) {
				t.Errorf("the stray object is still there: %v", err)
			}
			if _, got := scanKeys(t, c, ds); got != want {
				t.Errorf("after the janitor the table reads back %d rows, want %d", got, want)
			}
		})
	}
}

// fourDailyBars is sym's daily bars of four weekdays from 2 November 2026,
// as processed messages on the given partition from offset 0.
func fourDailyBars(t *testing.T, partition int, sym string) []kafka.Message {
	t.Helper()
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	return laketest.Messages(t, market.DailyBars, partition, 0, 0, laketest.DailyBars([]string{sym}, day, 4, ing))
}

// TestReplayLeavesTheVersionHint: a writer replaying a range it committed
// itself, while another writer committed since, commits nothing and so
// leaves version-hint.text alone: its own view of the table is stale, and
// a hint pointing back at an old metadata file would show path-based
// readers an old snapshot, or none once the janitor removed that file.
func TestReplayLeavesTheVersionHint(t *testing.T) {
	ctx := context.Background()
	_, st, open := reopenableLake(t)
	ds := market.DailyBars
	w1, w2 := laketest.Writer(st), laketest.Writer(st)
	w1.Tables, w2.Tables = open(), open()
	msgs := fourDailyBars(t, 0, "AAPL")
	if err := w1.WriteBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if err := w2.WriteBatch(ctx, fourDailyBars(t, 1, "MSFT")); err != nil {
		t.Fatal(err)
	}
	c := open()
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := w1.WriteBatch(ctx, msgs); err != nil { // the replay
		t.Fatal(err)
	}
	if after, err := c.Reload(ctx, ds.Name); err != nil || after.MetadataLocation() != tbl.MetadataLocation() {
		t.Fatalf("the replay committed: metadata %s, was %s (%v)", after.MetadataLocation(), tbl.MetadataLocation(), err)
	}
	hint, err := c.VersionHint(ctx, tbl)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(path.Base(tbl.MetadataLocation()), ".metadata.json"); hint != want {
		t.Errorf("after the replay version-hint.text names %s, want the current %s", hint, want)
	}
}

// TestOrphansSpareTheHintedMetadata: the metadata file version-hint.text
// names is what path-based readers open, so the search for orphans keeps
// it even when the table's own log no longer lists it, as after a commit
// that raced the hint's write, until a commit points the hint on.
func TestOrphansSpareTheHintedMetadata(t *testing.T) {
	ctx := context.Background()
	_, st, open := reopenableLake(t)
	ds := market.DailyBars
	w := laketest.Writer(st)
	w.Tables = open()
	if err := w.WriteBatch(ctx, fourDailyBars(t, 0, "AAPL")); err != nil {
		t.Fatal(err)
	}
	c := open()
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	// A metadata file no log lists, named by the hint.
	dir := path.Join(ds.Name, lake.MetadataDir)
	current, err := st.Get(ctx, path.Join(dir, path.Base(tbl.MetadataLocation())))
	if err != nil {
		t.Fatal(err)
	}
	hinted, stray := path.Join(dir, "00000-hinted.metadata.json"), path.Join(dir, "00000-stray.metadata.json")
	for k, b := range map[string][]byte{hinted: current, stray: current, path.Join(dir, lake.VersionHint): []byte("00000-hinted\n")} {
		if err := os.WriteFile(st.Path(k), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	unref, err := c.Unreferenced(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if unref[hinted] {
		t.Errorf("%s, which version-hint.text names, is counted an orphan", hinted)
	}
	if !unref[stray] {
		t.Errorf("%s, which nothing names, is not counted an orphan: %v", stray, unref)
	}
	// With no hint at all the search still answers.
	if err := st.Delete(ctx, path.Join(dir, lake.VersionHint)); err != nil {
		t.Fatal(err)
	}
	if unref, err = c.Unreferenced(ctx, ds.Name); err != nil || !unref[hinted] {
		t.Errorf("without a hint: %s an orphan %v (%v), want it one", hinted, unref[hinted], err)
	}
}
