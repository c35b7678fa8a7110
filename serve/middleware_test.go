package serve

import (
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2/humatest"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake/query"
	"github.com/tickerlake/tickerlake/metrics"
)

func TestETagAndCacheControl(t *testing.T) {
	_, api := newTestServer(t, Config{CacheMaxAge: 7 * time.Second})
	path := "/api/v1/bars/AAPL?from=2026-11-01&to=2026-11-20"
	first := api.Get(path)
	etag := first.Header().Get("ETag")
	if first.Code != 200 || !strings.HasPrefix(etag, `"`) {
		t.Fatalf("first: %d etag %q", first.Code, etag)
	}
	if cc := first.Header().Get("Cache-Control"); cc != "public, max-age=7" {
		t.Errorf("Cache-Control %q", cc)
	}
	tests := []struct {
		name, ifNoneMatch string
		want              int
	}{
		{"same etag", etag, http.StatusNotModified},
		{"weak form", "W/" + etag, http.StatusNotModified},
		{"in a list", `"other", ` + etag, http.StatusNotModified},
		{"star", "*", http.StatusNotModified},
		{"other etag", `"0123"`, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := api.Get(path, "If-None-Match: "+tc.ifNoneMatch)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if w.Header().Get("ETag") != etag {
				t.Errorf("etag %q, want %q", w.Header().Get("ETag"), etag)
			}
			if tc.want == http.StatusNotModified && w.Body.Len() != 0 {
				t.Errorf("304 with a body of %d bytes", w.Body.Len())
			}
		})
	}
	if other := api.Get("/api/v1/bars/AAPL?from=2026-11-02&to=2026-11-20"); other.Header().Get("ETag") == etag {
		t.Error("different data, same ETag")
	}
	if e := api.Get("/api/v1/bars/NOPE"); e.Header().Get("ETag") != "" || e.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("an error response is cacheable: etag %q cache %q", e.Header().Get("ETag"), e.Header().Get("Cache-Control"))
	}
	sql := api.Post("/api/v1/sql", map[string]any{"sql": "SELECT 1 AS one"})
	if sql.Header().Get("Cache-Control") != "no-store" || sql.Header().Get("ETag") != "" {
		t.Errorf("SQL answers are cacheable: %v", sql.Header())
	}
}

func TestRateLimit(t *testing.T) {
	store, eng := sharedLake(t)
	clock := clock.NewManual(testNow)
	s := &Server{Engine: eng, Lake: store, Metrics: metrics.New(), Clock: clock, Log: slog.New(slog.DiscardHandler),
		Config: Config{RateLimit: 2, RateBurst: 3, AdminKeys: Secrets{"k1", "k2"}, TrustProxy: true}}
	_, hapi := s.Handler()
	api := humatest.Wrap(t, hapi)
	get := func(headers ...string) *httptest.ResponseRecorder {
		args := make([]any, len(headers))
		for i, h := range headers {
			args[i] = h
		}
		return api.Get("/api/v1/universe/AAPL", args...)
	}
	for i := 0; i < 3; i++ {
		if w := get(); w.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, w.Code)
		}
	}
	w := get()
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("4th request in the same instant: %d, want 429", w.Code)
	}
	if ra := w.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1 (a token every 0.5s)", ra)
	}
	if w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("429 content type %q", w.Header().Get("Content-Type"))
	}
	// Probes are never throttled.
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if w := api.Get(p); w.Code != 200 {
			t.Errorf("%s while throttled: %d", p, w.Code)
		}
	}
	// Other clients have their own buckets: another IP, and each API key.
	if w := get("X-Forwarded-For: 203.0.113.9"); w.Code != 200 {
		t.Errorf("another IP throttled: %d", w.Code)
	}
	for i := 0; i < 3; i++ {
		if w := get("X-API-Key: k1"); w.Code != 200 {
			t.Errorf("key k1 request %d: %d", i+1, w.Code)
		}
	}
	if w := get("X-API-Key: k1"); w.Code != http.StatusTooManyRequests {
		t.Errorf("key k1 past its burst: %d", w.Code)
	}
	if w := get("X-API-Key: k2"); w.Code != 200 {
		t.Errorf("key k2 throttled by k1's use: %d", w.Code)
	}
	// An unknown key does not get a bucket of its own: it counts as its IP.
	if w := get("X-API-Key: made-up"); w.Code != http.StatusTooManyRequests {
		t.Errorf("unknown key escaped its IP's limit: %d", w.Code)
	}
	clock.Advance(500 * time.Millisecond)
	if w := get(); w.Code != 200 {
		t.Errorf("after one token's time: %d", w.Code)
	}
	if w := get(); w.Code != http.StatusTooManyRequests {
		t.Errorf("only one token refilled, second request: %d", w.Code)
	}
}

func TestCORS(t *testing.T) {
	_, api := newTestServer(t, Config{CORSOrigins: []string{"http://localhost:4200"}})
	tests := []struct {
		name, method, origin string
		headers              []string
		wantAllow            string
	}{
		{"allowed origin", "GET", "http://localhost:4200", nil, "http://localhost:4200"},
		{"other origin", "GET", "http://evil.example", nil, ""},
		{"preflight", "OPTIONS", "http://localhost:4200", []string{"Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type"}, "http://localhost:4200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []any{"Origin: " + tc.origin}
			for _, h := range tc.headers {
				args = append(args, h)
			}
			w := api.Do(tc.method, "/api/v1/universe/AAPL", args...)
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != tc.wantAllow {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.wantAllow)
			}
			if tc.method == "OPTIONS" && (w.Code != http.StatusNoContent || !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "POST")) {
				t.Errorf("preflight: %d %v", w.Code, w.Header())
			}
		})
	}
	_, none := newTestServer(t, Config{})
	if w := none.Get("/api/v1/universe/AAPL", "Origin: http://localhost:4200"); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers without configured origins")
	}
}

func TestBodyLimit(t *testing.T) {
	_, api := newTestServer(t, Config{MaxBodyBytes: 256})
	big := `{"sql": "SELECT 1 -- ` + strings.Repeat("x", 400) + `"}`
	w := api.Post("/api/v1/sql", strings.NewReader(big), "Content-Type: application/json")
	if w.Code != http.StatusRequestEntityTooLarge || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("oversized body: %d %s", w.Code, w.Body.String())
	}
	if w := api.Post("/api/v1/sql", map[string]any{"sql": "SELECT 1"}); w.Code != 200 {
		t.Errorf("small body: %d %s", w.Code, w.Body.String())
	}
}

func TestRequestTimeout(t *testing.T) {
	_, api := newTestServer(t, Config{SQLTimeout: 50 * time.Millisecond})
	w := api.Post("/api/v1/sql", map[string]any{"sql": "SELECT count(*) FROM range(100000000000) a"})
	if w.Code != http.StatusRequestTimeout {
		t.Fatalf("long query: %d %s", w.Code, w.Body.String())
	}
}

func TestRequestID(t *testing.T) {
	_, api := newTestServer(t, Config{})
	if w := api.Get("/healthz", "X-Request-ID: abc-123"); w.Header().Get("X-Request-ID") != "abc-123" {
		t.Errorf("request id not echoed: %q", w.Header().Get("X-Request-ID"))
	}
	w := api.Get("/healthz", "X-Request-ID: bad id\twith spaces")
	if id := w.Header().Get("X-Request-ID"); id == "" || strings.Contains(id, " ") {
		t.Errorf("unsafe request id kept: %q", id)
	}
	if a, b := api.Get("/healthz").Header().Get("X-Request-ID"), api.Get("/healthz").Header().Get("X-Request-ID"); a == b {
		t.Errorf("two requests share id %q", a)
	}
}

func TestReadyzReportsFailedDependency(t *testing.T) {
	s, api := newTestServer(t, Config{})
	s.Ready = append(s.Ready, ReadyCheck{Name: "kafka", Check: func(context.Context) error { return errors.New("dial 127.0.0.1:1: refused") }})
	w := api.Get("/readyz")
	b := decode(t, w)
	if w.Code != http.StatusServiceUnavailable || b["status"] != "unavailable" {
		t.Fatalf("readyz with a dead dependency: %d %v", w.Code, b)
	}
	for _, c := range list(t, b["checks"]) {
		c := c.(map[string]any)
		if (c["name"] == "kafka") == (c["ok"] == true) {
			t.Errorf("check %v", c)
		}
	}
}

func TestMetricsExposition(t *testing.T) {
	_, api := newTestServer(t, Config{})
	api.Get("/api/v1/bars/AAPL")
	api.Post("/api/v1/sql", map[string]any{"sql": "SELECT 1"})
	body := api.Get("/metrics").Body.String()
	for _, want := range []string{
		`tickerlake_dataset_last_event_timestamp_seconds{dataset="daily_bars"} 1.7951328e+09`,
		`tickerlake_http_request_duration_seconds_count{method="GET",route="GET /api/v1/bars/{symbol}",status="200"} 1`,
		`tickerlake_sql_query_duration_seconds_count{query="sql"} 1`,
		`tickerlake_sql_query_duration_seconds_count{query="bars"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestDownloads(t *testing.T) {
	_, api := newTestServer(t, Config{})
	page := decode(t, api.Get("/api/v1/bars/BRK.B?from=2026-10-01&to=2026-11-20&page_size=5000"))
	want := int(num(t, page["total"]))

	w := api.Get("/api/v1/bars/BRK.B/download?from=2026-10-01&to=2026-11-20")
	if ct := w.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("csv content type %q", ct)
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="BRK-B_1day_20261001_20261120.csv"` {
		t.Errorf("csv disposition %q", cd)
	}
	recs, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "symbol,date,open,high,low,close,volume,imputed" || len(recs)-1 != want {
		t.Errorf("csv: header %v, %d rows, want %d", recs[0], len(recs)-1, want)
	}
	if recs[1][0] != "BRK.B" || recs[1][1] != "2026-10-01" {
		t.Errorf("first csv row %v", recs[1])
	}

	w = api.Get("/api/v1/bars/BRK.B/download?from=2026-10-01&to=2026-11-20&format=parquet")
	data := w.Body.Bytes()
	if len(data) < 8 || string(data[:4]) != "PAR1" || string(data[len(data)-4:]) != "PAR1" {
		t.Fatalf("not a Parquet file: %d bytes", len(data))
	}
	// DuckDB reads the file back with every row.
	f := filepath.Join(t.TempDir(), "bars.parquet")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, eng := sharedLake(t)
	res, err := eng.Query(context.Background(), "SELECT count(*), min(date)::VARCHAR FROM read_parquet('"+f+"')", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(query.Text(res.Rows[0][0])); n != want || res.Rows[0][1] != "2026-10-01" {
		t.Errorf("parquet holds %v rows from %v, want %d from 2026-10-01", res.Rows[0][0], res.Rows[0][1], want)
	}
}

func TestResponseCache(t *testing.T) {
	store, eng := sharedLake(t)
	clock := clock.NewManual(testNow)
	s := &Server{Engine: eng, Lake: store, Metrics: metrics.New(), Clock: clock, Log: slog.New(slog.DiscardHandler),
		Config: Config{ResponseCache: time.Second}}
	_, hapi := s.Handler()
	api := humatest.Wrap(t, hapi)
	count := func() uint64 {
		m := &dto.Metric{}
		if err := s.Metrics.QuerySeconds.WithLabelValues("bars").(prometheus.Metric).Write(m); err != nil {
			t.Fatal(err)
		}
		return m.GetHistogram().GetSampleCount()
	}
	path := "/api/v1/bars/MSFT?from=2026-11-01&to=2026-11-20"
	first := api.Get(path)
	if first.Code != 200 || count() != 1 {
		t.Fatalf("first: %d, %d queries", first.Code, count())
	}
	second := api.Get(path)
	if second.Body.String() != first.Body.String() || second.Header().Get("ETag") != first.Header().Get("ETag") || count() != 1 {
		t.Errorf("within the TTL the cache should answer: %d queries", count())
	}
	clock.Advance(time.Second)
	api.Get(path)
	if count() != 2 {
		t.Errorf("after the TTL the lake should be asked again: %d queries", count())
	}
	for i := 0; i < 2; i++ {
		if w := api.Get("/api/v1/bars/NOPE"); w.Code != 404 {
			t.Errorf("error answer %d", w.Code)
		}
	}
	if w := api.Get(path + "&page=2"); w.Code != 200 || count() != 3 {
		t.Errorf("another URL is another entry: %d queries", count())
	}
}
