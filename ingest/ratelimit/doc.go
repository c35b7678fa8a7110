// Package ratelimit plans provider calls within their credit limits: a pool
// of API keys, each allowed so many credits per rolling window and per day,
// driven by an injected clock.Clock so plans are testable without waiting.
package ratelimit
