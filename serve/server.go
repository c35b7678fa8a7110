package serve

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/ops"
)

// Version is reported in the OpenAPI document.
const Version = "0.2.0"

// Server is the api role.
type Server struct {
	Engine *query.Engine
	// Lake is the store behind Engine; freshness and readiness read its
	// commit records. Nil: freshness falls back to querying the views.
	Lake    lake.Store
	Log     *slog.Logger
	Metrics *metrics.Set
	// Clock tells the time of rate limiting, response-cache expiry, default
	// date ranges and lag (default the system's).
	Clock  clock.Clock
	Config Config
	// SQL runs POST /api/v1/sql; default: Engine itself when it offers
	// ReadOnlyQuery, else Engine.Query behind this package's read-only check.
	SQL SQLRunner
	// Collect publishes a collection task (admin trigger); nil answers 503.
	Collect func(ctx context.Context, t ingest.Task) error
	// Ready adds dependency checks to /readyz, e.g. the Kafka brokers.
	Ready []ReadyCheck
	// Web, when set, serves the web app at / (with its own SPA fallback). It
	// is mounted last, so /api, /openapi*, /docs, /metrics and the probes win.
	Web http.Handler
	// Mount registers more operations on the same API, behind the same
	// middleware, admin keys (see AdminOnly) and OpenAPI document: the
	// predictor's routes, on the api's address in up.
	Mount []func(huma.API)
	// MountOnly serves the probes and Mount's operations without the
	// data routes (the predictor role).
	MountOnly bool

	catalogOnce sync.Once
	catalog     *lake.Catalog
	readyOnce   sync.Once
	readiness   *ops.Readiness
}

// New assembles the api role over the lake's query engine and the store
// behind it, with the web app at /: the one constructor `tickerlake api` and
// `tickerlake up` share. Kafka is added with UseKafka.
func New(eng *query.Engine, store lake.Store, cfg Config, log *slog.Logger, m *metrics.Set) *Server {
	return &Server{Engine: eng, Lake: store, Log: log, Metrics: m, Clock: clock.System{}, Config: cfg, Web: WebHandler()}
}

// router lets huma register on the ServeMux while its test client (which
// calls the adapter's ServeHTTP) goes through the same middleware as real
// traffic.
type router struct {
	mux *http.ServeMux
	h   http.Handler
}

func (r *router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	r.mux.HandleFunc(pattern, h)
}

func (r *router) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.h.ServeHTTP(w, req) }

// Handler builds the HTTP handler: the API, its OpenAPI document, /healthz,
// /readyz and /metrics, behind request ids and logs, CORS, rate limits,
// body and time limits, and ETags.
func (s *Server) Handler() (http.Handler, huma.API) {
	s.Config.defaults()
	s.Clock = clock.Or(s.Clock)
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	rt := &router{mux: mux}
	cfg := huma.DefaultConfig("tickerlake API", Version)
	cfg.Info.Description = "U.S. stock and option market data from the tickerlake lake: daily and 15-minute bars, " +
		"option-chain snapshots with implied volatility and Greeks, freshness and read-only SQL. " +
		"Errors are RFC 9457 problem documents; data responses carry an ETag."
	api := humago.New(rt, cfg)
	addSecuritySchemes(api)
	api.UseMiddleware(s.authMiddleware(api))
	s.register(api)
	mux.Handle("GET /metrics", s.metricsHandler())
	// Unknown API paths get a problem document, not the web app's index.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s is not supported; use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")))
			return
		}
		writeProblem(w, http.StatusNotFound, fmt.Sprintf("no route %s %s; the routes are listed in /openapi.json", r.Method, r.URL.Path))
	})
	if s.Web != nil {
		mux.Handle("/", s.Web)
	}
	rt.h = s.observe(mux, s.withCORS(s.withRateLimit(s.withLimits(s.withETag(s.withResponseCache(mux))))))
	return rt.h, api
}

func (s *Server) register(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Summary: "Liveness", Tags: []string{"ops"},
	}, func(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
		out := &HealthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})
	s.registerReady(api)
	if !s.MountOnly {
		s.registerLegacy(api)
		s.registerV1(api)
	}
	for _, m := range s.Mount {
		m(api)
	}
}

// HealthOutput is the liveness answer.
type HealthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok"`
	}
}

// metricsHandler refreshes the lake-derived freshness gauge before each
// scrape, so a standalone api process reports it too.
func (s *Server) metricsHandler() http.Handler {
	h := promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.freshness(r.Context()); err != nil {
			s.Log.Warn("freshness for metrics", "err", err)
		}
		h.ServeHTTP(w, r)
	})
}

// ListenAndServe serves on addr until ctx ends, then drains for up to 10s.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	h, _ := s.Handler()
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: s.Config.RequestTimeout + 30*time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: s.Config.MaxHeaderBytes}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	s.Log.Info("api listening", "addr", addr, "admin_keys", s.Config.AdminKeys, "cors_origins", s.Config.CORSOrigins,
		"rate_limit", s.Config.RateLimit, "rate_burst", s.Config.RateBurst)
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// allowedMethods lists the methods some route other than the catch-all
// answers on r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/api/" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// timed records one query's DuckDB time; call the result when it is done.
func (s *Server) timed(name string) func() {
	start := time.Now()
	return func() { s.Metrics.QuerySeconds.WithLabelValues(name).Observe(time.Since(start).Seconds()) }
}
