package lake_test

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/market"
)

// eveningChains are option snapshots of AAPL on New York's 2026-01-05
// (EST, UTC-5) at 15:00 and at 20:30 there, which is 01:30 UTC on
// 2026-01-06, and on 2026-01-06 at 10:00: the folder date=2026-01-05 holds
// rows of two UTC days.
func eveningChains(ingested time.Time) []market.OptionQuote {
	var rows []market.OptionQuote
	for _, at := range []time.Time{
		time.Date(2026, 1, 5, 20, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 6, 1, 30, 0, 0, time.UTC),
		time.Date(2026, 1, 6, 15, 0, 0, 0, time.UTC),
	} {
		rows = append(rows, laketest.OptionChain("AAPL", at, 2, 4, ingested)...)
	}
	return rows
}

// listObjects lists a dataset's data objects, sorted.
func listObjects(t *testing.T, st lake.Store, ds *market.Dataset) []string {
	t.Helper()
	keys, err := st.List(context.Background(), ds.Name+"/")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}

// TestWriterSplitsAtUTCMidnight: rows of one New York date on both sides
// of UTC midnight go to two objects in the date's folder, each of one UTC
// day, the first under the range's name and the later day's under
// <range>.utc-<day>; a folder within one UTC day keeps the range's name.
// The same messages, written again or by another writer, make the same
// objects and add none.
func TestWriterSplitsAtUTCMidnight(t *testing.T) {
	ctx := context.Background()
	ds := market.OptionQuotes
	if !lake.UTCDays(ds) {
		t.Fatalf("%s is not split by UTC day", ds.Name)
	}
	ing := time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC)
	rows := eveningChains(ing)
	msgs := laketest.Messages(t, ds, 0, 0, 16, rows) // a message per snapshot
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	if err := laketest.Writer(st).WriteBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("%s-0-%020d-%020d", laketest.Topic(ds), 0, len(msgs)-1)
	want := map[string]string{ // object -> its UTC day
		path.Join(ds.Name, "date=2026-01-05", base+".parquet"):                        "2026-01-05",
		path.Join(ds.Name, "date=2026-01-05", base+lake.UTCMark+"2026-01-06.parquet"): "2026-01-06",
		path.Join(ds.Name, "date=2026-01-06", base+".parquet"):                        "2026-01-06",
	}
	objs := listObjects(t, st, ds)
	var total int64
	for _, k := range objs {
		if path.Ext(k) != ".parquet" {
			if _, ok := want[strings.TrimSuffix(k, ".csv")+".parquet"]; !ok {
				t.Errorf("object %s has no Parquet sibling among those expected", k)
			}
			continue
		}
		day, ok := want[k]
		if !ok {
			t.Errorf("unexpected object %s", k)
			continue
		}
		days, n := laketest.UTCDays(t, st, ds, k)
		total += n
		if !slices.Equal(days, []string{day}) {
			t.Errorf("%s holds rows of UTC days %v, want %s alone", k, days, day)
		}
		delete(want, k)
	}
	for k := range want {
		t.Errorf("no object %s", k)
	}
	if total != int64(len(rows)) {
		t.Errorf("the objects hold %d rows, want %d", total, len(rows))
	}
	if len(objs) != 6 {
		t.Errorf("%d objects, want 3 Parquet and 3 CSV: %v", len(objs), objs)
	}

	// A replay writes under the same keys and adds nothing; another
	// writer of the same messages names its objects alike.
	if err := laketest.Writer(st).WriteBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if again := listObjects(t, st, ds); !slices.Equal(again, objs) {
		t.Errorf("a replay left objects %v, want %v", again, objs)
	}
	other, err := lake.NewDir(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	if err := laketest.Writer(other).WriteBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if got := listObjects(t, other, ds); !slices.Equal(got, objs) {
		t.Errorf("another writer of the same messages made %v, want %v", got, objs)
	}
}

// TestCompactionKeepsUTCDaysApart: compacting a New York date's folder
// whose files hold rows of two UTC days merges each day's files into one
// object of that day, keeps every row once, and a second run merges
// nothing.
func TestCompactionKeepsUTCDaysApart(t *testing.T) {
	ctx := context.Background()
	ds := market.OptionQuotes
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	ing := time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC)
	rows := eveningChains(ing)
	laketest.Commit(t, st, ds, 0, 0, 16, rows)
	// A replay under another range, ingested later, and more contracts.
	replay := eveningChains(ing.Add(time.Hour))
	laketest.Commit(t, st, ds, 1, 0, 16, replay[:len(replay)/2])
	more := laketest.OptionChain("MSFT", time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC), 1, 4, ing)
	laketest.Commit(t, st, ds, 2, 0, 0, more)

	folder := ds.Name + "/date=2026-01-05/"
	before := laketest.StoredKeys(t, st, ds)
	rep, err := (&lake.Compactor{Store: st, Datasets: []*market.Dataset{ds}, Partitions: []string{"date=2026-01-05"}}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Partitions != 2 {
		t.Errorf("compaction merged %d groups, want 2 (a UTC day each)", rep.Partitions)
	}
	after := laketest.StoredKeys(t, st, ds)
	if len(after) != len(before) {
		t.Errorf("%d keys after compaction, %d before", len(after), len(before))
	}
	for k, s := range after {
		if s.N() != 1 {
			t.Errorf("key %s stored %d times after compaction", k, s.N())
		}
		if _, ok := before[k]; !ok {
			t.Errorf("key %s appeared with compaction", k)
		}
	}
	snap, err := (&lake.Catalog{Store: st}).Snapshot(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]int{}
	for _, k := range snap.Files("parquet") {
		if !strings.HasPrefix(k, folder) {
			continue
		}
		if !strings.HasPrefix(path.Base(k), "compact-") {
			t.Errorf("%s was not compacted", k)
		}
		d, _ := laketest.UTCDays(t, st, ds, k)
		if len(d) != 1 {
			t.Errorf("%s holds rows of UTC days %v, want one", k, d)
			continue
		}
		days[d[0]]++
	}
	if days["2026-01-05"] != 1 || days["2026-01-06"] != 1 || len(days) != 2 {
		t.Errorf("compacted objects by UTC day %v, want one of 2026-01-05 and one of 2026-01-06", days)
	}
	rep, err = (&lake.Compactor{Store: st, Datasets: []*market.Dataset{ds}}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Partitions != 0 {
		t.Errorf("a second run merged %d groups, want none", rep.Partitions)
	}
}
