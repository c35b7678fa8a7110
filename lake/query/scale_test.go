package query

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// scaleLake describes a synthetic lake of size × the base: option chains
// of 10 symbols at one snapshot on each of 5 × size sessions (one file
// each), and two years of daily bars of 10 × size symbols (one file per
// symbol and year).
type scaleLake struct {
	size    int
	root    string
	lastDay time.Time // the newest session
}

func scaleSymbols(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%c%c%c%c", 'A'+i/17576%26, 'A'+i/676%26, 'A'+i/26%26, 'A'+i%26)
	}
	return out
}

// scaleQueries are the two queries measured: one chain and one symbol's
// year of daily bars, each with the bare DuckDB query over the lake's
// files read by glob, as a user's own DuckDB would.
func (s scaleLake) queries() []struct{ name, engine, bare string } {
	snap := s.lastDay.Add(17 * time.Hour).Format("2006-01-02 15:04:05+00")
	from, to := s.lastDay.AddDate(-1, 0, 0).Format(dateLayout), s.lastDay.Format(dateLayout)
	chain := fmt.Sprintf("symbol = 'AAAD' AND snapshot_ts = TIMESTAMPTZ '%s' ORDER BY expiration, strike, option_type", snap)
	daily := fmt.Sprintf("symbol = 'AAAH' AND date BETWEEN DATE '%s' AND DATE '%s' ORDER BY date", from, to)
	glob := func(ds string) string {
		return fmt.Sprintf("read_parquet('%s/%s/*/*.parquet', hive_partitioning = false)", s.root, ds)
	}
	return []struct{ name, engine, bare string }{
		{"chain", "SELECT * FROM option_quotes WHERE " + chain, "SELECT * FROM " + glob("option_quotes") + " WHERE " + chain},
		{"daily-year", "SELECT * FROM daily_bars WHERE " + daily, "SELECT * FROM " + glob("daily_bars") + " WHERE " + daily},
	}
}

// buildScaleLake writes the lake's Parquet files and commit records
// directly, as the writer would leave them, without a broker or a writer,
// and registers them in the lake's Iceberg tables (tables.Migrate), which
// the engine reads.
func buildScaleLake(tb testing.TB, root string, size int) scaleLake {
	tb.Helper()
	store, err := lake.NewDir(root)
	if err != nil {
		tb.Fatal(err)
	}
	last := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	ing := last.Add(23 * time.Hour)
	offset := int64(0)
	put := func(ds *market.Dataset, part string, rows any) {
		rec, err := ds.Record(memory.DefaultAllocator, rows)
		if err != nil {
			tb.Fatal(err)
		}
		defer rec.Release()
		recs := []arrow.RecordBatch{rec}
		data, err := lake.EncodeParquet(ds, recs)
		if err != nil {
			tb.Fatal(err)
		}
		key := path.Join(ds.Name, part, fmt.Sprintf("scale-%08d.parquet", offset))
		cm := lake.Commit{Dataset: ds.Name, Topic: laketest.Topic(ds), FirstOffset: offset, LastOffset: offset,
			Rows: rec.NumRows(), CommittedAt: ing, SchemaVersion: market.SchemaVersion,
			Files: []lake.File{{Key: key, Format: "parquet", Rows: rec.NumRows(), Keys: lake.KeyRangesOf(ds, recs)}}}
		offset++
		b, err := json.Marshal(cm)
		if err != nil {
			tb.Fatal(err)
		}
		for k, v := range map[string][]byte{key: data, cm.Key(): b} {
			if _, err := store.PutIfAbsent(context.Background(), k, v); err != nil {
				tb.Fatal(err)
			}
		}
	}
	d := last
	for n := 0; n < 5*size; d = d.AddDate(0, 0, -1) {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		for _, sym := range scaleSymbols(10) {
			snap := d.Add(17 * time.Hour)
			put(market.OptionQuotes, market.OptionQuotes.PartitionOf(snap), laketest.OptionChain(sym, snap, 8, 20, ing))
		}
		n++
	}
	for _, sym := range scaleSymbols(10 * size) {
		for _, year := range []int{last.Year() - 1, last.Year()} {
			start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
			days := 260
			if year == last.Year() {
				days = 230 // through November
			}
			put(market.DailyBars, market.DailyBars.PartitionOf(start), laketest.DailyBars([]string{sym}, start, days, ing))
		}
	}
	ctx := context.Background()
	cat, err := tables.Open(ctx, filepath.Join(tb.TempDir(), "catalog.db"), store, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer cat.Close()
	for _, ds := range []*market.Dataset{market.OptionQuotes, market.DailyBars} {
		if rep, err := cat.Migrate(ctx, ds.Name); err != nil || rep.Added != rep.Visible {
			tb.Fatalf("register %s in its table: %+v, %v", ds.Name, rep, err)
		}
	}
	return scaleLake{size: size, root: root, lastDay: last}
}

// openReplica is a query replica over the lake at root: the engine reads
// it through a bounded cache in cacheDir, as it reads a lake on S3.
func openReplica(tb testing.TB, root, cacheDir string) *Engine {
	tb.Helper()
	store, err := lake.NewDir(root)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := lake.NewCache(store, cacheDir)
	if err != nil {
		tb.Fatal(err)
	}
	c.MaxBytes = DefaultCacheSize
	eng, err := OpenWith(store, Options{Files: &CachedFiles{Cache: c, URL: "s3://scale/lake"}})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// replicaFigures are what a replica costs after it answered the queries.
type replicaFigures struct {
	HeapBytes  uint64 `json:"heap_bytes"`  // Go heap in use after a GC
	RSSBytes   uint64 `json:"rss_bytes"`   // resident set of the whole process, DuckDB included
	CacheBytes int64  `json:"cache_bytes"` // the cache folder on disk
	CacheFiles int    `json:"cache_files"`
	LakeFiles  int    `json:"lake_files"`
}

// TestScaleReplica is the replica BenchmarkScale starts in a process of
// its own, so that its memory is its own: it opens the engine over the
// lake named in the environment, answers the scale queries a few times
// and prints its figures.
func TestScaleReplica(t *testing.T) {
	root, cacheDir := os.Getenv("TICKERLAKE_SCALE_LAKE"), os.Getenv("TICKERLAKE_SCALE_CACHE")
	if root == "" {
		t.Skip("run by BenchmarkScale")
	}
	last, err := time.Parse(dateLayout, os.Getenv("TICKERLAKE_SCALE_LAST"))
	if err != nil {
		t.Fatal(err)
	}
	eng := openReplica(t, root, cacheDir)
	defer eng.Close()
	ctx := context.Background()
	for range 5 {
		for _, q := range (scaleLake{root: root, lastDay: last}).queries() {
			if res, err := eng.Query(ctx, q.engine, 0); err != nil || len(res.Rows) == 0 {
				t.Fatalf("%s: %v", q.name, err)
			}
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f := replicaFigures{HeapBytes: ms.HeapInuse, RSSBytes: rss(t)}
	s := eng.Files().(*CachedFiles).Cache.Stats()
	f.CacheBytes, f.CacheFiles = dirBytes(cacheDir), s.Files
	for _, l := range eng.layouts {
		f.LakeFiles += len(l.files)
	}
	b, _ := json.Marshal(f)
	fmt.Printf("REPLICA %s\n", b)
}

// rss reads the process's resident set size.
func rss(t testing.TB) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// runReplica runs TestScaleReplica in a new process over lake.
func runReplica(b *testing.B, s scaleLake) replicaFigures {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScaleReplica$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "TICKERLAKE_SCALE_LAKE="+s.root, "TICKERLAKE_SCALE_CACHE="+b.TempDir(),
		"TICKERLAKE_SCALE_LAST="+s.lastDay.Format(dateLayout))
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("replica: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if js, ok := strings.CutPrefix(line, "REPLICA "); ok {
			var f replicaFigures
			if err := json.Unmarshal([]byte(js), &f); err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	b.Fatalf("replica printed no figures:\n%s", out)
	return replicaFigures{}
}

// BenchmarkScale builds lakes of 1×, 10× and 100× the base size and times
// one chain query and one symbol's year of daily bars on a replica that
// reads the lake through its cache, beside bare DuckDB reading the same
// files by glob. A replica in a process of its own reports its memory and
// cache disk; the growth from 1× to 100× is printed last.
//
//	go test -run XXX -bench Scale -benchtime 20x -timeout 60m ./lake/query/
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	type row struct {
		name    string
		latency map[string]time.Duration // wall time per query
		cpu     map[string]time.Duration // process CPU time per query
		rep     replicaFigures
	}
	var rows []row
	sizes := []int{1, 10, 100}
	if env := os.Getenv("TICKERLAKE_SCALE_SIZES"); env != "" { // e.g. "1,10" for a quicker look
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("TICKERLAKE_SCALE_SIZES: %q is not a size", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, size := range sizes {
		start := time.Now()
		s := buildScaleLake(b, b.TempDir(), size)
		b.Logf("%dx lake built in %v", size, time.Since(start).Round(time.Millisecond))
		eng := openReplica(b, s.root, b.TempDir())
		bare := bareDuckDB(b)
		r := row{name: fmt.Sprintf("%dx", size), latency: map[string]time.Duration{}, cpu: map[string]time.Duration{}}
		for _, q := range s.queries() {
			want := drain(b, bare, q.bare)
			if res, err := eng.Query(ctx, q.engine, 0); err != nil || len(res.Rows) != want || want == 0 {
				b.Fatalf("%s: %v (bare DuckDB %d rows)", q.name, err, want)
			}
			for _, side := range []string{"engine", "duckdb"} {
				b.Run(fmt.Sprintf("%s/%s/%s", r.name, q.name, side), func(b *testing.B) {
					cpu0 := laketest.CPUTime(b)
					for b.Loop() {
						if side == "engine" {
							if _, err := eng.Query(ctx, q.engine, 0); err != nil {
								b.Fatal(err)
							}
						} else {
							drain(b, bare, q.bare)
						}
					}
					cpu := (laketest.CPUTime(b) - cpu0) / time.Duration(b.N)
					b.ReportMetric(float64(cpu.Microseconds()), "cpu-µs/op")
					r.latency[q.name+"/"+side] = b.Elapsed() / time.Duration(b.N)
					r.cpu[q.name+"/"+side] = cpu
				})
			}
		}
		if err := eng.Close(); err != nil {
			b.Fatal(err)
		}
		b.Run(r.name+"/replica", func(b *testing.B) {
			r.rep = runReplica(b, s) // a process of its own, whatever b.N
			b.ReportMetric(float64(r.rep.HeapBytes)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(r.rep.RSSBytes)/(1<<20), "rss-MiB")
			b.ReportMetric(float64(r.rep.CacheBytes)/(1<<20), "cache-MiB")
			b.ReportMetric(float64(r.rep.LakeFiles), "lake-files")
		})
		rows = append(rows, r)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\nwall time per query (process CPU time per query)\n%-5s %6s %22s %22s %22s %22s %9s %9s %9s %7s\n",
		"lake", "files", "chain", "chain, bare DuckDB", "daily year", "daily, bare DuckDB", "heap-MiB", "rss-MiB", "cache-KiB", "cached")
	cell := func(r row, k string) string {
		return fmt.Sprintf("%v (%v)", r.latency[k].Round(10*time.Microsecond), r.cpu[k].Round(10*time.Microsecond))
	}
	for _, r := range rows {
		fmt.Fprintf(&out, "%-5s %6d %22s %22s %22s %22s %9.1f %9.1f %9.0f %7d\n", r.name, r.rep.LakeFiles,
			cell(r, "chain/engine"), cell(r, "chain/duckdb"), cell(r, "daily-year/engine"), cell(r, "daily-year/duckdb"),
			float64(r.rep.HeapBytes)/(1<<20), float64(r.rep.RSSBytes)/(1<<20), float64(r.rep.CacheBytes)/(1<<10), r.rep.CacheFiles)
	}
	if len(rows) == 3 && rows[0].latency["chain/engine"] > 0 {
		first, last := rows[0], rows[2]
		ratio := func(a, b float64) string { return strconv.FormatFloat(b/a, 'f', 2, 64) + "x" }
		var parts []string
		for _, k := range []string{"chain/engine", "daily-year/engine", "chain/duckdb", "daily-year/duckdb"} {
			parts = append(parts, fmt.Sprintf("%s %s wall, %s CPU", k, ratio(float64(first.latency[k]), float64(last.latency[k])),
				ratio(float64(first.cpu[k]), float64(last.cpu[k]))))
		}
		parts = append(parts, "heap "+ratio(float64(first.rep.HeapBytes), float64(last.rep.HeapBytes)),
			"rss "+ratio(float64(first.rep.RSSBytes), float64(last.rep.RSSBytes)),
			"cache disk "+ratio(float64(first.rep.CacheBytes), float64(last.rep.CacheBytes)))
		fmt.Fprintf(&out, "100x / 1x: %s\n", strings.Join(parts, "; "))
	}
	fmt.Print(out.String())
}

// dirBytes sums the sizes of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
