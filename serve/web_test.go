package serve

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tickerlake/tickerlake/metrics"
)

var builtApp = fstest.MapFS{
	"index.html":                  {Data: []byte("<!doctype html><app-root></app-root>")},
	"main-ABCD1234.js":            {Data: bytes.Repeat([]byte("console.log('tickerlake');\n"), 100)},
	"favicon.ico":                 {Data: []byte{0, 0, 1, 0}},
	"media/roboto-XYZ98765.woff2": {Data: []byte("wOF2")},
}

func TestWebHandler(t *testing.T) {
	h := newWebHandler(func() fs.FS { return builtApp })
	tests := []struct {
		name, path, encoding string
		status               int
		body, ctype, cache   string
		gzipped              bool
	}{
		{name: "root is the app", path: "/", status: 200, body: "<app-root>", ctype: "text/html", cache: "no-cache"},
		{name: "deep link falls back to the app", path: "/HistoricalData", status: 200, body: "<app-root>", cache: "no-cache"},
		{name: "deep link with query", path: "/OptionsData?symbol=MSFT", status: 200, body: "<app-root>"},
		{name: "hashed asset cached for good", path: "/main-ABCD1234.js", status: 200, body: "tickerlake", ctype: "text/javascript", cache: "immutable"},
		{name: "hashed asset gzipped when asked", path: "/main-ABCD1234.js", encoding: "gzip, br", status: 200, body: "tickerlake", gzipped: true},
		{name: "gzip refused with q=0", path: "/main-ABCD1234.js", encoding: "gzip;q=0", status: 200, body: "tickerlake"},
		{name: "unhashed asset cached an hour", path: "/favicon.ico", status: 200, cache: "max-age=3600"},
		{name: "missing file is 404, not the app", path: "/chunk-NOPE1234.js", status: 404},
		{name: "folder is the app", path: "/media", status: 200, body: "<app-root>"},
		{name: "unknown API path is a problem", path: "/api/v1/nope", status: 404, body: `"status":404`, ctype: "application/problem+json"},
		{name: "dot segments stay inside", path: "/../../etc/passwd", status: 200, body: "<app-root>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.encoding != "" {
				req.Header.Set("Accept-Encoding", tc.encoding)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			body := rec.Body.Bytes()
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzipped %v, want %v", got, tc.gzipped)
			}
			if tc.gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(string(body), tc.body) {
				t.Errorf("body %.80q does not contain %q", body, tc.body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("content type %q, want %q", ct, tc.ctype)
			}
			if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, tc.cache) {
				t.Errorf("cache control %q, want %q", cc, tc.cache)
			}
		})
	}
}

func TestWebHandlerNotBuilt(t *testing.T) {
	var built fs.FS
	h := newWebHandler(func() fs.FS { return built })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "npm ci &amp;&amp; npm run build") {
		t.Fatalf("status %d, body %.200q: want 503 saying how to build", rec.Code, rec.Body.String())
	}
	// The build lands while the server runs: the next request serves it.
	built = builtApp
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<app-root>") {
		t.Fatalf("after the build: status %d, body %.200q", rec.Code, rec.Body.String())
	}
}

// The app is mounted under every API route: the API, its document, the
// probes and /metrics must still answer themselves.
func TestWebMountedBehindAPI(t *testing.T) {
	srv := &Server{Metrics: metrics.New(), Web: newWebHandler(func() fs.FS { return builtApp })}
	h, _ := srv.Handler()
	tests := []struct {
		path, want string
		app        bool
	}{
		{path: "/healthz", want: `"status":"ok"`},
		{path: "/openapi.json", want: `"openapi"`},
		{path: "/metrics"}, // answered by the metrics handler, whatever the lake says
		{path: "/api/v1/universe", want: `"companies"`},
		{path: "/api/v1/no-such-route", want: `"status":404`},
		{path: "/dashboard", want: "<app-root>", app: true},
		{path: "/", want: "<app-root>", app: true},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			body := rec.Body.String()
			if got := strings.Contains(body, "<app-root>"); got != tc.app {
				t.Fatalf("served by the app: %v, want %v (status %d, body %.200q)", got, tc.app, rec.Code, body)
			}
			if !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, body %.200q: want %q", rec.Code, body, tc.want)
			}
		})
	}
}
