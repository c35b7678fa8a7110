package serve

import (
	"bytes"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// responseCache holds recent successful data responses by URL. Identical
// requests arriving together run the handler once (singleflight); later
// ones within the TTL are answered from memory.
type responseCache struct {
	ttl   time.Duration
	now   func() time.Time
	max   int
	group singleflight.Group

	mu      sync.Mutex
	entries map[string]cachedResponse
}

type cachedResponse struct {
	header  http.Header
	body    []byte
	expires time.Time
}

func (c *responseCache) get(key string) (cachedResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		return cachedResponse{}, false
	}
	return e, true
}

func (c *responseCache) put(key string, e cachedResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		now := c.now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			c.entries = map[string]cachedResponse{}
		}
	}
	c.entries[key] = e
}

// withResponseCache serves GET data requests from the cache; only 200
// answers are kept.
func (s *Server) withResponseCache(next http.Handler) http.Handler {
	if s.Config.ResponseCache <= 0 {
		return next
	}
	c := &responseCache{ttl: s.Config.ResponseCache, now: s.Clock.Now, max: 1024, entries: map[string]cachedResponse{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cacheable(r) {
			next.ServeHTTP(w, r)
			return
		}
		// huma negotiates the format (JSON, CBOR) from Accept.
		key := r.Header.Get("Accept") + " " + r.URL.RequestURI()
		e, ok := c.get(key)
		result := "miss"
		if ok {
			result = "hit"
		}
		s.Metrics.ResponseCache.WithLabelValues(result).Inc()
		if !ok {
			v, _, _ := c.group.Do(key, func() (any, error) {
				// A flight that ended between this request's miss and its
				// Do has left its answer here: asking the lake again
				// would be a second query for the same request.
				if e, ok := c.get(key); ok {
					return e, nil
				}
				buf := &bufferedWriter{header: http.Header{}}
				next.ServeHTTP(buf, r)
				if buf.status != 0 && buf.status != http.StatusOK {
					return buf, nil
				}
				buf.header.Set("ETag", bodyETag(buf.body.Bytes()))
				// Kept before the flight ends, so a request that misses
				// the flight finds the answer.
				e := cachedResponse{header: buf.header, body: buf.body.Bytes(), expires: c.now().Add(c.ttl)}
				c.put(key, e)
				return e, nil
			})
			if buf, failed := v.(*bufferedWriter); failed {
				// Errors are not cached; a shared one is answered as it came.
				copyHeader(w.Header(), buf.header)
				w.WriteHeader(buf.status)
				_, _ = w.Write(buf.body.Bytes())
				return
			}
			e = v.(cachedResponse)
		}
		copyHeader(w.Header(), e.header)
		w.WriteHeader(http.StatusOK)
		_, _ = bytes.NewReader(e.body).WriteTo(w)
	})
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append([]string(nil), v...)
	}
}
