package tables_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// benchLake is a lake whose intraday_bars table holds one data file per
// day, with the writer that commits to it.
type benchLake struct {
	c     *tables.Catalog
	w     *lake.Writer
	reads *tables.Reads
	days  int   // days (data files) written so far
	next  int64 // next offset of the topic partition
}

var benchStart = time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC)

// newBenchLake commits files days of intraday bars in one batch: one
// message, and so one data file, per day. The lake lasts as long as owner:
// the sub-benchmark that uses it runs more than once.
func newBenchLake(b, owner testing.TB, files int) *benchLake {
	b.Helper()
	ctx := context.Background()
	dir := owner.TempDir()
	st, err := lake.NewDir(filepath.Join(dir, "lake"))
	if err != nil {
		b.Fatal(err)
	}
	c, err := tables.Open(ctx, filepath.Join(dir, "catalog.db"), st, nil)
	if err != nil {
		b.Fatal(err)
	}
	owner.Cleanup(func() {
		if err := c.Close(); err != nil {
			owner.Error(err)
		}
	})
	l := &benchLake{c: c, w: laketest.Writer(st), reads: tables.CountReads(c)}
	l.w.Tables = c
	l.w.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var rows []market.IntradayBar
	for d := range files {
		rows = append(rows, barsOf(d, benchStart)...)
	}
	l.commit(b, rows, 52)
	l.days = files
	return l
}

// barsOf is one session of two symbols' bars on day d after start.
func barsOf(d int, ingested time.Time) []market.IntradayBar {
	return laketest.IntradayBars([]string{"AAPL", "MSFT"}, benchStart.AddDate(0, 0, d), ingested)
}

func (l *benchLake) commit(b testing.TB, rows []market.IntradayBar, chunk int) {
	b.Helper()
	msgs := laketest.Messages(b, market.IntradayBars, 0, l.next, chunk, rows)
	if err := l.w.WriteBatch(context.Background(), msgs); err != nil {
		b.Fatal(err)
	}
	l.next += int64(len(msgs))
}

// BenchmarkTableCommit commits one small file into tables of 1x, 10x and
// 100x the data files: a day not in the table yet ("append"), or a
// re-collected day whose file the commit rewrites ("overlap"). It reports
// the CPU time, the Iceberg manifests (and manifest lists) read, and how
// many KiB of them, and the data files read per commit, which should not
// grow with the table.
func BenchmarkTableCommit(parent *testing.B) {
	lakes := map[int]*benchLake{}
	for _, size := range []int{1, 10, 100} {
		files := 20 * size
		for _, kind := range []string{"append", "overlap"} {
			parent.Run(fmt.Sprintf("%s/files=%d", kind, files), func(b *testing.B) {
				l := lakes[files]
				if l == nil {
					l = newBenchLake(b, parent, files)
					lakes[files] = l
				}
				m0, f0, mb0 := l.reads.Manifests.Load(), l.reads.DataFiles.Load(), l.reads.ManifestBytes.Load()
				cpu := laketest.CPUTime(b)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if kind == "append" {
						l.commit(b, barsOf(l.days, benchStart), 0)
						l.days++
					} else {
						// A later ingestion of a day in the middle of the table.
						l.commit(b, barsOf(l.days/2, benchStart.Add(time.Duration(l.next)*time.Minute)), 0)
					}
				}
				b.StopTimer()
				n := float64(b.N)
				b.ReportMetric(float64((laketest.CPUTime(b)-cpu).Nanoseconds())/n, "cpu-ns/commit")
				b.ReportMetric(float64(l.reads.Manifests.Load()-m0)/n, "manifests/commit")
				b.ReportMetric(float64(l.reads.DataFiles.Load()-f0)/n, "datafiles/commit")
				b.ReportMetric(float64(l.reads.ManifestBytes.Load()-mb0)/n/1024, "manifest-KiB/commit")
			})
		}
	}
}

// TestAppendReadsDoNotGrow commits a day into tables of 20 and of 400 data
// files: the appending commit reads the same manifests, and as many bytes
// of them give or take the names, and only its own data file.
func TestAppendReadsDoNotGrow(t *testing.T) {
	type reads struct{ manifests, bytes, files int64 }
	appendOne := func(files int) reads {
		l := newBenchLake(t, t, files)
		var r reads
		for range 3 {
			m0, b0, f0 := l.reads.Manifests.Load(), l.reads.ManifestBytes.Load(), l.reads.DataFiles.Load()
			l.commit(t, barsOf(l.days, benchStart), 0)
			l.days++
			r = reads{l.reads.Manifests.Load() - m0, l.reads.ManifestBytes.Load() - b0, l.reads.DataFiles.Load() - f0}
		}
		return r
	}
	small, large := appendOne(20), appendOne(400)
	if small.manifests != large.manifests || 10*large.bytes > 11*small.bytes {
		t.Errorf("an appending commit reads %d manifests (%d bytes) of a table of 400 files, %d (%d bytes) of one of 20",
			large.manifests, large.bytes, small.manifests, small.bytes)
	}
	// The new object: its key columns and its footer.
	if large.files != 2 {
		t.Errorf("an appending commit reads %d data files, want 2 (its own, twice)", large.files)
	}
}

// TestCommitsAcrossAManifestMerge appends past the point where iceberg-go
// merges the table's manifests into new ones, then re-collects a day the
// merged manifest lists: the commit finds the day's file through it and
// rewrites it, and the table holds each key once.
func TestCommitsAcrossAManifestMerge(t *testing.T) {
	l := newBenchLake(t, t, 20)
	for range 105 { // iceberg-go's commit.manifest.min-count-to-merge is 100
		l.commit(t, barsOf(l.days, benchStart), 0)
		l.days++
	}
	l.commit(t, barsOf(5, benchStart.Add(time.Hour)), 0)
	keys, rows := scanKeys(t, l.c, market.IntradayBars)
	want := 52 * l.days
	if rows != int64(want) || len(keys) != want {
		t.Fatalf("after %d days and a re-collection: %d rows, %d keys; want %d of each", l.days, rows, len(keys), want)
	}
	tbl, err := l.c.Reload(context.Background(), market.IntradayBars.Name)
	if err != nil {
		t.Fatal(err)
	}
	manifests := currentManifests(t, tbl)
	if len(manifests) >= 100 {
		t.Fatalf("the table has %d manifests: they were never merged, so the test shows nothing", len(manifests))
	}
}
