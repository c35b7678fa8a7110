package query

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tickerlake/tickerlake/lake/laketest"
)

func TestSizeParses(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Size
		err  bool
	}{
		{"2GiB", 2 << 30, false},
		{"2 GiB", 2 << 30, false},
		{"512MB", 512e6, false},
		{"500M", 500 << 20, false},
		{"1.5G", 3 << 29, false},
		{"1073741824", 1 << 30, false},
		{"0", 0, false},
		{"-1GiB", 0, true},
		{"GiB", 0, true},
		{"2 parsecs", 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var s Size
			err := s.UnmarshalText([]byte(tc.in))
			if (err != nil) != tc.err || !tc.err && s != tc.want {
				t.Fatalf("%q: %v, %v; want %v (error %v)", tc.in, s, err, tc.want, tc.err)
			}
		})
	}
	if got := Size(2 << 30).String(); got != "2GiB" {
		t.Fatalf("String %q", got)
	}
}

// TestCacheCollectorReportsHitsAndMisses: the first query fetches its
// file, the second finds it cached.
func TestCacheCollectorReportsHitsAndMisses(t *testing.T) {
	ctx := context.Background()
	st := laketest.FakeS3(t, laketest.NewClock(time.Now()), "bucket", "metrics")
	smallLake(t, st)
	eng, err := OpenWith(st, Options{CacheDir: t.TempDir(), CacheSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for range 2 {
		if _, err := eng.Query(ctx, "SELECT count(*) FROM daily_bars WHERE symbol = 'AAPL'", 0); err != nil {
			t.Fatal(err)
		}
	}
	want := `
# HELP tickerlake_query_cache_hits_total Lake objects a query needed and found in the query engine's local cache.
# TYPE tickerlake_query_cache_hits_total counter
tickerlake_query_cache_hits_total 1
# HELP tickerlake_query_cache_limit_bytes The query engine's cache bound (--cache-size); 0 when unbounded.
# TYPE tickerlake_query_cache_limit_bytes gauge
tickerlake_query_cache_limit_bytes 1.048576e+06
# HELP tickerlake_query_cache_misses_total Lake objects a query needed and fetched into the query engine's local cache.
# TYPE tickerlake_query_cache_misses_total counter
tickerlake_query_cache_misses_total 1
`
	if err := testutil.CollectAndCompare(eng.CacheCollector(), strings.NewReader(want),
		"tickerlake_query_cache_hits_total", "tickerlake_query_cache_misses_total", "tickerlake_query_cache_limit_bytes"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(eng.CacheCollector(), "tickerlake_query_cache_bytes"); n != 1 {
		t.Fatalf("%d cache bytes series", n)
	}
}
