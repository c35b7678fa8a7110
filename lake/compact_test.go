package lake_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/market"
)

var (
	day1 = time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	day2 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
)

// fillLake commits, as a writer replaying part of its input would, many
// small files: intraday bars of two days over several commits (one commit
// spanning both days), a replay of some of them ingested later with other
// prices, daily bars in pieces and two option snapshots.
func fillLake(t *testing.T, st lake.Store, ingested time.Time) {
	syms := []string{"AAPL", "MSFT", "JPM"}
	d1 := laketest.IntradayBars(syms, day1, ingested)
	d2 := laketest.IntradayBars(syms, day2, ingested)
	laketest.Commit(t, st, market.IntradayBars, 0, 0, 10, d1[:30])
	laketest.Commit(t, st, market.IntradayBars, 1, 0, 10, d1[30:60])
	laketest.Commit(t, st, market.IntradayBars, 2, 0, 20, append(d1[60:], d2[:40]...)) // spans both days
	laketest.Commit(t, st, market.IntradayBars, 3, 0, 10, d2[40:])
	replay := laketest.IntradayBars(syms, day1, ingested.Add(time.Hour))[:25]
	for i := range replay {
		replay[i].Close += 1
	}
	laketest.Commit(t, st, market.IntradayBars, 0, 100, 5, replay)
	daily := laketest.DailyBars(syms, day2.AddDate(0, 0, -60), 40, ingested)
	laketest.Commit(t, st, market.DailyBars, 0, 0, 40, daily[:60])
	laketest.Commit(t, st, market.DailyBars, 0, 2, 40, daily[60:])
	laketest.Commit(t, st, market.DailyBars, 1, 0, 40, daily[:40]) // a replay under another range
	laketest.Commit(t, st, market.OptionQuotes, 0, 0, 50, laketest.OptionChain("AAPL", day2.Add(15*time.Hour), 2, 8, ingested))
	laketest.Commit(t, st, market.OptionQuotes, 0, 1, 50, laketest.OptionChain("AAPL", day2.Add(20*time.Hour), 2, 8, ingested))
}

// viewRows is a dataset's view, every row rendered, sorted.
func viewRows(t *testing.T, eng *query.Engine, ds string) []string {
	t.Helper()
	res, err := eng.Query(context.Background(), "SELECT * FROM "+ds+" ORDER BY ALL", 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = fmt.Sprint(r...)
	}
	return out
}

// rawKeys counts each natural key over the visible Parquet files, without
// the views' de-duplication: what a reader of the commit records sees.
func rawKeys(t *testing.T, st lake.Store, ds string) map[string]int {
	t.Helper()
	d, _ := market.DatasetByName(ds)
	out := map[string]int{}
	for k, s := range laketest.StoredKeys(t, st, d) {
		out[k] = s.N()
	}
	return out
}

// checkedStore runs check after every change the compactor makes, so the
// test sees every state a reader could list.
type checkedStore struct {
	lake.Store
	check func(op string)
}

func (s checkedStore) PutIfAbsent(ctx context.Context, key string, data []byte) (bool, error) {
	created, err := s.Store.PutIfAbsent(ctx, key, data)
	s.check("put " + key)
	return created, err
}

func (s checkedStore) Delete(ctx context.Context, key string) error {
	err := s.Store.Delete(ctx, key)
	s.check("delete " + key)
	return err
}

func objectCount(t *testing.T, st lake.Store, prefix string) int {
	keys, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

func TestCompaction(t *testing.T) {
	ctx := context.Background()
	clock := laketest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	datasets := []string{"daily_bars", "intraday_bars", "option_quotes"}
	for name, st := range stores(t, clock) {
		t.Run(name, func(t *testing.T) {
			fillLake(t, st, clock.Now().Add(-48*time.Hour))
			eng, err := query.OpenWith(st, query.Options{CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			eng.RefreshEvery = 0
			before := map[string][]string{}
			beforeRaw := map[string]map[string]int{}
			beforeFiles := map[string]int{}
			for _, ds := range datasets {
				before[ds] = viewRows(t, eng, ds)
				beforeRaw[ds] = rawKeys(t, st, ds)
				files, _ := (&lake.Catalog{Store: st}).Files(ctx, ds, "parquet")
				beforeFiles[ds] = len(files)
			}
			if len(beforeRaw["intraday_bars"]) == 0 || beforeFiles["intraday_bars"] < 4 {
				t.Fatal("the lake was not filled")
			}
			// fillLake replays 25 intraday and 40 daily bars under other ranges:
			// counted as stored, each of them is there twice.
			for ds, want := range map[string]int{"intraday_bars": 25, "daily_bars": 40} {
				twice := 0
				for _, n := range beforeRaw[ds] {
					if n == 2 {
						twice++
					}
				}
				if twice != want {
					t.Fatalf("%s: %d keys stored twice before compaction, want the %d replayed", ds, twice, want)
				}
			}

			// Every state the compactor leaves between two of its writes:
			// each key visible, never more often than before.
			states := 0
			check := func(op string) {
				states++
				for _, ds := range datasets {
					raw := rawKeys(t, st, ds)
					for k, n := range beforeRaw[ds] {
						if raw[k] == 0 {
							t.Errorf("after %s: %s key %s missing", op, ds, k)
						} else if raw[k] > n {
							t.Errorf("after %s: %s key %s seen %d times, %d before", op, ds, k, raw[k], n)
						}
					}
					if len(raw) != len(beforeRaw[ds]) {
						t.Errorf("after %s: %s has %d keys, %d before", op, ds, len(raw), len(beforeRaw[ds]))
					}
				}
			}
			// Meanwhile another engine keeps querying the views.
			reader, err := query.OpenWith(st, query.Options{CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			reader.RefreshEvery = 0
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var queries int
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					res, err := reader.Query(ctx, "SELECT count(*), count(DISTINCT (symbol, ts)) FROM intraday_bars", 0)
					if err != nil {
						t.Errorf("query during compaction: %v", err)
						return
					}
					if n, d := res.Rows[0][0].(int64), res.Rows[0][1].(int64); n != int64(len(before["intraday_bars"])) || d != n {
						t.Errorf("query during compaction: %d rows, %d keys; want %d each", n, d, len(before["intraday_bars"]))
					}
					queries++
				}
			}()

			c := &lake.Compactor{Store: checkedStore{st, check}, Clock: clock, Grace: 10 * time.Minute}
			rep, err := c.Run(ctx)
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("compaction: %+v; %d intermediate states checked, %d queries ran alongside", rep, states, queries)
			if rep.Partitions == 0 || rep.RowsOut >= rep.RowsIn {
				t.Fatalf("nothing merged or nothing de-duplicated: %+v", rep)
			}
			for _, ds := range datasets {
				if got := viewRows(t, eng, ds); strings.Join(got, "\n") != strings.Join(before[ds], "\n") {
					t.Errorf("%s: rows differ after compaction (%d before, %d after)", ds, len(before[ds]), len(got))
				}
				files, _ := (&lake.Catalog{Store: st}).Files(ctx, ds, "parquet")
				if len(files) >= beforeFiles[ds] {
					t.Errorf("%s: %d files after compaction, %d before", ds, len(files), beforeFiles[ds])
				}
				raw := rawKeys(t, st, ds)
				for k, n := range raw {
					if n != 1 {
						t.Errorf("%s: key %s stored %d times after compaction", ds, k, n)
					}
				}
			}
			// The replayed day-one bars, ingested later, won.
			res, err := eng.Query(ctx, "SELECT count(*) FROM intraday_bars WHERE ts::DATE = DATE '2026-11-19' AND close = open + 1.1", 0)
			if err != nil || res.Rows[0][0].(int64) != 25 {
				t.Fatalf("replayed rows kept: %v, %v; want 25", res.Rows, err)
			}

			// Within the grace period nothing is deleted; after it, what
			// was replaced goes, and the views do not change.
			objects := objectCount(t, st, "intraday_bars/")
			clock.Advance(11 * time.Minute)
			rep, err = (&lake.Compactor{Store: st, Clock: clock, Grace: 10 * time.Minute}).Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Partitions != 0 || rep.ObjectsDeleted == 0 {
				t.Fatalf("second run: %+v; want nothing merged and the replaced objects deleted", rep)
			}
			if after := objectCount(t, st, "intraday_bars/"); after >= objects {
				t.Fatalf("%d intraday objects after collection, %d before", after, objects)
			}
			for _, ds := range datasets {
				if got := viewRows(t, eng, ds); strings.Join(got, "\n") != strings.Join(before[ds], "\n") {
					t.Errorf("%s: rows differ after collection", ds)
				}
			}
			// A third run finds nothing to do.
			rep, err = (&lake.Compactor{Store: st, Clock: clock}).Run(ctx)
			if err != nil || rep != (lake.CompactReport{}) {
				t.Fatalf("third run: %+v, %v; want nothing done", rep, err)
			}
			assertOnlyCommitted(t, st)

			// A late replay into a compacted partition is collapsed on read.
			late := laketest.IntradayBars([]string{"AAPL"}, day1, clock.Now())[:5]
			for i := range late {
				late[i].Close += 2
			}
			laketest.Commit(t, st, market.IntradayBars, 4, 0, 5, late)
			res, err = eng.Query(ctx, "SELECT count(*), count(*) FILTER (close = open + 2.1) FROM intraday_bars", 0)
			if err != nil {
				t.Fatal(err)
			}
			if n, replayed := res.Rows[0][0].(int64), res.Rows[0][1].(int64); n != int64(len(before["intraday_bars"])) || replayed != 5 {
				t.Fatalf("after a late replay: %d rows (want %d), %d replayed rows (want 5)", n, len(before["intraday_bars"]), replayed)
			}
		})
	}
}

// assertOnlyCommitted checks every data object is named by a visible
// commit: nothing left behind.
func assertOnlyCommitted(t *testing.T, st lake.Store) {
	t.Helper()
	ctx := context.Background()
	cat := &lake.Catalog{Store: st}
	for _, ds := range market.Datasets() {
		snap, err := cat.Snapshot(ctx, ds.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Retired) > 0 {
			t.Errorf("%s: %d retired commit records left", ds.Name, len(snap.Retired))
		}
		named := map[string]bool{}
		for _, f := range append(snap.Files("parquet"), snap.Files("csv")...) {
			named[f] = true
		}
		keys, err := st.List(ctx, ds.Name+"/")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !named[k] {
				t.Errorf("%s: object %s is not visible through any commit", ds.Name, k)
			}
		}
	}
}

// TestCompactionCrashIsIdempotent stops a compactor after its merged
// objects are written and before its commit record: readers see the old
// files, and the next run finishes the same merge under the same names.
func TestCompactionCrashIsIdempotent(t *testing.T) {
	ctx := context.Background()
	clock := laketest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	st := laketest.FakeS3(t, clock, "lake", "crash")
	fillLake(t, st, clock.Now().Add(-48*time.Hour))
	crash := errors.New("crash before the commit record")
	_, err := (&lake.Compactor{Store: st, Clock: clock, BeforeCommit: func(lake.Commit) error { return crash }}).Run(ctx)
	if !errors.Is(err, crash) {
		t.Fatalf("run stopped with %v", err)
	}
	files, _ := (&lake.Catalog{Store: st}).Files(ctx, "daily_bars", "parquet")
	if len(files) != 3 {
		t.Fatalf("after the crash readers see %d daily files, want the 3 old ones", len(files))
	}
	// Another compactor's lock keeps this one off the dataset; once older
	// than its TTL it counts as abandoned and is taken over.
	held := fmt.Sprintf(`{"acquired":%q}`, clock.Now().Format(time.RFC3339Nano))
	if _, err := st.PutIfAbsent(ctx, "_locks/compact-daily_bars", []byte(held)); err != nil {
		t.Fatal(err)
	}
	rep, err := (&lake.Compactor{Store: st, Clock: clock, Datasets: []*market.Dataset{market.DailyBars}}).Run(ctx)
	if err != nil || rep.Partitions != 0 {
		t.Fatalf("run under another's lock: %+v, %v; want nothing done", rep, err)
	}
	clock.Advance(2 * time.Hour)
	rep, err = (&lake.Compactor{Store: st, Clock: clock}).Run(ctx)
	if err != nil || rep.Partitions == 0 {
		t.Fatalf("rerun: %+v, %v", rep, err)
	}
	clock.Advance(time.Hour)
	if _, err := (&lake.Compactor{Store: st, Clock: clock}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, "daily_bars/")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(objs)
	if len(objs) != 2 {
		t.Fatalf("daily objects %v, want one merged Parquet and CSV", objs)
	}
	if locks := objectCount(t, st, "_locks/"); locks != 0 {
		t.Fatalf("%d locks left behind", locks)
	}
	assertOnlyCommitted(t, st)
}
