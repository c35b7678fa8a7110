package query

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// CacheCollector reports the engine's cache of a remote lake to
// Prometheus: the objects queries found cached and those they fetched (the
// hit ratio is hits / (hits + misses)), evictions, and the cache's size.
// An engine reading a lake in place reports nothing.
func (e *Engine) CacheCollector() prometheus.Collector { return cacheCollector{e} }

type cacheCollector struct{ e *Engine }

var (
	cacheHitsDesc = prometheus.NewDesc("tickerlake_query_cache_hits_total",
		"Lake objects a query needed and found in the query engine's local cache.", nil, nil)
	cacheMissesDesc = prometheus.NewDesc("tickerlake_query_cache_misses_total",
		"Lake objects a query needed and fetched into the query engine's local cache.", nil, nil)
	cacheEvictedDesc = prometheus.NewDesc("tickerlake_query_cache_evictions_total",
		"Objects deleted from the query engine's local cache to stay within --cache-size.", nil, nil)
	cacheBytesDesc = prometheus.NewDesc("tickerlake_query_cache_bytes",
		"Bytes of lake objects in the query engine's local cache.", nil, nil)
	cacheLimitDesc = prometheus.NewDesc("tickerlake_query_cache_limit_bytes",
		"The query engine's cache bound (--cache-size); 0 when unbounded.", nil, nil)
	cacheFilesDesc = prometheus.NewDesc("tickerlake_query_cache_files",
		"Lake objects in the query engine's local cache.", nil, nil)
)

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheHitsDesc, cacheMissesDesc, cacheEvictedDesc, cacheBytesDesc, cacheLimitDesc, cacheFilesDesc} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	cf, ok := c.e.files.(*CachedFiles)
	if !ok {
		return
	}
	s := cf.Cache.Stats()
	ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(cacheEvictedDesc, prometheus.CounterValue, float64(s.Evicted))
	ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(cacheLimitDesc, prometheus.GaugeValue, float64(cf.Cache.MaxBytes))
	ch <- prometheus.MustNewConstMetric(cacheFilesDesc, prometheus.GaugeValue, float64(s.Files))
}

// Size is a number of bytes written as 2GiB, 512MB, 500M or 1073741824;
// it reads K, M, G and T as powers of 1024 with or without "iB", and KB,
// MB, GB and TB as powers of 1000.
type Size int64

// UnmarshalText parses a size.
func (s *Size) UnmarshalText(b []byte) error {
	text := strings.TrimSpace(string(b))
	num := strings.TrimRightFunc(text, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(text[len(num):]))
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if num == "" || err != nil || n < 0 {
		return fmt.Errorf("size %q: want a number of bytes like 2GiB or 512MB", text)
	}
	mult := map[string]float64{"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TIB": 1 << 40,
		"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
	m, ok := mult[unit]
	if !ok {
		return fmt.Errorf("size %q: unknown unit %q (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)", text, unit)
	}
	*s = Size(n * m)
	return nil
}

// String writes the size in the largest binary unit that divides it.
func (s Size) String() string {
	for _, u := range []struct {
		name string
		n    int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s != 0 && int64(s)%u.n == 0 {
			return strconv.FormatInt(int64(s)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}
