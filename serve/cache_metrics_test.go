package serve

import (
	"log/slog"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2/humatest"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/metrics"
)

// TestResponseCacheCounts: tickerlake_api_response_cache_requests_total
// counts a request the cache answered as a hit and one it passed to the
// lake as a miss.
func TestResponseCacheCounts(t *testing.T) {
	store, eng := sharedLake(t)
	clock := clock.NewManual(testNow)
	s := &Server{Engine: eng, Lake: store, Metrics: metrics.New(), Clock: clock, Log: slog.New(slog.DiscardHandler),
		Config: Config{ResponseCache: time.Second}}
	_, hapi := s.Handler()
	api := humatest.Wrap(t, hapi)
	path := "/api/v1/bars/MSFT?from=2026-11-01&to=2026-11-20"
	api.Get(path) // miss
	api.Get(path) // hit
	clock.Advance(time.Second)
	api.Get(path) // miss: expired
	api.Get(path) // hit
	api.Get(path) // hit
	hits := testutil.ToFloat64(s.Metrics.ResponseCache.WithLabelValues("hit"))
	misses := testutil.ToFloat64(s.Metrics.ResponseCache.WithLabelValues("miss"))
	if hits != 3 || misses != 2 {
		t.Errorf("%v hits and %v misses, want 3 and 2", hits, misses)
	}
}
