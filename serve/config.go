package serve

import (
	"fmt"
	"log/slog"
	"time"
)

// Config holds the api role's limits and access settings. The struct tags
// make it a flag group of the command line (every flag has a TICKERLAKE_
// environment twin); the zero value is completed by defaults().
type Config struct {
	// AdminKeys are the API keys accepted on admin routes (X-API-Key or
	// Authorization: Bearer). None means admin routes are refused.
	AdminKeys Secrets `name:"admin-api-keys" env:"TICKERLAKE_ADMIN_API_KEYS" sep:"," help:"API keys accepted on admin routes, comma-separated."`
	// CORSOrigins are the browser origins allowed to call the API ("*" for
	// any). None means no CORS headers: the embedded web app is same-origin.
	CORSOrigins []string `name:"cors-origins" env:"TICKERLAKE_CORS_ORIGINS" sep:"," help:"Browser origins allowed by CORS, comma-separated (* for any)."`
	// RateLimit is each client's sustained requests per second (default 50)
	// and RateBurst the bucket size (default 100). A client is its API key
	// when it sends a valid one, otherwise its IP address.
	RateLimit float64 `name:"rate-limit" env:"TICKERLAKE_RATE_LIMIT" default:"50" help:"Requests per second per API key or client IP (0 disables)."`
	RateBurst int     `name:"rate-burst" env:"TICKERLAKE_RATE_BURST" default:"100" help:"Burst of requests per API key or client IP."`
	// TrustProxy takes the client IP from X-Forwarded-For (default off: only
	// behind a proxy that sets it).
	TrustProxy bool `name:"trust-proxy" env:"TICKERLAKE_TRUST_PROXY" help:"Take the client IP from X-Forwarded-For."`
	// RequestTimeout bounds one request's work (default 30s).
	RequestTimeout time.Duration `name:"request-timeout" env:"TICKERLAKE_REQUEST_TIMEOUT" default:"30s" help:"Longest time one request may run."`
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64 `name:"max-body-bytes" env:"TICKERLAKE_MAX_BODY_BYTES" default:"1048576" help:"Largest accepted request body."`
	// MaxHeaderBytes bounds request headers (default 64 KiB).
	MaxHeaderBytes int `name:"max-header-bytes" env:"TICKERLAKE_MAX_HEADER_BYTES" default:"65536" help:"Largest accepted request header block."`
	// CacheMaxAge is the max-age of data responses (default 5s): short, as
	// the lake grows every few seconds while the pipeline runs.
	CacheMaxAge time.Duration `name:"cache-max-age" env:"TICKERLAKE_CACHE_MAX_AGE" default:"5s" help:"Cache-Control max-age of data responses."`
	// ResponseCache keeps each successful data response this long (default
	// 1s; 0 disables), and lets concurrent identical requests share one
	// query: under load most requests then cost no DuckDB work, at the price
	// of answers up to that much older than the lake.
	ResponseCache time.Duration `name:"response-cache" env:"TICKERLAKE_RESPONSE_CACHE" default:"1s" help:"How long a data response is reused for identical requests (0 disables)."`
	// SQLMaxRows caps rows returned by POST /api/v1/sql (default 10000) and
	// SQLTimeout its run time (default 10s).
	SQLMaxRows int           `name:"sql-max-rows" env:"TICKERLAKE_SQL_MAX_ROWS" default:"10000" help:"Most rows POST /api/v1/sql returns."`
	SQLTimeout time.Duration `name:"sql-timeout" env:"TICKERLAKE_SQL_TIMEOUT" default:"10s" help:"Longest time an ad-hoc SQL query may run."`
}

func (c *Config) defaults() {
	if c.RateBurst <= 0 {
		c.RateBurst = 100
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.CacheMaxAge < 0 {
		c.CacheMaxAge = 0
	}
	if c.SQLMaxRows <= 0 {
		c.SQLMaxRows = 10000
	}
	if c.SQLTimeout <= 0 {
		c.SQLTimeout = 10 * time.Second
	}
}

// Secrets are credentials: they print as <secret>, never their value.
type Secrets []string

func (s Secrets) String() string { return fmt.Sprintf("[%d × <secret>]", len(s)) }

// LogValue keeps secrets out of structured logs.
func (s Secrets) LogValue() slog.Value { return slog.StringValue(s.String()) }
