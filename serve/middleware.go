package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rs/cors"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// validRequestID accepts ids a client or proxy may pass along; anything else
// is replaced so logs cannot be forged through the header.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeProblem answers with an RFC 9457 problem document, the same shape
// huma uses for the errors of its operations.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(&huma.ErrorModel{
		Title: http.StatusText(status), Status: status, Detail: detail,
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe is the outermost layer: it gives every request an id, recovers
// panics as 500 problems, records latency by route pattern and status, and
// writes one structured log line per request.
func (s *Server) observe(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		_, route := mux.Handler(r)
		if route == "" {
			route = "unmatched"
		}
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic serving request", "request_id", id, "route", route, "panic", fmt.Sprint(p))
				if rec.bytes == 0 {
					writeProblem(rec, http.StatusInternalServerError, "internal error; request id "+id)
				}
			}
			took := time.Since(start)
			s.Metrics.HTTPSeconds.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Observe(took.Seconds())
			lvl := slog.LevelInfo
			if rec.status >= 500 {
				lvl = slog.LevelError
			} else if route == "GET /metrics" || route == "GET /healthz" || route == "GET /readyz" {
				lvl = slog.LevelDebug
			}
			s.Log.Log(r.Context(), lvl, "http request", "request_id", id, "method", r.Method, "route", route,
				"path", r.URL.Path, "status", rec.status, "bytes", rec.bytes, "took", took.Round(time.Microsecond),
				"client", s.clientIP(r))
		}()
		next.ServeHTTP(rec, r)
	})
}

// withCORS answers preflights and sets CORS headers for the configured
// origins; with none configured it changes nothing.
func (s *Server) withCORS(next http.Handler) http.Handler {
	if len(s.Config.CORSOrigins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: s.Config.CORSOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Content-Type", "Authorization", "X-API-Key", "X-Request-ID", "If-None-Match"},
		ExposedHeaders: []string{"ETag", "Retry-After", "X-Request-ID", "Content-Disposition", "X-RateLimit-Limit", "X-RateLimit-Remaining"},
		MaxAge:         600,
	}).Handler(next)
}

// withLimits bounds the request's body and run time.
func (s *Server) withLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.Config.MaxBodyBytes {
			writeProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is %d bytes; the limit is %d", r.ContentLength, s.Config.MaxBodyBytes))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.Config.MaxBodyBytes)
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.Config.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bufferedWriter holds a response so its ETag can be computed before any
// byte is sent.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// cacheable says whether a request reads data: GET or HEAD under /api/,
// except a job's state, which a client polls for changes.
func cacheable(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, "/api/") &&
		!strings.HasPrefix(r.URL.Path, "/api/v1/models/jobs/")
}

// withETag gives successful data responses a strong ETag (a hash of the
// body) and a Cache-Control, and answers a matching If-None-Match with 304.
// Everything else is marked no-store.
func (s *Server) withETag(next http.Handler) http.Handler {
	maxAge := fmt.Sprintf("public, max-age=%d", int(s.Config.CacheMaxAge.Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cacheable(r) {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedWriter{header: w.Header()}
		next.ServeHTTP(buf, r)
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		h := w.Header()
		if buf.status != http.StatusOK {
			if h.Get("Cache-Control") == "" {
				h.Set("Cache-Control", "no-store")
			}
			w.WriteHeader(buf.status)
			_, _ = w.Write(buf.body.Bytes())
			return
		}
		etag := h.Get("ETag") // the response cache computes it once per entry
		if etag == "" {
			etag = bodyETag(buf.body.Bytes())
			h.Set("ETag", etag)
		}
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", maxAge)
		}
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Length")
			h.Del("Content-Type")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(buf.body.Len()))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(buf.body.Bytes())
		}
	})
}

// bodyETag is a strong validator: a hash of the body.
func bodyETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// etagMatches implements If-None-Match's weak comparison over a list.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
