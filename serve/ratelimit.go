package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per client. Buckets idle for longer than
// it takes to refill are dropped, so the map stays as small as the set of
// recently active clients.
type limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for client; when none is left it says how long until
// one is.
func (l *limiter) allow(client string) (ok bool, remaining int, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[client]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[client] = b
	}
	b.seen = now
	if b.lim.AllowN(now, 1) {
		return true, int(b.lim.TokensAt(now)), 0
	}
	r := b.lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, 0, wait
}

func (l *limiter) sweep(now time.Time) {
	idle := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Minute
	if now.Sub(l.swept) < idle {
		return
	}
	for k, b := range l.buckets {
		if now.Sub(b.seen) > idle {
			delete(l.buckets, k)
		}
	}
	l.swept = now
}

// clientIP is the address a request comes from: the first X-Forwarded-For
// entry when the proxy is trusted, else the peer address.
func (s *Server) clientIP(r *http.Request) string {
	if s.Config.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientOf names the rate-limit bucket of a request: a hash of its API key
// when the key is valid (so a key's holders share one allowance wherever
// they call from), otherwise its IP.
func (s *Server) clientOf(r *http.Request) string {
	if key := apiKeyOf(httpHeaders{r}); key != "" && s.validKey(key) {
		sum := sha256.Sum256([]byte(key))
		return "key:" + hex.EncodeToString(sum[:8])
	}
	return "ip:" + s.clientIP(r)
}

// exemptFromLimits are the probes and scrapes that must work even when a
// client is being throttled.
func exemptFromLimits(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// withRateLimit answers 429 with Retry-After once a client's bucket is empty.
func (s *Server) withRateLimit(next http.Handler) http.Handler {
	if s.Config.RateLimit <= 0 {
		return next
	}
	l := newLimiter(s.Config.RateLimit, s.Config.RateBurst, s.Clock.Now)
	limit := strconv.Itoa(s.Config.RateBurst)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exemptFromLimits(r.URL.Path) || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		ok, remaining, wait := l.allow(s.clientOf(r))
		w.Header().Set("X-RateLimit-Limit", limit)
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeProblem(w, http.StatusTooManyRequests,
				fmt.Sprintf("rate limit of %g requests/s (burst %d) exceeded; retry in %ds", s.Config.RateLimit, s.Config.RateBurst, secs))
			return
		}
		next.ServeHTTP(w, r)
	})
}
