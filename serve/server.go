package serve

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/metrics"
)

// Version is reported in the OpenAPI document.
const Version = "0.1.0"

// Server is the api role.
type Server struct {
	Engine  *query.Engine
	Log     *slog.Logger
	Metrics *metrics.Set
	Now     func() time.Time
}

// Handler builds the HTTP handler: the API, /healthz and /metrics.
func (s *Server) Handler() (http.Handler, huma.API) {
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("tickerlake API", Version)
	cfg.Info.Description = "U.S. stock and option market data from the tickerlake lake: daily and 15-minute bars, option-chain snapshots with implied volatility and Greeks."
	api := humago.New(mux, cfg)
	s.register(api)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	return s.instrument(mux), api
}

func (s *Server) register(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Summary: "Liveness", Tags: []string{"ops"},
	}, func(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
		out := &HealthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})
	s.registerLegacy(api)
}

// HealthOutput is the liveness answer.
type HealthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok"`
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument records request latency by route pattern, method and status.
func (s *Server) instrument(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		_, route := mux.Handler(r)
		if route == "" {
			route = "unmatched"
		}
		mux.ServeHTTP(rec, r)
		s.Metrics.HTTPSeconds.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Observe(time.Since(start).Seconds())
	})
}

// ListenAndServe serves on addr until ctx ends, then drains for up to 10s.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	h, _ := s.Handler()
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	s.Log.Info("api listening", "addr", addr)
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
