package ops

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tickerlake/tickerlake/clock"
)

func TestReadiness(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("dial tcp 10.0.0.1:9092: connection refused") }
	slow := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	for _, tc := range []struct {
		name   string
		checks []Check
		drain  bool
		code   int
		failed []string
	}{
		{name: "no checks", code: 200},
		{name: "all pass", checks: []Check{{"kafka", ok}, {"lake", ok}}, code: 200},
		{name: "one down", checks: []Check{{"kafka", down}, {"lake", ok}}, code: 503, failed: []string{"kafka"}},
		{name: "all down", checks: []Check{{"kafka", down}, {"lake", down}}, code: 503, failed: []string{"kafka", "lake"}},
		{name: "timeout", checks: []Check{{"lake", slow}, {"kafka", ok}}, code: 503, failed: []string{"lake"}},
		{name: "draining", checks: []Check{{"kafka", ok}}, drain: true, code: 503, failed: []string{"shutdown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Readiness{Checks: tc.checks, Timeout: 20 * time.Millisecond}
			if tc.drain {
				r.Drain()
			}
			w := httptest.NewRecorder()
			Handler(r, prometheus.NewRegistry()).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if w.Code != tc.code {
				t.Errorf("code %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			var rep Report
			if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, c := range rep.Checks {
				if !c.OK {
					failed = append(failed, c.Name)
					if c.Error == "" {
						t.Errorf("check %s failed without saying why", c.Name)
					}
				}
			}
			if len(failed) != len(tc.failed) {
				t.Fatalf("failed %v, want %v", failed, tc.failed)
			}
			for i := range failed {
				if failed[i] != tc.failed[i] {
					t.Errorf("failed %v, want %v", failed, tc.failed)
				}
			}
		})
	}
}

// TestReadinessCache: a report is reused within TTL and redone after it,
// so a dependency's return shows at the next probe past TTL.
func TestReadinessCache(t *testing.T) {
	now := clock.NewManual(time.Date(2027, 3, 1, 14, 0, 0, 0, time.UTC))
	calls, fail := 0, true
	r := &Readiness{TTL: time.Second, Clock: now, Checks: []Check{{"kafka", func(context.Context) error {
		calls++
		if fail {
			return errors.New("down")
		}
		return nil
	}}}}
	steps := []struct {
		advance time.Duration
		fail    bool
		ready   bool
		calls   int
	}{
		{0, true, false, 1},
		{500 * time.Millisecond, false, false, 1}, // cached
		{600 * time.Millisecond, false, true, 2},  // past TTL: checked again
		{100 * time.Millisecond, true, true, 2},   // cached
		{time.Second, true, false, 3},
	}
	for i, s := range steps {
		now.Advance(s.advance)
		fail = s.fail
		if rep := r.Check(context.Background()); rep.Ready() != s.ready || calls != s.calls {
			t.Errorf("step %d: ready %v after %d calls, want %v after %d", i, rep.Ready(), calls, s.ready, s.calls)
		}
	}
}

func TestHandlerHealthAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "tickerlake_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Inc()
	h := Handler(&Readiness{Checks: []Check{{"kafka", func(context.Context) error { return errors.New("down") }}}}, reg)
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 200, "/nothing": 404} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want {
			t.Errorf("%s: %d, want %d", path, w.Code, want)
		}
		if path == "/metrics" && !strings.Contains(w.Body.String(), "tickerlake_test_total 1") {
			t.Errorf("/metrics lacks the registry's counter:\n%s", w.Body)
		}
	}
}
