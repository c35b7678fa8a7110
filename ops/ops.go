// Package ops serves a long-running role's operational endpoints on its ops
// port: /healthz (the process serves), /readyz (its dependencies answer) and
// /metrics (its Prometheus registry), as Kubernetes probes and scrapes them.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tickerlake/tickerlake/clock"
)

// Check is one dependency readiness probes.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Result is one check's outcome.
type Result struct {
	Name   string  `json:"name" example:"kafka"`
	OK     bool    `json:"ok"`
	Error  string  `json:"error,omitempty"`
	TookMS float64 `json:"took_ms"`
}

// Report is the body /readyz answers.
type Report struct {
	Status    string    `json:"status" enum:"ready,unavailable"`
	Checks    []Result  `json:"checks"`
	CheckedAt time.Time `json:"checked_at"`
}

// Ready reports whether every check passed.
func (r Report) Ready() bool { return r.Status == StatusReady }

// Report statuses.
const (
	StatusReady       = "ready"
	StatusUnavailable = "unavailable"
)

// Readiness runs its checks live, at most once per TTL, so that probes from
// several sources do not multiply the load on the dependencies, and a
// dependency going down or coming back shows within TTL.
type Readiness struct {
	Checks []Check
	// TTL is how long a report is reused (default 1s).
	TTL time.Duration
	// Timeout bounds each check (default 2s); the checks run concurrently.
	Timeout time.Duration
	// Clock stamps each report (default the system clock).
	Clock clock.Clock
	Log   *slog.Logger

	mu       sync.Mutex
	last     Report
	draining bool
}

func (r *Readiness) now() time.Time { return clock.Or(r.Clock).Now() }

// Drain makes every later report unavailable: the role is stopping and
// should get no new work.
func (r *Readiness) Drain() {
	r.mu.Lock()
	r.draining = true
	r.mu.Unlock()
}

// Check returns the current report, running the checks when the last
// report is older than TTL.
func (r *Readiness) Check(ctx context.Context) Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	ttl, timeout := r.TTL, r.Timeout
	if ttl == 0 {
		ttl = time.Second
	}
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	now := r.now()
	if r.draining {
		return Report{Status: StatusUnavailable, CheckedAt: now, Checks: []Result{{Name: "shutdown", Error: "the role is stopping"}}}
	}
	if !r.last.CheckedAt.IsZero() && now.Sub(r.last.CheckedAt) < ttl {
		return r.last
	}
	results := make([]Result, len(r.Checks))
	var wg sync.WaitGroup
	for i, c := range r.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			start := time.Now()
			err := c.Func(cctx)
			results[i] = Result{Name: c.Name, OK: err == nil, TookMS: float64(time.Since(start).Microseconds()) / 1000}
			if err != nil {
				results[i].Error = err.Error()
			}
		}()
	}
	wg.Wait()
	rep := Report{Status: StatusReady, Checks: results, CheckedAt: now}
	for _, res := range results {
		if !res.OK {
			rep.Status = StatusUnavailable
			if r.Log != nil && (r.last.CheckedAt.IsZero() || r.last.Ready()) {
				// Logged when readiness is lost, not on every probe.
				r.Log.Warn("not ready", "check", res.Name, "err", res.Error)
			}
		}
	}
	if r.Log != nil && rep.Ready() && !r.last.CheckedAt.IsZero() && !r.last.Ready() {
		r.Log.Info("ready again")
	}
	r.last = rep
	return rep
}

// Handler answers /healthz, /readyz and, with a registry, /metrics.
func Handler(ready *Readiness, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, req *http.Request) {
		rep := ready.Check(req.Context())
		w.Header().Set("Content-Type", "application/json")
		if !rep.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rep)
	})
	if reg != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	return mux
}

// Server is a role's ops endpoint.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen binds addr now, so that a port in use stops the role at start with
// a message naming it; Serve then answers on it.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ops port %s (--ops-addr): %w", addr, err)
	}
	return &Server{ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}, nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers until Close.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops server on %s: %w", s.Addr(), err)
	}
	return nil
}

// Close stops answering.
func (s *Server) Close() error { return s.srv.Close() }
