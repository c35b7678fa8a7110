package tables_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// failOnce is a lake.Tables whose next commit stops the writer, as a
// writer crashing between its data objects and its Iceberg commit would.
// It notes the objects of every commit that went through.
type failOnce struct {
	lake.Tables
	crash     func()          // set: the next commit calls it and fails
	committed map[string]bool // the data objects of the commits that went through
}

var errCrash = errors.New("crash")

func (f *failOnce) Commit(ctx context.Context, cm lake.Commit) error {
	if f.crash != nil {
		f.crash()
		f.crash = nil
		return errCrash
	}
	if err := f.Tables.Commit(ctx, cm); err != nil {
		return err
	}
	if f.committed == nil {
		f.committed = map[string]bool{}
	}
	for _, file := range cm.Files {
		f.committed[file.Key] = true
	}
	return nil
}

// TestReadersAgreeDuringARun runs writers through new ranges, exact
// replays, replays cut at other offsets, re-collections, late data, a
// crash before the Iceberg commit with the data objects written, a crash
// in the Iceberg commit, and compactions, in an order a seed picks. At random
// steps it reads every table with iceberg-go and compares its rows with
// what tickerlake's query engine shows: the same rows, no key twice, and
// every data file either a visible lake object or a rewrite of one.
func TestReadersAgreeDuringARun(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	eng := openEngine(t, st)
	eng.RefreshEvery = 0

	rng := rand.New(rand.NewPCG(14, 2026))
	tbls := &failOnce{Tables: c}
	w := laketest.Writer(st)
	w.Tables = tbls
	symbols := []string{"AAPL", "MSFT", "NVDA", "AMZN", "META"}
	clock := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	next := map[int]int64{} // next offset per topic partition
	type sent struct {
		ds   *market.Dataset
		msgs []kafka.Message
		rows any
	}
	var history []sent
	send := func(ds *market.Dataset, part int, rows any) sent {
		msgs := laketest.Messages(t, ds, part, next[part], 3, rows)
		next[part] += int64(len(msgs))
		return sent{ds, msgs, rows}
	}
	write := func(msgs []kafka.Message) {
		t.Helper()
		if err := w.WriteBatch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	pick := func() []string {
		n := 1 + rng.IntN(len(symbols))
		p := rng.Perm(len(symbols))[:n]
		out := make([]string, n)
		for i, j := range p {
			out[i] = symbols[j]
		}
		slices.Sort(out)
		return out
	}
	counts := map[string]int{}
	for step := range 40 {
		clock = clock.Add(time.Minute)
		kind := []string{"new", "new", "intraday", "replay", "recut", "recollect", "late", "crash", "crash-iceberg", "compact"}[rng.IntN(10)]
		if len(history) == 0 {
			kind = "new"
		}
		counts[kind]++
		switch kind {
		case "new":
			start := time.Date(2026, 11, 2+rng.IntN(20), 0, 0, 0, 0, time.UTC)
			s := send(market.DailyBars, rng.IntN(3), laketest.DailyBars(pick(), start, 1+rng.IntN(5), clock))
			write(s.msgs)
			history = append(history, s)
		case "intraday":
			day := time.Date(2026, 11, 16+rng.IntN(3), 0, 0, 0, 0, time.UTC)
			s := send(market.IntradayBars, 3, laketest.IntradayBars(pick(), day, clock))
			write(s.msgs)
			history = append(history, s)
		case "replay": // the same range again: a crash after the record
			write(history[rng.IntN(len(history))].msgs)
		case "recut": // the same messages from another first offset on
			s := history[rng.IntN(len(history))]
			write(s.msgs[rng.IntN(len(s.msgs)):])
		case "recollect": // the same keys, collected again later
			s := history[rng.IntN(len(history))]
			var rows any
			switch r := s.rows.(type) {
			case []market.DailyBar:
				again := slices.Clone(r)
				for i := range again {
					again[i].IngestedAt, again[i].Close = clock, again[i].Close+1
				}
				rows = again
			case []market.IntradayBar:
				again := slices.Clone(r)
				for i := range again {
					again[i].IngestedAt = clock
				}
				rows = again
			}
			write(send(s.ds, s.msgs[0].Partition, rows).msgs)
		case "late": // last year's bars arrive now
			start := time.Date(2025, 12, 1+rng.IntN(20), 0, 0, 0, 0, time.UTC)
			s := send(market.DailyBars, rng.IntN(3), laketest.DailyBars(pick(), start, 2, clock))
			write(s.msgs)
			history = append(history, s)
		case "crash": // data objects written, no commit: the range comes again
			s := send(market.DailyBars, rng.IntN(3), laketest.DailyBars(pick(), time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), 3, clock))
			w.BeforeCommit = func(lake.Commit) error { return errCrash }
			if err := w.WriteBatch(ctx, s.msgs); !errors.Is(err, errCrash) {
				t.Fatalf("crash before the commit: %v", err)
			}
			w.BeforeCommit = nil
			write(s.msgs)
			history = append(history, s)
		case "crash-iceberg": // the Iceberg commit lost
			s := send(market.DailyBars, rng.IntN(3), laketest.DailyBars(pick(), time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC), 2, clock))
			crashed, crash := context.WithCancel(ctx)
			tbls.crash = crash
			if err := w.WriteBatch(crashed, s.msgs); !errors.Is(err, errCrash) {
				t.Fatalf("crash before the iceberg commit: %v", err)
			}
			write(s.msgs)
			history = append(history, s)
		case "compact":
			comp := &lake.Compactor{Store: st, Tables: tbls, Grace: time.Hour, Clock: laketest.NewClock(clock)}
			if _, err := comp.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if rng.IntN(3) == 0 || step == 39 {
			t.Run(fmt.Sprintf("step%02d-%s", step, kind), func(t *testing.T) { sameAsEngine(t, c, st, eng, tbls.committed) })
		}
	}
	t.Logf("steps: %v", counts)
}

// sameAsEngine compares every table read with iceberg-go with what the
// query engine (DuckDB over the table's data files) shows, and checks the
// tables' data files against the objects of the commits that went through
// (committed; nil: those the lake's commit records name, in a lake
// migrated from them).
func sameAsEngine(t *testing.T, c *tables.Catalog, st lake.Store, eng *query.Engine, committed map[string]bool) {
	ctx := context.Background()
	if err := eng.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ds := range market.Datasets() {
		got := laketest.TableRows(t, c, ds)
		want := laketest.ViewRows(t, eng.DB(), ds)
		if !slices.Equal(got, want) {
			t.Errorf("%s: iceberg-go reads %d rows, the engine shows %d; first difference: %s", ds.Name, len(got), len(want), firstDiff(got, want))
		}
		keys := map[string]bool{}
		for _, r := range got {
			k := r[:strings.LastIndex(r, "|")]
			if keys[k] {
				t.Errorf("%s: key %s twice in the table", ds.Name, k)
			}
			keys[k] = true
		}
		// Every data file is an object a commit made (or a rewrite of
		// one), never a crash's orphan. The table alone says which are
		// visible.
		_, files := tableFiles(t, c, ds)
		made := committed
		if made == nil {
			made = recorded(t, st, ds)
		}
		for f := range files {
			k := strings.TrimPrefix(f, c.Location(ds.Name)+"/")
			dir, base := path.Split(k)
			if stem, _, ok := strings.Cut(base, ".cow-"); ok {
				base = stem + ".parquet"
			}
			if !made[ds.Name+"/"+dir+base] {
				t.Errorf("%s: data file %s stands for no committed lake object (an orphan)", ds.Name, k)
			}
		}
	}
}

// recorded returns the data objects the lake's commit records name.
func recorded(t *testing.T, st lake.Store, ds *market.Dataset) map[string]bool {
	records, err := (&lake.Catalog{Store: st}).Commits(context.Background(), ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, cm := range records {
		for _, f := range cm.Files {
			out[f.Key] = true
		}
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q vs %q", a[i], b[i])
		}
	}
	if len(a) > len(b) {
		return fmt.Sprintf("extra in iceberg: %q", a[len(b)])
	}
	if len(b) > len(a) {
		return fmt.Sprintf("missing in iceberg: %q", b[len(a)])
	}
	return "none"
}

// dirLake makes a lake in a folder (root) with a SQLite catalog beside it.
func dirLake(t *testing.T) (string, *lake.Dir, *tables.Catalog) {
	t.Helper()
	root, st, open := reopenableLake(t)
	return root, st, open()
}

// reopenableLake makes a lake in a folder (root) and returns what opens
// its SQLite catalog, each time as a new process would; every catalog
// opened is closed when the test ends.
func reopenableLake(t *testing.T) (string, *lake.Dir, func() *tables.Catalog) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "lake")
	st, err := lake.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "catalog.db")
	open := func() *tables.Catalog { return openCatalog(t, file, st) }
	return root, st, open
}

// openCatalog opens the catalog at uri over the lake in st, closed when the
// test ends.
func openCatalog(t testing.TB, uri string, st lake.Store) *tables.Catalog {
	t.Helper()
	c, err := tables.Open(context.Background(), uri, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// openEngine opens the query engine over the lake in st with a cache of
// its own, closed when the test ends.
func openEngine(t *testing.T, st lake.Store) *query.Engine {
	t.Helper()
	eng, err := query.OpenWith(st, query.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	})
	return eng
}
