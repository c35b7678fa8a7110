package serve

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/metrics"
)

// heldStore is a lake whose commit listing waits until release is closed:
// a query that refreshes the engine's views stays in flight until then.
type heldStore struct {
	lake.Store
	release chan struct{}
}

func (s *heldStore) List(ctx context.Context, prefix string) ([]string, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Store.List(ctx, prefix)
}

// TestConcurrentIdenticalRequestsShareOneQuery sends identical data requests
// together through the whole handler to a real engine, and counts the
// engine's bar queries. The engine re-reads the lake on every query and the
// first query is held until every request has arrived, so without request
// sharing each request would reach DuckDB.
func TestConcurrentIdenticalRequestsShareOneQuery(t *testing.T) {
	const clients = 16
	store, _ := sharedLake(t)
	held := &heldStore{Store: store, release: make(chan struct{})}
	files, err := query.NewFiles(store, "")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := query.OpenWith(held, query.Options{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	}()
	eng.RefreshEvery = 0
	clock := clock.NewManual(testNow) // answers never expire: only sharing is tested
	s := &Server{Engine: eng, Lake: store, Metrics: metrics.New(), Clock: clock, Log: slog.New(slog.DiscardHandler),
		Config: Config{ResponseCache: time.Second}}
	h, _ := s.Handler()

	var arrived atomic.Int32
	codes := make([]int, clients)
	bodies := make([]string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/bars/JPM?from=2026-06-01&to=2026-11-20", nil)
			w := httptest.NewRecorder()
			if arrived.Add(1) == clients {
				close(held.release)
			}
			h.ServeHTTP(w, r)
			codes[i], bodies[i] = w.Code, w.Body.String()
		})
	}
	wg.Wait()
	for i := range clients {
		if codes[i] != http.StatusOK || bodies[i] != bodies[0] {
			t.Errorf("request %d: %d, body %d bytes (the first: %d)", i, codes[i], len(bodies[i]), len(bodies[0]))
		}
	}
	m := &dto.Metric{}
	if err := s.Metrics.QuerySeconds.WithLabelValues("bars").(prometheus.Metric).Write(m); err != nil {
		t.Fatal(err)
	}
	if n := m.GetHistogram().GetSampleCount(); n != 1 {
		t.Errorf("%d identical requests ran %d bar queries, want 1", clients, n)
	}
}
