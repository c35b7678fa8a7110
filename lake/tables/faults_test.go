package tables_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink/sinktest"
)

// logLines is a slog handler that hands each message to a channel.
type logLines struct {
	slog.Handler
	ch chan string
}

func (l logLines) Handle(_ context.Context, r slog.Record) error {
	select {
	case l.ch <- r.Message:
	default:
	}
	return nil
}

func newLogLines() (*slog.Logger, chan string) {
	ch := make(chan string, 1000)
	return slog.New(logLines{Handler: slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}), ch: ch}), ch
}

// TestCatalogUnreachable cuts the writer off from its PostgreSQL catalog
// (a proxy in between) mid-run: the writer commits nothing more and tries
// again; once the catalog is back it goes on, and the table holds every
// commit once.
func TestCatalogUnreachable(t *testing.T) {
	dsn := sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the PostgreSQL catalog tests")
	u, err := url.Parse(sinktest.PostgresDB(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	proxy := toxiproxy.NewProxy(toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.New(io.Discard)), "catalog", front, u.Host)
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	u.Host = front

	ctx := context.Background()
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tables.Open(ctx, u.String(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	log, lines := newLogLines()
	w := laketest.Writer(st)
	w.Tables, w.Log, w.TablesRetry = c, log, 500*time.Millisecond
	ds := market.DailyBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	if err := w.WriteBatch(ctx, laketest.Messages(t, ds, 0, 0, 5, laketest.DailyBars([]string{"AAPL"}, day, 10, ing))); err != nil {
		t.Fatal(err)
	}

	proxy.Stop()
	done := make(chan error, 1)
	go func() {
		done <- w.WriteBatch(ctx, laketest.Messages(t, ds, 0, 2, 5, laketest.DailyBars([]string{"MSFT"}, day, 10, ing)))
	}()
	for failures := 0; failures < 3; {
		select {
		case m := <-lines:
			if strings.Contains(m, "iceberg commit failed") {
				failures++
			}
		case err := <-done:
			t.Fatalf("the writer went on while its catalog was unreachable: %v", err)
		}
	}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if keys := laketest.TableKeys(t, c, ds); len(keys) != 20 {
		t.Errorf("after the catalog came back: %d keys, want 20", len(keys))
	}
}

// TestCommitLosesARace has a writer commit on a table another catalog
// client moved since it last looked: its commit fails on the moved branch,
// is planned again on the new snapshot and lands; no commit is lost.
func TestCommitLosesARace(t *testing.T) {
	ctx := context.Background()
	st, err := lake.NewDir(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "catalog.db")
	open := func(log *slog.Logger) *tables.Catalog {
		c, err := tables.Open(ctx, file, st, log)
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
	log, lines := newLogLines()
	w1, w2 := laketest.Writer(st), laketest.Writer(st)
	w1.Tables, w2.Tables = open(log), open(nil)
	w1.Log = log
	ds := market.DailyBars
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ing := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	write := func(w *lake.Writer, part int, first int64, syms ...string) {
		if err := w.WriteBatch(ctx, laketest.Messages(t, ds, part, first, 5, laketest.DailyBars(syms, day, 10, ing))); err != nil {
			t.Error(err)
		}
	}
	write(w1, 0, 0, "AAPL") // w1 has the table as of this commit
	write(w2, 1, 0, "MSFT") // the table moves on
	done := make(chan struct{})
	go func() {
		write(w1, 0, 2, "NVDA")
		close(done)
	}()
	conflicts := 0
	for finished := false; !finished; {
		select {
		case m := <-lines:
			if strings.Contains(m, "conflict") {
				conflicts++
			}
			if strings.Contains(m, "iceberg commit failed") {
				t.Fatal("the stale writer's commit failed rather than retrying on the new snapshot")
			}
		case <-done:
			finished = true
		}
	}
	for len(lines) > 0 {
		if strings.Contains(<-lines, "conflict") {
			conflicts++
		}
	}
	if conflicts == 0 {
		t.Error("the stale writer's commit met no conflict")
	}
	if keys := laketest.TableKeys(t, open(nil), ds); len(keys) != 30 {
		t.Errorf("%d keys, want 30 from three commits", len(keys))
	}
}

// TestBrokenMetadataIsNamed removes, then garbles, a table's current
// metadata file: opening the table fails with an error naming the file.
func TestBrokenMetadataIsNamed(t *testing.T) {
	ctx := context.Background()
	_, st, c := dirLake(t)
	ds := market.DailyBars
	laketest.Commit(t, st, ds, 0, 0, 5, laketest.DailyBars([]string{"AAPL"}, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 3, time.Now()))
	if _, err := c.Migrate(ctx, ds.Name); err != nil {
		t.Fatal(err)
	}
	w := laketest.Writer(st)
	w.Tables = c
	if err := w.WriteBatch(ctx, laketest.Messages(t, ds, 1, 0, 5, laketest.DailyBars([]string{"MSFT"}, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), 3, time.Now()))); err != nil {
		t.Fatal(err)
	}
	tbl, err := c.Reload(ctx, ds.Name)
	if err != nil {
		t.Fatal(err)
	}
	file := strings.TrimPrefix(tbl.MetadataLocation(), "file://")
	for _, tc := range []struct {
		name  string
		spoil func() error
	}{
		{"garbled", func() error { return os.WriteFile(file, []byte(`{"format-version": 2, "table-uuid": `), 0o644) }},
		{"missing", func() error { return os.Remove(file) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.spoil(); err != nil {
				t.Fatal(err)
			}
			_, err := c.Reload(ctx, ds.Name)
			if err == nil || !strings.Contains(err.Error(), file) {
				t.Fatalf("error %v; want one naming %s", err, file)
			}
			t.Logf("%v", err)
		})
	}
}

// TestLakeDirectoryAURLCannotCarry refuses, when the catalog opens, a lake
// directory whose name iceberg-go would read as a URL's fragment, query or
// escape: the tables would live in another folder, or creating them would
// fail on every commit, and the writer would retry for ever.
func TestLakeDirectoryAURLCannotCarry(t *testing.T) {
	for _, name := range []string{"lake#1", "lake?x", "lake%20"} {
		root := filepath.Join(t.TempDir(), name)
		st, err := lake.NewDir(root)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tables.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"), st, nil)
		if err == nil {
			c.Close()
			t.Errorf("%s: the catalog opened over a lake directory a table location cannot carry", name)
			continue
		}
		if !strings.Contains(err.Error(), root) {
			t.Errorf("%s: %v, want an error naming the directory", name, err)
		}
	}
}
